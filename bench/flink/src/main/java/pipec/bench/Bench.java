package pipec.bench;

import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingProcessingTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The Flink peer of bench/run: seed 001's job and the Nexmark queries as DataStream programs,
 * in Flink's local environment at parallelism 1, over the files bench/tools/gen wrote (the same
 * bytes pipec reads). Usage: Bench QUERY INPUT OUT [QUERY INPUT OUT]..., INPUT a file (seed001) or
 * the directory of person.csv, auction.csv and bid.csv; the queries run one after the other in
 * one JVM (bench/run --quick), each in its own job. Prints per query one line:
 *   flink QUERY records_in=N startup_ms=S run_ms=W run_cpu_ms=C
 * where startup is JVM start (or the end of the query before) to the first record parsed and run/run_cpu the wall and process CPU
 * time from the first record to the end of the job (JIT and GC threads included).
 */
public final class Bench {
    static final AtomicLong IN = new AtomicLong();
    static volatile long firstWallMs, firstCpuNs;

    static long cpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static void seen() {
        if (IN.getAndIncrement() == 0) {
            firstWallMs = System.currentTimeMillis();
            firstCpuNs = cpuNs();
        }
    }

    static long ts(String s) {
        return Instant.parse(s).toEpochMilli();
    }

    static String fmt(long ms) {
        return Instant.ofEpochMilli(ms).toString();
    }

    // ------------------------------------------------------------------ records

    public static class Bid {
        public long auction, bidder, price, dateTime;
        public String channel, url, extra;
        public Bid() {}
    }

    public static class Person {
        public long id, dateTime;
        public String name;
        public Person() {}
    }

    public static class Auction {
        public long id, seller, dateTime;
        public Auction() {}
    }

    public static class Order {
        public String customer, status, region;
        public double amount;
        public long ts;
        public Order() {}
    }

    static Bid bid(String line) {
        seen();
        String[] f = line.split(",", -1);
        Bid b = new Bid();
        b.auction = Long.parseLong(f[0]);
        b.bidder = Long.parseLong(f[1]);
        b.price = Long.parseLong(f[2]);
        b.channel = f[3];
        b.url = f[4];
        b.dateTime = ts(f[5]);
        b.extra = f[6];
        return b;
    }

    static Order order(String line) {
        seen();
        Order o = new Order();
        for (String pair : line.split(",")) {
            int eq = pair.indexOf('=');
            String k = pair.substring(0, eq), v = pair.substring(eq + 1);
            switch (k) {
                case "customer": o.customer = v; break;
                case "status": o.status = v; break;
                case "region": o.region = v; break;
                case "amount": o.amount = Double.parseDouble(v); break;
                case "ts": o.ts = ts(v); break;
                default: break;
            }
        }
        return o;
    }

    // ------------------------------------------------------------------ a file sink

    /** Lines to one file (parallelism 1), flushed at the end of input. */
    static final class LineSink implements Sink<String> {
        final String path;
        LineSink(String path) { this.path = path; }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            BufferedWriter w = new BufferedWriter(new FileWriter(path), 1 << 20);
            return new SinkWriter<String>() {
                @Override public void write(String s, Context c) throws IOException { w.write(s); w.write('\n'); }
                @Override public void flush(boolean end) throws IOException { w.flush(); }
                @Override public void close() throws IOException { w.close(); }
            };
        }
    }

    // ------------------------------------------------------------------ aggregates

    /** count, sum, max of a double: seed 001's aggregate. */
    static final class CountSumMax implements AggregateFunction<Order, double[], double[]> {
        public double[] createAccumulator() { return new double[] { 0, 0, Double.NEGATIVE_INFINITY }; }
        public double[] add(Order o, double[] a) { a[0]++; a[1] += o.amount; a[2] = Math.max(a[2], o.amount); return a; }
        public double[] getResult(double[] a) { return a; }
        public double[] merge(double[] a, double[] b) { a[0] += b[0]; a[1] += b[1]; a[2] = Math.max(a[2], b[2]); return a; }
    }

    static final class Count<T> implements AggregateFunction<T, Long, Long> {
        public Long createAccumulator() { return 0L; }
        public Long add(T t, Long a) { return a + 1; }
        public Long getResult(Long a) { return a; }
        public Long merge(Long a, Long b) { return a + b; }
    }

    /** max price and count of bids: q7. */
    static final class MaxCount implements AggregateFunction<Bid, long[], long[]> {
        public long[] createAccumulator() { return new long[] { Long.MIN_VALUE, 0 }; }
        public long[] add(Bid b, long[] a) { a[0] = Math.max(a[0], b.price); a[1]++; return a; }
        public long[] getResult(long[] a) { return a; }
        public long[] merge(long[] a, long[] b) { a[0] = Math.max(a[0], b[0]); a[1] += b[1]; return a; }
    }

    /** max and count of q5's per-auction counts (long[] {slide_end, count}). */
    static final class MaxOfCounts implements AggregateFunction<long[], long[], long[]> {
        public long[] createAccumulator() { return new long[] { Long.MIN_VALUE, 0 }; }
        public long[] add(long[] c, long[] a) { a[0] = Math.max(a[0], c[1]); a[1]++; return a; }
        public long[] getResult(long[] a) { return a; }
        public long[] merge(long[] a, long[] b) { a[0] = Math.max(a[0], b[0]); a[1] += b[1]; return a; }
    }

    // ------------------------------------------------------------------ queries

    static DataStream<String> lines(StreamExecutionEnvironment env, String file) {
        FileSource<String> src = FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(file)).build();
        return env.fromSource(src, WatermarkStrategy.noWatermarks(), file);
    }

    static DataStream<Bid> bids(StreamExecutionEnvironment env, String dir) {
        return lines(env, dir + "/bid.csv").map(Bench::bid).returns(Bid.class)
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Bid>forBoundedOutOfOrderness(Duration.ofSeconds(1))
                        .withTimestampAssigner((b, p) -> b.dateTime));
    }

    static DataStream<String> build(StreamExecutionEnvironment env, String q, String in) {
        switch (q) {
        case "seed001": {
            OutputTag<Order> late = new OutputTag<Order>("late") {};
            SingleOutputStreamOperator<String> out = lines(env, in).map(Bench::order).returns(Order.class)
                    .assignTimestampsAndWatermarks(WatermarkStrategy.<Order>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                            .withTimestampAssigner((o, p) -> o.ts))
                    .filter(o -> !o.status.equals("CANCELLED"))
                    .keyBy(o -> o.status)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(30)))
                    .allowedLateness(Duration.ofSeconds(10))
                    .sideOutputLateData(late)
                    .aggregate(new CountSumMax(), new ProcessWindowFunction<double[], String, String, TimeWindow>() {
                        @Override
                        public void process(String k, Context c, Iterable<double[]> it, Collector<String> o) {
                            double[] a = it.iterator().next();
                            o.collect("{\"status\":\"" + k + "\",\"window_start\":\"" + fmt(c.window().getStart())
                                    + "\",\"window_end\":\"" + fmt(c.window().getEnd()) + "\",\"count\":" + (long) a[0]
                                    + ",\"total\":" + a[1] + ",\"biggest\":" + a[2] + "}");
                        }
                    });
            out.getSideOutput(late).map(o -> "late " + o.customer).sinkTo(new LineSink(in + ".flink-late"));
            return out;
        }
        case "q0":
            return bids(env, in).map(b -> b.auction + "," + b.bidder + "," + b.price + "," + b.channel + "," + b.url + ","
                    + fmt(b.dateTime) + "," + b.extra);
        case "q1":
            return bids(env, in).map(b -> b.auction + "," + b.bidder + "," + (b.price * 0.908) + "," + fmt(b.dateTime));
        case "q2":
            return bids(env, in).filter(b -> b.auction % 123 == 0).map(b -> b.auction + "," + b.price);
        case "q5":
            return bids(env, in).keyBy(b -> b.auction)
                    .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
                    .aggregate(new Count<Bid>(), new ProcessWindowFunction<Long, long[], Long, TimeWindow>() {
                        @Override
                        public void process(Long k, Context c, Iterable<Long> it, Collector<long[]> o) {
                            o.collect(new long[] { c.window().getEnd(), it.iterator().next() });
                        }
                    }).returns(long[].class)
                    .keyBy(c -> c[0])
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
                    .aggregate(new MaxOfCounts(), new ProcessWindowFunction<long[], String, Long, TimeWindow>() {
                        @Override
                        public void process(Long k, Context c, Iterable<long[]> it, Collector<String> o) {
                            long[] a = it.iterator().next();
                            o.collect(fmt(k) + "," + a[0] + "," + a[1]);
                        }
                    });
        case "q7":
            return bids(env, in).keyBy(b -> 0)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
                    .aggregate(new MaxCount(), new ProcessWindowFunction<long[], String, Integer, TimeWindow>() {
                        @Override
                        public void process(Integer k, Context c, Iterable<long[]> it, Collector<String> o) {
                            long[] a = it.iterator().next();
                            o.collect(fmt(c.window().getEnd()) + "," + a[0] + "," + a[1]);
                        }
                    });
        case "q8": {
            DataStream<Person> persons = lines(env, in + "/person.csv").map(l -> {
                seen();
                String[] f = l.split(",", -1);
                Person p = new Person();
                p.id = Long.parseLong(f[0]);
                p.name = f[1];
                p.dateTime = ts(f[6]);
                return p;
            }).returns(Person.class).assignTimestampsAndWatermarks(
                    WatermarkStrategy.<Person>forBoundedOutOfOrderness(Duration.ofSeconds(1)).withTimestampAssigner((p, x) -> p.dateTime));
            DataStream<Auction> auctions = lines(env, in + "/auction.csv").map(l -> {
                seen();
                String[] f = l.split(",", -1);
                Auction a = new Auction();
                a.id = Long.parseLong(f[0]);
                a.dateTime = ts(f[5]);
                a.seller = Long.parseLong(f[7]);
                return a;
            }).returns(Auction.class).assignTimestampsAndWatermarks(
                    WatermarkStrategy.<Auction>forBoundedOutOfOrderness(Duration.ofSeconds(1)).withTimestampAssigner((a, x) -> a.dateTime));
            return persons.join(auctions).where(p -> p.id).equalTo(a -> a.seller)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
                    .apply((p, a) -> {
                        long start = p.dateTime - Math.floorMod(p.dateTime, 10000L);
                        return fmt(start) + "," + fmt(start + 10000) + "," + p.id + "," + p.name + "," + a.id;
                    }, org.apache.flink.api.common.typeinfo.Types.STRING);
        }
        case "q11":
            return bids(env, in).keyBy(b -> b.bidder)
                    .window(EventTimeSessionWindows.withGap(Duration.ofSeconds(10)))
                    .aggregate(new Count<Bid>(), new ProcessWindowFunction<Long, String, Long, TimeWindow>() {
                        @Override
                        public void process(Long k, Context c, Iterable<Long> it, Collector<String> o) {
                            o.collect(k + "," + fmt(c.window().getStart()) + "," + fmt(c.window().getEnd()) + "," + it.iterator().next());
                        }
                    });
        case "q12":
            return bids(env, in).keyBy(b -> b.bidder)
                    .window(TumblingProcessingTimeWindows.of(Duration.ofSeconds(10)))
                    .aggregate(new Count<Bid>(), new ProcessWindowFunction<Long, String, Long, TimeWindow>() {
                        @Override
                        public void process(Long k, Context c, Iterable<Long> it, Collector<String> o) {
                            o.collect(k + "," + fmt(c.window().getStart()) + "," + fmt(c.window().getEnd()) + "," + it.iterator().next());
                        }
                    });
        default:
            throw new IllegalArgumentException("unknown query " + q);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args.length % 3 != 0) {
            System.err.println("usage: Bench QUERY INPUT OUT [QUERY INPUT OUT]...");
            System.exit(2);
        }
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        for (int i = 0; i < args.length; i += 3) {
            IN.set(0);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            build(env, args[i], args[i + 1]).sinkTo(new LineSink(args[i + 2]));
            env.execute("pipec-bench-" + args[i]);
            long endWall = System.currentTimeMillis(), endCpu = cpuNs();
            if (IN.get() == 0) { // an empty input: no first record
                firstWallMs = endWall;
                firstCpuNs = endCpu;
            }
            System.out.println("flink " + args[i] + " records_in=" + IN.get() + " startup_ms=" + (firstWallMs - start)
                    + " run_ms=" + (endWall - firstWallMs) + " run_cpu_ms=" + (endCpu - firstCpuNs) / 1000000);
            start = endWall; // a later query's start-up counts from the end of the one before
        }
    }
}

/* prt_admin_api.c — the admin endpoint's data: GET /api/job (JSON) and GET /metrics
 * (Prometheus text format 0.0.4), built on the admin thread from the immutable job descriptor
 * and the published j->stats (prt_stats.h). Never touches the job's own structures.
 *
 * Per node (desc->nodes): a source's records in are the records it read (bad ones too) and its
 * records out those it parsed; a stage's records in are the records out of the nodes it reads;
 * a sink's in and out are the records written to it. A watermark is a number of ms, null when
 * there is none yet, "+inf" (JSON) / +Inf (metrics) once the input ended.
 */
#include "prt_admin.h"
#include "prt_clock.h"
#include "prt_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the graph */

typedef struct graph {
    prt_job *j;
    const prt_node_desc *n;
    int nn, first_sink;
    int *from, *nfrom; /* per node: up to 8 input node indexes */
    int *late;         /* per node: stage feeding its late records, or -1 */
} graph;

#define MAX_FROM 8

static int node_index(const graph *g, const char *id, size_t len)
{
    for (int i = 0; i < g->nn; i++)
        if (strlen(g->n[i].id) == len && !strncmp(g->n[i].id, id, len))
            return i;
    return -1;
}

static void graph_init(graph *g, prt_job *j)
{
    const prt_job_desc *d = j->desc;
    g->j = j;
    g->n = d->nodes;
    g->nn = d->nodes ? d->nnodes : 0;
    if (g->nn > j->stats->nnodes)
        g->nn = j->stats->nnodes;
    g->first_sink = g->nn - d->nsinks;
    g->from = calloc((size_t)(g->nn + 1) * MAX_FROM, sizeof *g->from);
    g->nfrom = calloc((size_t)g->nn + 1, sizeof *g->nfrom);
    g->late = calloc((size_t)g->nn + 1, sizeof *g->late);
    prt_assert(g->from && g->nfrom && g->late);
    for (int i = 0; i < g->nn; i++) {
        const char *f = g->n[i].from ? g->n[i].from : "";
        while (*f) {
            const char *c = strchr(f, ',');
            size_t len = c ? (size_t)(c - f) : strlen(f);
            int k = node_index(g, f, len);
            if (k >= 0 && g->nfrom[i] < MAX_FROM)
                g->from[i * MAX_FROM + g->nfrom[i]++] = k;
            f += len + (c != NULL);
        }
        g->late[i] = g->n[i].late_from ? node_index(g, g->n[i].late_from, strlen(g->n[i].late_from)) : -1;
    }
}

static void graph_free(graph *g)
{
    free(g->from);
    free(g->nfrom);
    free(g->late);
}

static int is_source(const graph *g, int i) { return i < g->j->desc->nsources; }
static int sink_of(const graph *g, int i) { return i >= g->first_sink ? i - g->first_sink : -1; }

static uint64_t node_out(const graph *g, int i)
{
    prt_stats *s = g->j->stats;
    int k = sink_of(g, i);
    return k >= 0 ? prt_ctr_get(&s->sink_in[k]) : prt_ctr_get(&s->node_out[i]);
}

static uint64_t node_in(const graph *g, int i)
{
    prt_stats *s = g->j->stats;
    if (is_source(g, i))
        return prt_ctr_get(&s->src_in[i]);
    int k = sink_of(g, i);
    if (k >= 0)
        return prt_ctr_get(&s->sink_in[k]);
    uint64_t n = 0;
    for (int f = 0; f < g->nfrom[i]; f++)
        n += node_out(g, g->from[i * MAX_FROM + f]);
    return n;
}

/* The minimum of the watermarks of the sources upstream (INT64_MIN: none). */
static int64_t node_wm(const graph *g, int i, int depth)
{
    if (is_source(g, i))
        return prt_gauge_get(&g->j->stats->src_wm[i]);
    if (depth > 64 || g->nfrom[i] == 0)
        return INT64_MIN;
    int64_t w = INT64_MAX;
    for (int f = 0; f < g->nfrom[i]; f++) {
        int64_t x = node_wm(g, g->from[i * MAX_FROM + f], depth + 1);
        if (x < w)
            w = x;
    }
    return w;
}

static int node_has_event_time(const graph *g, int i, int depth)
{
    if (is_source(g, i))
        return g->j->desc->sources[i].event_time;
    if (depth > 64)
        return 0;
    for (int f = 0; f < g->nfrom[i]; f++)
        if (node_has_event_time(g, g->from[i * MAX_FROM + f], depth + 1))
            return 1;
    return 0;
}

/* The label of partition p of source i: the connector's name ("topic:3") or the index. */
static const char *part_label(prt_stats *s, int i, int p, char *buf, size_t cap)
{
    int k = i * PRT_STATS_PARTS + p;
    if (atomic_load_explicit(&s->part_named[k], memory_order_acquire) && s->part_name[k][0])
        return s->part_name[k];
    snprintf(buf, cap, "%d", p);
    return buf;
}

static int operator_of(const prt_job_desc *d, const char *id)
{
    for (int i = 0; i < d->noperators; i++)
        if (!strcmp(d->operators[i].id, id))
            return i;
    return -1;
}

/* ---------------------------------------------------------------- JSON */

static void json_str(prt_buf *b, const char *s) { prt_json_quote(b, prt_str_c(s ? s : "")); }

static void json_wm(prt_buf *b, int64_t w)
{
    if (w == INT64_MIN)
        prt_buf_puts(b, "null");
    else if (w == INT64_MAX)
        prt_buf_puts(b, "\"+inf\"");
    else
        prt_buf_printf(b, "%" PRId64, w);
}

static const char *status_name(int64_t st)
{
    switch (st) {
    case PRT_ST_STARTING: return "starting";
    case PRT_ST_RUNNING: return "running";
    case PRT_ST_STOPPING: return "stopping";
    case PRT_ST_FINISHED: return "finished";
    case PRT_ST_FAILED: return "failed";
    }
    return "unknown";
}

void prt_admin_job_json(prt_job *j, const char *listen, prt_buf *b)
{
    const prt_job_desc *d = j->desc;
    prt_stats *s = j->stats;
    graph g;
    graph_init(&g, j);
    int64_t now = prt_wall_ms();

    prt_buf_puts(b, "{\"pipeline\":");
    json_str(b, d->pipeline);
    prt_buf_puts(b, ",\"pipec_version\":");
    json_str(b, d->pipec_version);
    prt_buf_puts(b, ",\"yaml_name\":");
    json_str(b, d->yaml_name);
    prt_buf_puts(b, ",\"yaml_sha256\":");
    json_str(b, d->yaml_sha256);
    prt_buf_puts(b, ",\"status\":");
    json_str(b, status_name(prt_gauge_get(&s->status)));
    prt_buf_printf(b, ",\"ready\":%s,\"pid\":%ld,\"listen\":", prt_gauge_get(&s->ready) ? "true" : "false",
                   (long)getpid());
    json_str(b, listen);
    int64_t started = prt_gauge_get(&s->started_ms);
    prt_buf_printf(b, ",\"started_ms\":%" PRId64 ",\"now_ms\":%" PRId64 ",\"uptime_ms\":%" PRId64
                   ",\"rss_bytes\":%" PRId64, started, now, now - started, prt_stats_rss());

    uint64_t in = 0, out = 0, errors = 0, late = 0;
    for (int i = 0; i < d->nsources && i < s->nsources; i++)
        in += prt_ctr_get(&s->src_in[i]);
    for (int k = 0; k < d->nsinks && k < s->nsinks; k++)
        if (k != d->errors_sink)
            out += prt_ctr_get(&s->sink_in[k]);
    for (int i = 0; i < s->nnodes; i++) {
        errors += prt_ctr_get(&s->node_errors[i]);
        late += prt_ctr_get(&s->node_late[i]);
    }
    prt_buf_printf(b, ",\"records_in\":%" PRIu64 ",\"records_out\":%" PRIu64 ",\"errors\":%" PRIu64
                   ",\"late_dropped\":%" PRIu64, in, out, errors, late);

    prt_buf_puts(b, ",\"nodes\":[");
    for (int i = 0; i < g.nn; i++) {
        const prt_node_desc *n = &g.n[i];
        prt_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        json_str(b, n->id);
        prt_buf_puts(b, ",\"kind\":");
        json_str(b, n->kind);
        prt_buf_puts(b, ",\"what\":");
        json_str(b, n->what);
        prt_buf_puts(b, ",\"from\":[");
        for (int f = 0; f < g.nfrom[i]; f++) {
            if (f)
                prt_buf_putc(b, ',');
            json_str(b, g.n[g.from[i * MAX_FROM + f]].id);
        }
        prt_buf_puts(b, "],\"late_from\":");
        if (g.late[i] >= 0)
            json_str(b, g.n[g.late[i]].id);
        else
            prt_buf_puts(b, "null");
        prt_buf_printf(b, ",\"records_in\":%" PRIu64 ",\"records_out\":%" PRIu64, node_in(&g, i), node_out(&g, i));
        if (sink_of(&g, i) < 0)
            prt_buf_printf(b, ",\"errors\":%" PRIu64 ",\"late_dropped\":%" PRIu64,
                           prt_ctr_get(&s->node_errors[i]), prt_ctr_get(&s->node_late[i]));
        if (sink_of(&g, i) < 0 && node_has_event_time(&g, i, 0)) {
            prt_buf_puts(b, ",\"watermark\":");
            json_wm(b, node_wm(&g, i, 0));
        }
        int op = operator_of(d, n->id);
        if (op >= 0 && op < s->noperators)
            prt_buf_printf(b, ",\"state\":{\"keys\":%" PRId64 ",\"windows\":%" PRId64 ",\"checkpointed_bytes\":%" PRId64 "}",
                           prt_gauge_get(&s->op_keys[op]), prt_gauge_get(&s->op_windows[op]),
                           prt_gauge_get(&s->op_chk_bytes[op]));
        prt_buf_putc(b, '}');
    }
    prt_buf_puts(b, "],\"sources\":[");
    for (int i = 0; i < d->nsources && i < s->nsources; i++) {
        const prt_source_desc *src = &d->sources[i];
        prt_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        json_str(b, src->name);
        prt_buf_puts(b, ",\"connector\":");
        json_str(b, src->connector);
        prt_buf_puts(b, ",\"format\":");
        json_str(b, src->format);
        prt_buf_printf(b, ",\"records\":%" PRIu64 ",\"event_time\":%s", prt_ctr_get(&s->src_in[i]),
                       src->event_time ? "true" : "false");
        if (src->event_time) {
            prt_buf_puts(b, ",\"watermark\":");
            json_wm(b, prt_gauge_get(&s->src_wm[i]));
            prt_buf_puts(b, ",\"partitions\":[");
            int first = 1;
            for (int p = 0; p < PRT_STATS_PARTS; p++) {
                int64_t state = prt_gauge_get(&s->part_state[i * PRT_STATS_PARTS + p]);
                if (!state)
                    continue;
                char lb[16];
                prt_buf_printf(b, "%s{\"partition\":%d,\"name\":", first ? "" : ",", p);
                json_str(b, part_label(s, i, p, lb, sizeof lb));
                prt_buf_printf(b, ",\"idle\":%s,\"watermark\":", state == 2 ? "true" : "false");
                json_wm(b, prt_gauge_get(&s->part_wm[i * PRT_STATS_PARTS + p]));
                int64_t lag = prt_gauge_get(&s->part_lag[i * PRT_STATS_PARTS + p]);
                if (lag >= 0)
                    prt_buf_printf(b, ",\"lag\":%" PRId64, lag);
                prt_buf_putc(b, '}');
                first = 0;
            }
            prt_buf_putc(b, ']');
        }
        prt_buf_putc(b, '}');
    }
    prt_chk_record chk[PRT_STATS_CHK];
    int nchk = prt_stats_recent_checkpoints(s, chk, PRT_STATS_CHK);
    prt_buf_printf(b, "],\"checkpoints\":{\"completed\":%" PRIu64 ",\"failed\":%" PRIu64
                   ",\"last_duration_ms\":%" PRId64 ",\"last_bytes\":%" PRId64 ",\"history\":[",
                   prt_ctr_get(&s->checkpoints), prt_ctr_get(&s->checkpoints_failed),
                   prt_gauge_get(&s->chk_last_duration_ms), prt_gauge_get(&s->chk_last_bytes));
    for (int i = 0; i < nchk; i++)
        prt_buf_printf(b, "%s{\"id\":%" PRId64 ",\"at_ms\":%" PRId64 ",\"duration_ms\":%" PRId64
                       ",\"bytes\":%" PRId64 ",\"ok\":%s}", i ? "," : "", chk[i].id, chk[i].at_ms,
                       chk[i].duration_ms, chk[i].bytes, chk[i].ok ? "true" : "false");
    prt_recent_error rec[PRT_STATS_RECENT];
    uint64_t total = 0;
    int nrec = prt_stats_recent_errors(s, rec, PRT_STATS_RECENT, &total);
    prt_buf_printf(b, "]},\"recent_errors\":[");
    for (int i = 0; i < nrec; i++) {
        prt_buf_printf(b, "%s{\"at_ms\":%" PRId64 ",\"where\":", i ? "," : "", rec[i].at_ms);
        json_str(b, rec[i].where);
        prt_buf_puts(b, ",\"reason\":");
        json_str(b, rec[i].reason);
        prt_buf_putc(b, '}');
    }
    prt_buf_puts(b, "],\"yaml\":");
    json_str(b, d->yaml_text);
    prt_buf_puts(b, "}\n");
    graph_free(&g);
}

/* ---------------------------------------------------------------- Prometheus */

static void family(prt_buf *b, const char *name, const char *type, const char *help)
{
    prt_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format wants (\\, \" and \n). */
static void label(prt_buf *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            prt_buf_putc(b, '\\');
        if (*v == '\n') {
            prt_buf_puts(b, "\\n");
            continue;
        }
        prt_buf_putc(b, *v);
    }
}

static void prom_wm(prt_buf *b, int64_t w)
{
    if (w == INT64_MIN)
        prt_buf_puts(b, "-Inf\n");
    else if (w == INT64_MAX)
        prt_buf_puts(b, "+Inf\n");
    else
        prt_buf_printf(b, "%" PRId64 "\n", w);
}

void prt_admin_metrics(prt_job *j, prt_buf *b)
{
    const prt_job_desc *d = j->desc;
    prt_stats *s = j->stats;
    graph g;
    graph_init(&g, j);

    family(b, "pipec_records_in_total", "counter",
           "Records that reached the operator (a source: records read, bad ones included).");
    for (int i = 0; i < g.nn; i++) {
        prt_buf_puts(b, "pipec_records_in_total{operator=\"");
        label(b, g.n[i].id);
        prt_buf_printf(b, "\"} %" PRIu64 "\n", node_in(&g, i));
    }
    family(b, "pipec_records_out_total", "counter", "Records the operator emitted (a sink: records written).");
    for (int i = 0; i < g.nn; i++) {
        prt_buf_puts(b, "pipec_records_out_total{operator=\"");
        label(b, g.n[i].id);
        prt_buf_printf(b, "\"} %" PRIu64 "\n", node_out(&g, i));
    }
    family(b, "pipec_errors_total", "counter",
           "Bad records, by operator and reason (parse: did not parse at the source; eval: a stage failed).");
    for (int i = 0; i < g.nn && i < g.first_sink; i++) {
        prt_buf_puts(b, "pipec_errors_total{operator=\"");
        label(b, g.n[i].id);
        prt_buf_printf(b, "\",reason=\"%s\"} %" PRIu64 "\n", is_source(&g, i) ? "parse" : "eval",
                       prt_ctr_get(&s->node_errors[i]));
    }
    family(b, "pipec_late_records_total", "counter",
           "Records late for all their windows: dropped, or redirected to the late_output sink.");
    for (int i = 0; i < g.nn && i < g.first_sink; i++) {
        if (strcmp(g.n[i].kind, "window") && strcmp(g.n[i].kind, "join"))
            continue;
        prt_buf_puts(b, "pipec_late_records_total{operator=\"");
        label(b, g.n[i].id);
        prt_buf_printf(b, "\",action=\"dropped\"} %" PRIu64 "\n", prt_ctr_get(&s->node_late[i]));
        for (int k = g.first_sink; k < g.nn; k++)
            if (g.late[k] == i) {
                prt_buf_puts(b, "pipec_late_records_total{operator=\"");
                label(b, g.n[i].id);
                prt_buf_printf(b, "\",action=\"redirected\"} %" PRIu64 "\n", node_out(&g, k));
            }
    }
    family(b, "pipec_watermark_ms", "gauge", "Event-time watermark of a source (ms since the epoch; +Inf once its input ended).");
    for (int i = 0; i < d->nsources && i < s->nsources; i++) {
        if (!d->sources[i].event_time)
            continue;
        prt_buf_puts(b, "pipec_watermark_ms{source=\"");
        label(b, d->sources[i].name);
        prt_buf_puts(b, "\"} ");
        prom_wm(b, prt_gauge_get(&s->src_wm[i]));
    }
    family(b, "pipec_partition_watermark_ms", "gauge", "Event-time watermark of one source partition.");
    for (int i = 0; i < d->nsources && i < s->nsources; i++)
        for (int p = 0; p < PRT_STATS_PARTS && d->sources[i].event_time; p++) {
            if (!prt_gauge_get(&s->part_state[i * PRT_STATS_PARTS + p]))
                continue;
            char lb[16];
            prt_buf_puts(b, "pipec_partition_watermark_ms{source=\"");
            label(b, d->sources[i].name);
            prt_buf_puts(b, "\",partition=\"");
            label(b, part_label(s, i, p, lb, sizeof lb));
            prt_buf_puts(b, "\"} ");
            prom_wm(b, prt_gauge_get(&s->part_wm[i * PRT_STATS_PARTS + p]));
        }
    family(b, "pipec_kafka_consumer_lag", "gauge",
           "Records of a Kafka partition not read yet (high watermark last fetched minus next offset).");
    for (int i = 0; i < d->nsources && i < s->nsources; i++)
        for (int p = 0; p < PRT_STATS_PARTS; p++) {
            int64_t lag = prt_gauge_get(&s->part_lag[i * PRT_STATS_PARTS + p]);
            if (lag < 0)
                continue;
            char lb[16];
            prt_buf_puts(b, "pipec_kafka_consumer_lag{source=\"");
            label(b, d->sources[i].name);
            prt_buf_puts(b, "\",partition=\"");
            label(b, part_label(s, i, p, lb, sizeof lb));
            prt_buf_printf(b, "\"} %" PRId64 "\n", lag);
        }
    family(b, "pipec_source_reconnects_total", "counter",
           "Times a socket source lost its connection and connected again.");
    for (int i = 0; i < d->nsources && i < s->nsources; i++) {
        if (strcmp(d->sources[i].connector, "socket"))
            continue;
        prt_buf_puts(b, "pipec_source_reconnects_total{source=\"");
        label(b, d->sources[i].name);
        prt_buf_printf(b, "\"} %" PRIu64 "\n", prt_ctr_get(&s->src_reconnects[i]));
    }
    family(b, "pipec_checkpoints_total", "counter", "Completed checkpoints.");
    prt_buf_printf(b, "pipec_checkpoints_total %" PRIu64 "\n", prt_ctr_get(&s->checkpoints));
    family(b, "pipec_checkpoints_failed_total", "counter", "Checkpoints that failed.");
    prt_buf_printf(b, "pipec_checkpoints_failed_total %" PRIu64 "\n", prt_ctr_get(&s->checkpoints_failed));
    family(b, "pipec_checkpoint_duration_ms", "gauge", "Duration of the last completed checkpoint.");
    prt_buf_printf(b, "pipec_checkpoint_duration_ms %" PRId64 "\n", prt_gauge_get(&s->chk_last_duration_ms));
    family(b, "pipec_checkpoint_size_bytes", "gauge", "Size of the last completed checkpoint.");
    prt_buf_printf(b, "pipec_checkpoint_size_bytes %" PRId64 "\n", prt_gauge_get(&s->chk_last_bytes));
    family(b, "pipec_state_keys", "gauge", "Live keys in a stateful operator.");
    for (int i = 0; i < d->noperators && i < s->noperators; i++) {
        prt_buf_puts(b, "pipec_state_keys{operator=\"");
        label(b, d->operators[i].id);
        prt_buf_printf(b, "\"} %" PRId64 "\n", prt_gauge_get(&s->op_keys[i]));
    }
    family(b, "pipec_state_windows", "gauge", "Live windows (panes) in a stateful operator.");
    for (int i = 0; i < d->noperators && i < s->noperators; i++) {
        prt_buf_puts(b, "pipec_state_windows{operator=\"");
        label(b, d->operators[i].id);
        prt_buf_printf(b, "\"} %" PRId64 "\n", prt_gauge_get(&s->op_windows[i]));
    }
    family(b, "pipec_state_checkpointed_bytes", "gauge",
           "Bytes of a stateful operator's state in the last completed checkpoint (rocksdb: its in-memory part).");
    for (int i = 0; i < d->noperators && i < s->noperators; i++) {
        prt_buf_puts(b, "pipec_state_checkpointed_bytes{operator=\"");
        label(b, d->operators[i].id);
        prt_buf_printf(b, "\"} %" PRId64 "\n", prt_gauge_get(&s->op_chk_bytes[i]));
    }
    family(b, "pipec_resident_memory_bytes", "gauge", "Resident set size of the process.");
    prt_buf_printf(b, "pipec_resident_memory_bytes %" PRId64 "\n", prt_stats_rss());
    family(b, "pipec_start_time_seconds", "gauge", "When the job started (seconds since the epoch).");
    prt_buf_printf(b, "pipec_start_time_seconds %.3f\n", (double)prt_gauge_get(&s->started_ms) / 1000.0);
    family(b, "pipec_ready", "gauge", "1 when sources are connected and restore is done.");
    prt_buf_printf(b, "pipec_ready %d\n", prt_gauge_get(&s->ready) ? 1 : 0);
    graph_free(&g);
}

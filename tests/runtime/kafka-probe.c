/* kafka-probe.c — a hand-written "generated" job for testing the Kafka connectors without pipec.
 *
 *   kafka-probe [--name PIPELINE] [--event-time] [--to-kafka] [-s PATH=VALUE]... -- run [OPTIONS]
 *
 * One kafka source `in` (format raw) and one sink `out` (stdout, or kafka with --to-kafka).
 * Each record is written as `<topic> p=<dense partition> o=<offset> ts=<timestamp> key=<key>
 * value=<value>` (to kafka: the key, value and timestamp unchanged). With --event-time the
 * event time is the value when it is a plain integer (ms), else the record timestamp, and every
 * watermark advance is written as `wm=<ms>`.
 * -s adds a setting as if the YAML held it (settings the job knows; --set overrides them). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_job.h"

static int probe_to_kafka;

static int probe_record(prt_worker *wk, const prt_raw *raw, int64_t *ts, prt_err *e)
{
    if (probe_to_kafka) {
        prt_emit(wk, 0, raw->key, raw->data, raw->timestamp);
    } else {
        prt_buf_clear(&wk->out);
        prt_buf_printf(&wk->out, "%s p=%d o=%" PRId64 " ts=%" PRId64 " key=%.*s value=%.*s", raw->origin,
                       raw->partition, raw->offset, raw->timestamp == PRT_NO_TS ? -1 : raw->timestamp,
                       (int)raw->key.n, raw->key.p, (int)raw->data.n, raw->data.p);
        prt_emit(wk, 0, (prt_str){ 0 }, prt_buf_str(&wk->out), raw->timestamp);
    }
    *ts = raw->timestamp;
    if (raw->data.n > 0 && raw->data.n < 20) {
        char num[24];
        memcpy(num, raw->data.p, raw->data.n);
        num[raw->data.n] = 0;
        char *end;
        long long v = strtoll(num, &end, 10);
        if (*end == 0)
            *ts = v;
    }
    return PRT_OK;
}

static void probe_watermark(prt_worker *wk, int source, int64_t wm)
{
    if (probe_to_kafka)
        return;
    char line[64];
    snprintf(line, sizeof line, "wm=%" PRId64, wm);
    prt_emit(wk, 0, (prt_str){ 0 }, prt_str_c(line), PRT_NO_TS);
}

int main(int argc, char **argv)
{
    static prt_setting_desc settings[256];
    int nsettings = 0, event_time = 0, i = 1;
    const char *name = "kafka_probe";
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--event-time") == 0) {
            event_time = 1;
        } else if (strcmp(argv[i], "--to-kafka") == 0) {
            probe_to_kafka = 1;
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc && nsettings < 256) {
            char *eq = strchr(argv[++i], '=');
            if (!eq) {
                fprintf(stderr, "kafka-probe: -s wants PATH=VALUE\n");
                return 2;
            }
            *eq = 0;
            settings[nsettings++] = (prt_setting_desc){ argv[i], eq + 1, 1, 1 };
        } else {
            fprintf(stderr, "usage: kafka-probe [--name P] [--event-time] [--to-kafka] [-s PATH=VALUE]... -- run ...\n");
            return 2;
        }
    }
    static prt_source_desc src = { "in", "kafka", "raw", 0, probe_record, NULL };
    static prt_sink_desc snk = { "out", "stdout", "json", NULL };
    src.event_time = event_time;
    if (probe_to_kafka)
        snk.connector = "kafka";
    static prt_job_desc d = {
        .abi = PRT_ABI_VERSION, .pipec_version = "probe", .yaml_name = "kafka-probe",
        .yaml_sha256 = "", .yaml_text = "", .sources = &src, .nsources = 1, .sinks = &snk,
        .nsinks = 1, .errors_sink = -1, .watermark = probe_watermark,
    };
    d.pipeline = name;
    d.settings = settings;
    d.nsettings = nsettings;
    argv[i - 1 < argc ? i - 1 : 0] = argv[0];
    if (i >= argc) {
        fprintf(stderr, "kafka-probe: missing -- run\n");
        return 2;
    }
    return prt_main(argc - i, argv + i, &d);
}

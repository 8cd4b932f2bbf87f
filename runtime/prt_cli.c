/* prt_cli.c — prt_main, the binary's command line: run (and its options), describe, savepoint,
 * --help and --version, with their exit codes (0 success, 1 failure, 2 usage error).
 *
 * `run` itself lives in prt_run.c; a connector's run mode (e.g. --embedded-kafka) is found in
 * the connector registry, so the command line knows no connector by name.
 */
#include "prt_admin.h"
#include "prt_jobpriv.h"
#include "prt_snap.h"
#include "prt_ptest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *prog, const prt_job_desc *d)
{
    const prt_run_mode *m;
    fprintf(f, "usage: %s run [--set PATH=VALUE]...", prog);
    for (int i = 0; (m = prt_run_mode_at(i)) != NULL; i++)
        fprintf(f, " [%s]", m->flag);
    fprintf(f,
            " [--quiet]\n"
            "                [--from-savepoint DIR] [--allow-non-restored-state]\n"
            "                [--savepoint-on-exit DIR [--drain]]\n"
            "                [--admin ADDR] [--log-format text|json]\n"
            "       %s describe\n"
            "       %s savepoint [--admin ADDR] DIR\n"
            "       %s savepoint dump DIR [--operator ID] | savepoint check DIR\n"
            "       %s stop [--admin ADDR] [--savepoint DIR] [--drain] [--no-wait]\n"
            "       %s health [--admin ADDR] [--ready]\n"
            "       %s --help | --version\n"
            "\n"
            "Pipeline %s, built by pipec %s from %s.\n"
            "\n"
            "  run        run the pipeline until its input ends (bounded sources) or SIGINT/SIGTERM\n"
            "  describe   sources, sinks, operator IDs and state schemas, settings, and the YAML\n"
            "  --set PATH=VALUE    override a setting at start, e.g. --set sources.in.file.path=x.kv\n"
            "  --from-savepoint DIR        restore operator state, source positions and watermarks\n"
            "  --allow-non-restored-state  drop saved state of operators this build lacks\n"
            "  --savepoint-on-exit DIR     at the end of bounded input, write a savepoint; open windows\n"
            "                              stay open unless --drain fires them first\n"
            "  savepoint dump DIR  the savepoint's state as JSON lines, then its source positions\n"
            "  savepoint check DIR what restoring DIR would do, one line per operator ID\n",
            prog, prog, prog, prog, prog, prog, d->pipeline, d->pipec_version, d->yaml_name);
    for (int i = 0; (m = prt_run_mode_at(i)) != NULL; i++)
        fprintf(f, "  %-18s  %s\n", m->flag, m->help);
    fprintf(f,
            "  --quiet             no progress lines and no final summary on stderr\n"
            "  --admin ADDR        serve the admin endpoint (page, /metrics, /api/job) at ADDR\n"
            "                      (HOST:PORT; a bare :PORT is loopback); default: admin.listen\n"
            "  --log-format json   one JSON object per log line on stderr (default: text)\n"
            "  savepoint, stop     act on the job running with that admin address; stop waits\n"
            "                      until it has exited (--drain fires open windows first); a DIR\n"
            "                      ending in / gets a new savepoint-<UTC time> inside\n"
            "  health              exit 0 when the job at the admin address is alive (--ready:\n"
            "                      ready); for container health checks\n"
            "\n"
            "Exit status: 0 success (also after SIGINT/SIGTERM), 1 runtime failure, 2 usage or\n"
            "configuration error.\n");
}

static void describe(const prt_job_desc *d)
{
    printf("pipeline: %s\n", d->pipeline);
    printf("built by: pipec %s\n", d->pipec_version);
    printf("yaml: %s (sha256 %s)\n", d->yaml_name, d->yaml_sha256);
    printf("\nsources:\n");
    for (int i = 0; i < d->nsources; i++)
        printf("  %s: %s, format %s%s\n", d->sources[i].name, d->sources[i].connector,
               d->sources[i].format, d->sources[i].event_time ? ", event time" : "");
    printf("\nsinks:\n");
    for (int i = 0; i < d->nsinks; i++)
        printf("  %s: %s, format %s%s\n", d->sinks[i].name, d->sinks[i].connector,
               d->sinks[i].format, i == d->errors_sink ? " (errors)" : "");
    printf("\noperators (operator IDs tie state to savepoints; %d key groups, state.max_parallelism):\n",
           d->max_parallelism);
    if (!d->noperators)
        printf("  (none with state)\n");
    for (int i = 0; i < d->noperators; i++) {
        const prt_operator_desc *op = &d->operators[i];
        printf("  %s: %s\n", op->id, op->kind);
        if (op->previous_id)
            printf("    renamed from: %s\n", op->previous_id);
        printf("    state: %s\n", op->state ? op->state : "");
        if (op->key && op->acc) {
            printf("    fingerprints: key %016llx", (unsigned long long)prt_schema_key_fp(op->key));
            for (uint32_t k = 0; k < op->acc->nfields; k++)
                if (!k || strcmp(op->acc->fields[k - 1].name, op->acc->fields[k].name))
                    printf(", %s %016llx", op->acc->fields[k].name,
                           (unsigned long long)prt_schema_agg_fp(op->acc, op->acc->fields[k].name));
            printf("\n");
        }
    }
    printf("\nsettings:\n");
    for (int i = 0; i < d->nsettings; i++)
        printf("  %s = %s\n", d->settings[i].path, d->settings[i].value);
    printf("\nyaml (%s):\n", d->yaml_name);
    const char *y = d->yaml_text ? d->yaml_text : "";
    fputs(y, stdout);
    if (*y && y[strlen(y) - 1] != '\n')
        putchar('\n');
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past a separate value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *missing = 1;
        return 1;
    }
    *val = argv[++*i];
    return 1;
}

/* A connector's run mode named by a, or NULL. */
static const prt_run_mode *run_mode(const char *a)
{
    const prt_run_mode *m;
    for (int i = 0; (m = prt_run_mode_at(i)) != NULL; i++)
        if (strcmp(a, m->flag) == 0)
            return m;
    return NULL;
}

/* Parses the options of `run` and runs; returns the exit status. */
static int cmd_run(int argc, char **argv, const char *prog, const prt_job_desc *d)
{
    prt_run_opts o = { 0 };
    const prt_run_mode *m;
    o.sets = calloc((size_t)argc, sizeof *o.sets);
    prt_assert(o.sets != NULL);
    int code = -1;
    for (int i = 2; i < argc && code < 0; i++) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            o.quiet = 1;
        else if ((m = run_mode(a)) != NULL) {
            int seen = 0;
            for (int k = 0; k < o.nmodes; k++)
                seen |= o.modes[k] == m;
            if (!seen && o.nmodes < (int)(sizeof o.modes / sizeof *o.modes))
                o.modes[o.nmodes++] = m;
        } else if (strcmp(a, "--allow-non-restored-state") == 0)
            o.allow_non_restored = 1;
        else if (strcmp(a, "--drain") == 0)
            o.drain = 1;
        else if (opt_value(argc, argv, &i, "--savepoint-on-exit", &v, &missing)) {
            o.savepoint_on_exit = v;
        } else if (opt_value(argc, argv, &i, "--set", &v, &missing)) {
            if (!missing)
                o.sets[o.nsets++] = v;
        } else if (opt_value(argc, argv, &i, "--admin", &v, &missing)) {
            o.admin = v;
        } else if (opt_value(argc, argv, &i, "--log-format", &v, &missing)) {
            if (!missing && prt_log_format(v) != PRT_OK) {
                fprintf(stderr, "%s: run: --log-format: expected text or json, not '%s'\n", prog, v);
                code = 2;
            }
        } else if (opt_value(argc, argv, &i, "--from-savepoint", &v, &missing)) {
            o.from_savepoint = v;
        } else {
            fprintf(stderr, "%s: run: unknown option '%s' (see --help)\n", prog, a);
            code = 2;
        }
        if (missing) {
            fprintf(stderr, "%s: run: %s needs a value\n", prog, a);
            code = 2;
        }
    }
    if (code < 0 && o.drain && !o.savepoint_on_exit) {
        fprintf(stderr, "%s: run: --drain goes with --savepoint-on-exit DIR\n", prog);
        code = 2;
    }
    if (code < 0)
        code = prt_run_job(d, &o);
    free(o.sets);
    return code;
}

int prt_main(int argc, char **argv, const prt_job_desc *d)
{
    const char *prog = argc > 0 && argv[0] ? argv[0] : d->pipeline;
    const char *slash = strrchr(prog, '/');
    if (slash)
        prog = slash + 1;

    if (d->abi != PRT_ABI_VERSION) {
        fprintf(stderr, "%s: generated for runtime ABI %d, this runtime is ABI %d: rebuild with pipec\n",
                prog, d->abi, PRT_ABI_VERSION);
        return 1;
    }
    if (argc < 2) {
        usage(stderr, prog, d);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout, prog, d);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s built by pipec %s from %s (sha256 %s)\n", d->pipeline, d->pipec_version,
               d->yaml_name, d->yaml_sha256);
        return 0;
    }
    if (strcmp(cmd, "describe") == 0) {
        if (argc > 2) {
            fprintf(stderr, "%s: describe: unexpected argument '%s'\n", prog, argv[2]);
            return 2;
        }
        describe(d);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "test") == 0) /* pipec test's runner; not in --help: pipec drives it */
        return prt_ptest_cli(argc, argv, prog, d);
    if (strcmp(cmd, "savepoint") == 0 && argc > 2 && (strcmp(argv[2], "dump") == 0 || strcmp(argv[2], "check") == 0))
        return prt_snap_cli(argc, argv, prog, d);
    if (strcmp(cmd, "savepoint") == 0 || strcmp(cmd, "stop") == 0 || strcmp(cmd, "health") == 0)
        return prt_admin_cli(argc, argv, prog, d); /* act on the running job at its admin address */
    if (strcmp(cmd, "run") != 0) {
        fprintf(stderr, "%s: unknown command '%s' (expected run, describe, savepoint, stop, health, --help or --version)\n",
                prog, cmd);
        return 2;
    }
    return cmd_run(argc, argv, prog, d);
}

/* measure.c — runs a command and writes its CPU time, peak RSS and wall time to a file:
 *   measure STATS_FILE COMMAND [ARG]...
 * STATS_FILE gets one line "rc=N cpu_s=U+S maxrss_kb=K wall_s=W user_s=U sys_s=S". bench/run measures every
 * system through it: a child forked from this small program starts with a small RSS, whereas
 * one forked from Python would report Python's own peak as the child's (Linux keeps the peak
 * RSS across execve). Exit status: the command's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: measure STATS_FILE COMMAND [ARG]...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    double user = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "rc=%d cpu_s=%.6f maxrss_kb=%ld wall_s=%.6f user_s=%.6f sys_s=%.6f\n", rc, user + sys,
            ru.ru_maxrss, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            user, sys);
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    return rc;
}

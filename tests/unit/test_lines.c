/* test_lines.c — unit tests of prt_lines: the same lines, line numbers and byte positions from a
 * mapped file (small windows, so lines cross window ends) as from read(); a start at a byte
 * offset (a restored position); a file that grows while mapped; a last line without a newline;
 * a line longer than the window; a file truncated under the reader.
 */
#include "prt_lines.h"
#include "prt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];
static char got[1 << 20];

static void write_file(const char *text, size_t n, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

/* Every line as "<number>:<text>|", reading to the end the way the file source does; the byte
 * position after the last line in *end. */
static const char *read_all(prt_lines *l, int64_t *end)
{
    size_t n = 0;
    int64_t consumed = l->mapped ? l->map_at : 0;
    got[0] = 0;
    for (;;) {
        prt_str line;
        if (prt_lines_next(l, &line, l->eof)) {
            n += (size_t)snprintf(got + n, sizeof got - n, "%lld:%.*s|", (long long)l->line, (int)line.n, line.p);
            continue;
        }
        if (l->eof)
            break;
        ssize_t r = prt_lines_fill(l);
        if (r < 0)
            return "ERR";
        if (r == 0)
            l->eof = 1;
        consumed += r;
    }
    *end = consumed - (int64_t)(l->len - l->off);
    return got;
}

/* Lines of every length from 1 to 300 bytes (so each window end falls inside some line), some
 * empty, one "\r\n"; the expected rendering in want. */
static size_t make_text(char *text, char *want)
{
    size_t n = 0, w = 0;
    int line = 0;
    for (int len = 1; len <= 300; len++) {
        line++;
        if (len % 37 == 0) { /* an empty line: counted, skipped */
            text[n++] = '\n';
            line++;
        }
        if (len % 53 == 0) { /* a line of a lone '\r': empty too */
            text[n++] = '\r';
            text[n++] = '\n';
            line++;
        }
        w += (size_t)sprintf(want + w, "%d:", line);
        for (int i = 0; i < len; i++) {
            char c = (char)('a' + (len + i) % 26);
            text[n++] = c;
            want[w++] = c;
        }
        want[w++] = '|';
        if (len == 150)
            text[n++] = '\r';
        text[n++] = '\n';
    }
    want[w] = 0;
    return n;
}

TEST(mapped_same_as_read)
{
    static char text[64000], want[64000];
    size_t n = make_text(text, want);
    write_file(text, n, "wb");
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    prt_lines l;
    int64_t end;
    prt_lines_init(&l, fd);
    CHECK_EQ_S(read_all(&l, &end), want); /* read() */
    CHECK_EQ_I(end, n);
    size_t windows[] = { 4096, 8192, 65536, PRT_LINES_WINDOW };
    for (size_t k = 0; k < sizeof windows / sizeof *windows; k++) {
        CHECK_EQ_I(prt_lines_map(&l, fd, 0, windows[k]), PRT_OK);
        CHECK_EQ_S(read_all(&l, &end), want);
        CHECK_EQ_I(end, n);
    }
    prt_lines_free(&l);
    close(fd);
}

TEST(mapped_from_offset)
{
    /* a restored position: the byte offset of line 3 and the number of the last line before */
    const char *text = "first line\nsecond line\nthird line\nfourth line, no newline";
    write_file(text, strlen(text), "wb");
    int fd = open(path, O_RDONLY);
    prt_lines l;
    int64_t end;
    prt_lines_init(&l, -1);
    CHECK_EQ_I(prt_lines_map(&l, fd, 23, 4096), PRT_OK);
    l.line = 2;
    CHECK_EQ_S(read_all(&l, &end), "3:third line|4:fourth line, no newline|");
    CHECK_EQ_I(end, strlen(text));
    /* an offset past the first page: the window starts at that page */
    static char big[20000];
    memset(big, 'x', sizeof big);
    for (size_t i = 99; i < sizeof big; i += 100)
        big[i] = '\n';
    write_file(big, sizeof big, "wb");
    CHECK_EQ_I(prt_lines_map(&l, fd, 19900, 4096), PRT_OK);
    CHECK_EQ_S(read_all(&l, &end), "1:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|");
    CHECK_EQ_I(end, sizeof big);
    prt_lines_free(&l);
    close(fd);
}

TEST(mapped_long_line)
{
    /* a line of 3 windows: the window grows to hold it */
    static char text[13000];
    memset(text, 'y', sizeof text);
    text[5] = '\n';
    text[12500] = '\n';
    write_file(text, sizeof text, "wb");
    int fd = open(path, O_RDONLY);
    prt_lines l;
    int64_t end;
    prt_lines_init(&l, -1);
    CHECK_EQ_I(prt_lines_map(&l, fd, 0, 4096), PRT_OK);
    read_all(&l, &end);
    CHECK(!strncmp(got, "1:yyyyy|2:yyy", 13));
    CHECK_EQ_I(strlen(got), 2 + 5 + 1 + 2 + 12494 + 1 + 2 + 499 + 1);
    CHECK_EQ_I(end, sizeof text);
    prt_lines_free(&l);
    close(fd);
}

TEST(mapped_file_grows)
{
    /* bytes appended after the end was reached are mapped by the next fill; a partial line waits */
    write_file("one\ntw", 6, "wb");
    int fd = open(path, O_RDONLY);
    prt_lines l;
    prt_str line;
    prt_lines_init(&l, -1);
    CHECK_EQ_I(prt_lines_map(&l, fd, 0, 4096), PRT_OK);
    CHECK_EQ_I(prt_lines_fill(&l), 6);
    CHECK_EQ_I(prt_lines_next(&l, &line, 0), 1);
    CHECK_EQ_PS(line, "one");
    CHECK_EQ_I(prt_lines_next(&l, &line, 0), 0); /* "tw" has no newline yet */
    CHECK_EQ_I(prt_lines_fill(&l), 0);
    write_file("o\nthree\n", 8, "ab");
    CHECK_EQ_I(prt_lines_fill(&l), 8);
    CHECK_EQ_I(prt_lines_next(&l, &line, 0), 1);
    CHECK_EQ_PS(line, "two");
    CHECK_EQ_I(prt_lines_next(&l, &line, 0), 1);
    CHECK_EQ_PS(line, "three");
    CHECK_EQ_I(l.line, 3);
    CHECK_EQ_I(prt_lines_next(&l, &line, 1), 0);
    prt_lines_free(&l);
    close(fd);
}

TEST(mapped_file_truncated)
{
    /* another process cuts the file short while it is mapped: the lines of the first page come
     * out, then no line from past the cut (no SIGBUS, no zero bytes), and the fill says EIO */
    static char text[3 * 4096];
    for (size_t i = 0; i < sizeof text; i += 16)
        memcpy(text + i, "line of sixteen\n", 16);
    write_file(text, sizeof text, "wb");
    int fd = open(path, O_RDONLY);
    prt_lines l;
    prt_str line;
    prt_lines_init(&l, -1);
    CHECK_EQ_I(prt_lines_map(&l, fd, 0, 3 * 4096), PRT_OK);
    CHECK_EQ_I(prt_lines_fill(&l), 3 * 4096);
    CHECK_EQ_I(prt_lines_next(&l, &line, 0), 1);
    CHECK_EQ_PS(line, "line of sixteen");
    CHECK_EQ_I(truncate(path, 4096), 0);
    int n = 1;
    while (prt_lines_next(&l, &line, 0)) {
        CHECK_EQ_PS(line, "line of sixteen");
        n++;
    }
    CHECK(l.truncated);
    CHECK(n <= 4096 / 16);
    errno = 0;
    CHECK_EQ_I(prt_lines_fill(&l), -1);
    CHECK_EQ_I(errno, EIO);
    CHECK_EQ_I(prt_lines_next(&l, &line, 1), 0);
    prt_lines_free(&l);
    close(fd);
}

TEST(mapped_unmaps_behind)
{
    /* 3 MiB of numbered lines through 2 MiB windows: every line in order, and the pages behind
     * the reader given back as it goes (unmapped moves past 0 within a window) */
    enum { LINES = 300000 };
    static char text[LINES * 11 + 1];
    for (int i = 0; i < LINES; i++)
        snprintf(text + (size_t)i * 11, 12, "line %05u\n", (unsigned)i % 100000u);
    write_file(text, (size_t)LINES * 11, "wb");
    int fd = open(path, O_RDONLY);
    prt_lines l;
    prt_str line;
    prt_lines_init(&l, -1);
    CHECK_EQ_I(prt_lines_map(&l, fd, 0, (size_t)2 << 20), PRT_OK);
    int n = 0, bad = 0;
    size_t most_unmapped = 0;
    for (;;) {
        if (prt_lines_next(&l, &line, l.eof)) {
            char want[16];
            snprintf(want, sizeof want, "line %05d", n % 100000);
            bad += line.n != 10 || memcmp(line.p, want, 10) != 0;
            n++;
            if (l.unmapped > most_unmapped)
                most_unmapped = l.unmapped;
            continue;
        }
        if (l.eof)
            break;
        ssize_t r = prt_lines_fill(&l);
        CHECK(r >= 0);
        if (r == 0)
            l.eof = 1;
    }
    CHECK_EQ_I(n, LINES);
    CHECK_EQ_I(bad, 0);
    CHECK(most_unmapped >= PRT_LINES_UNMAP);
    prt_lines_free(&l);
    close(fd);
}

TEST(map_refuses_non_files)
{
    int p[2];
    CHECK(pipe(p) == 0);
    prt_lines l;
    prt_lines_init(&l, p[0]);
    CHECK_EQ_I(prt_lines_map(&l, p[0], 0, 4096), PRT_ERR);
    CHECK_EQ_I(l.mapped, 0);
    CHECK_EQ_I(l.fd, p[0]);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/prt-test-lines.%d", (int)getpid());
    RUN(mapped_same_as_read);
    RUN(mapped_from_offset);
    RUN(mapped_long_line);
    RUN(mapped_file_grows);
    RUN(mapped_file_truncated);
    RUN(mapped_unmaps_behind);
    RUN(map_refuses_non_files);
    unlink(path);
    return test_summary();
}

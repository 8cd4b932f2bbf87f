/* prt_fsutil.c — file-system helpers for durable state (see prt_fsutil.h). */
#include "prt_fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char *prt_path_join(const char *a, const char *b)
{
    prt_buf p = { 0 };
    prt_buf_printf(&p, "%s/%s", a, b);
    return p.p; /* realloc'd by prt_buf: free() releases it */
}

int prt_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return PRT_ERR;
        }
        if (w == 0) {
            errno = EIO;
            return PRT_ERR;
        }
        c += w;
        n -= (size_t)w;
    }
    return PRT_OK;
}

int prt_fsync_dir(const char *dir, prt_err *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return prt_errf(e, "%s: cannot open directory: %s", dir, strerror(errno));
    if (fsync(fd) != 0) {
        int err = errno;
        close(fd);
        return prt_errf(e, "%s: fsync of directory failed: %s", dir, strerror(err));
    }
    close(fd);
    return PRT_OK;
}

int prt_fsync_parent(const char *path, prt_err *e)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return prt_fsync_dir(".", e);
    if (slash == path)
        return prt_fsync_dir("/", e);
    prt_buf d = { 0 };
    prt_buf_put(&d, path, (size_t)(slash - path));
    prt_buf_putc(&d, 0);
    int rc = prt_fsync_dir(d.p, e);
    prt_buf_free(&d);
    return rc;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int prt_dir_list(const char *dir, char ***names, size_t *n, prt_err *e)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return prt_errf(e, "%s: cannot open directory: %s", dir, strerror(errno));
    prt_buf arr = { 0 }; /* an array of char * */
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        prt_buf nb = { 0 };
        prt_buf_puts(&nb, de->d_name);
        prt_buf_putc(&nb, 0);
        char *s = nb.p;
        prt_buf_put(&arr, &s, sizeof s);
        errno = 0;
    }
    int err = errno;
    closedir(d);
    *names = (char **)(void *)arr.p;
    *n = arr.n / sizeof(char *);
    if (err) {
        prt_dir_list_free(*names, *n);
        *names = NULL;
        *n = 0;
        return prt_errf(e, "%s: cannot read directory: %s", dir, strerror(err));
    }
    if (*n)
        qsort(*names, *n, sizeof(char *), cmp_names);
    return PRT_OK;
}

void prt_dir_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int prt_rmtree(const char *path, prt_err *e)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return PRT_OK;
        return prt_errf(e, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        char **names;
        size_t n;
        if (prt_dir_list(path, &names, &n, e) != PRT_OK)
            return PRT_ERR;
        int rc = PRT_OK;
        for (size_t i = 0; i < n && rc == PRT_OK; i++) {
            char *sub = prt_path_join(path, names[i]);
            rc = prt_rmtree(sub, e);
            free(sub);
        }
        prt_dir_list_free(names, n);
        if (rc != PRT_OK)
            return rc;
        if (rmdir(path) != 0 && errno != ENOENT)
            return prt_errf(e, "%s: cannot remove directory: %s", path, strerror(errno));
        return PRT_OK;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        return prt_errf(e, "%s: cannot remove: %s", path, strerror(errno));
    return PRT_OK;
}

static int copy_file(const char *src, const char *dst, prt_err *e)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return prt_errf(e, "%s: cannot open: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int err = errno;
        close(in);
        return prt_errf(e, "%s: cannot create: %s", dst, strerror(err));
    }
    prt_buf b = { 0 };
    prt_buf_reserve(&b, 1 << 16);
    char *buf = b.p;
    size_t bufsz = b.cap;
    int rc = PRT_OK;
    for (;;) {
        ssize_t r = read(in, buf, bufsz);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = prt_errf(e, "%s: read failed: %s", src, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if (prt_write_all(out, buf, (size_t)r) != PRT_OK) {
            rc = prt_errf(e, "%s: write failed: %s", dst, strerror(errno));
            break;
        }
    }
    if (rc == PRT_OK && fsync(out) != 0)
        rc = prt_errf(e, "%s: fsync failed: %s", dst, strerror(errno));
    prt_buf_free(&b);
    close(in);
    if (close(out) != 0 && rc == PRT_OK)
        rc = prt_errf(e, "%s: close failed: %s", dst, strerror(errno));
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int prt_copytree(const char *src, const char *dst, const char *link_suffix, prt_err *e)
{
    struct stat st;
    if (stat(src, &st) != 0)
        return prt_errf(e, "%s: cannot stat: %s", src, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (link_suffix && ends_with(src, link_suffix) && link(src, dst) == 0)
            return PRT_OK;
        return copy_file(src, dst, e);
    }
    if (mkdir(dst, 0755) != 0)
        return prt_errf(e, "%s: cannot create directory: %s", dst, strerror(errno));
    char **names;
    size_t n;
    if (prt_dir_list(src, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        char *s = prt_path_join(src, names[i]), *d = prt_path_join(dst, names[i]);
        rc = prt_copytree(s, d, link_suffix, e);
        free(s);
        free(d);
    }
    prt_dir_list_free(names, n);
    if (rc == PRT_OK)
        rc = prt_fsync_dir(dst, e);
    return rc;
}

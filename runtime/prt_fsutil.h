/* prt_fsutil.h — small file-system helpers for durable state: fsync of a directory, recursive
 * remove, a tree copy that hard-links immutable files, and a sorted directory listing.
 *
 * Every function returns PRT_OK or PRT_ERR with a one-line reason (naming the path and errno's
 * text) in *e. prt_dir_list returns an array the caller owns (prt_dir_list_free).
 */
#ifndef PRT_FSUTIL_H
#define PRT_FSUTIL_H

#include "prt_core.h"

int prt_fsync_dir(const char *dir, prt_err *e);
/* fsyncs the directory that holds path ("." when path has no slash) */
int prt_fsync_parent(const char *path, prt_err *e);
/* write(2) until all n bytes are written; EINTR retried; a short write is an error with errno */
int prt_write_all(int fd, const void *p, size_t n);
/* removes path and everything under it; a missing path is not an error */
int prt_rmtree(const char *path, prt_err *e);
/* copies the tree src into dst (which must not exist); regular files whose name ends with
 * link_suffix (NULL: none) are hard-linked instead (copied if linking fails); each copied file
 * and each directory is fsynced. */
int prt_copytree(const char *src, const char *dst, const char *link_suffix, prt_err *e);
/* the entry names of dir (without "." and ".."), sorted bytewise */
int prt_dir_list(const char *dir, char ***names, size_t *n, prt_err *e);
void prt_dir_list_free(char **names, size_t n);
/* malloc'd "a/b" (aborts on out of memory) */
char *prt_path_join(const char *a, const char *b);

#endif

/*
 * fileio.h — replacing a small file atomically: written to PATH.tmp,
 * fsync'd, renamed over PATH, and the directory fsync'd, so that a crash
 * leaves the old or the new version, never a mix.  The offset file and
 * walcap server's state directory are written so.
 */
#ifndef WALCAP_FILEIO_H
#define WALCAP_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data[0..len) (file mode mode); 0, or -1 with err set. */
int		file_replace(const char *path, const void *data, size_t len, mode_t mode,
					 char *err, size_t errlen);

/*
 * Read all of path (at most max bytes) into a NUL-terminated malloc'd
 * string the caller frees; *len_out (if not NULL) gets its length.
 * NULL with err set (errno preserved: ENOENT for a missing file; EFBIG
 * for one longer than max).
 */
char   *file_read_all(const char *path, size_t max, size_t *len_out,
					  char *err, size_t errlen);

#endif

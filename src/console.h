/*
 * console.h — the web console's files (everything in web/), embedded
 * in the binary at build time, for `walcap server` to serve at /.
 *
 * The Makefile runs scripts/embed.c over the files of web/ to generate
 * $(B)/console_assets.c, which defines console_files[] below; nothing is
 * read from disk at run time, and nothing comes from a CDN.  The data is
 * static and read-only: any thread may call console_asset().
 */
#ifndef WALCAP_CONSOLE_H
#define WALCAP_CONSOLE_H

#include <stddef.h>

/* One embedded file; the generated table (scripts/embed.c) is made of these. */
struct console_file
{
	const char *path;			/* "/index.html": "/" and the file's name */
	const unsigned char *data;	/* len bytes, then one NUL */
	size_t		len;
};

extern const struct console_file console_files[];
extern const int console_nfiles;

/*
 * The file served at path ("/" is "/index.html"): 0 with *data, *len and
 * *content_type (static strings) set, or -1 when there is none.
 */
int			console_asset(const char *path, const unsigned char **data, size_t *len,
						  const char **content_type);

#endif

/*
 * offset.h — the local offset file: the last position walcap confirmed
 * with everything before it durable in the sink, kept so that a restart
 * skips what was already delivered.
 *
 * The file is small text (key=value lines) and replaced atomically:
 * written to FILE.tmp, fsync'd, renamed over FILE, and the directory
 * fsync'd, so a crash leaves the old or the new version, never a mix.
 * It records which server, database and slot the position belongs to;
 * a file from another one is ignored with a warning rather than used.
 */
#ifndef WALCAP_OFFSET_H
#define WALCAP_OFFSET_H

#include <stddef.h>
#include <stdint.h>

struct offset
{
	char		systemid[32];	/* IDENTIFY_SYSTEM's system identifier */
	char		dbname[128];
	char		slot[128];
	uint64_t	lsn;			/* end LSN of the last durable transaction */
	char		sink_path[512];	/* file sink: its path, "" for stdout */
	uint64_t	sink_size;		/* file sink: its size at lsn */
	char	   *snapshot;		/* snapshot progress at lsn (one line of
								 * JSON), or NULL; offset_load() allocates
								 * it, offset_save() only reads it */
};

/*
 * Read path into *o.  Returns 1 if read, 0 if the file does not exist,
 * -1 with err set if it exists but cannot be read or parsed.
 */
int		offset_load(const char *path, struct offset *o, char *err, size_t errlen);

/* Free what offset_load() allocated in *o. */
void	offset_clear(struct offset *o);

/* Replace path atomically with *o; 0, or -1 with err set. */
int		offset_save(const char *path, const struct offset *o, char *err, size_t errlen);

#endif

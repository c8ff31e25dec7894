/*
 * sigdone.h — the ids of execute-snapshot signals whose snapshots are
 * over (finished, stopped, or with nothing to read), kept while the
 * server could still send their signal rows again.
 *
 * A signal row comes again when the stream restarts from a position
 * before it: after a crash (the slot resends from its confirmed
 * position) or a reconnect cut its transaction.  walcap already skips
 * every transaction at or before the position it recorded as delivered,
 * which covers a crash; the ids are the second guard, and they also
 * catch a signal row written again with the same id, which Debezium's
 * signal contract (ids are unique) allows walcap to take as the same
 * request.
 *
 * The bound: an id is kept until walcap has confirmed to the server a
 * position at or past the one where its snapshot ended (its "lsn",
 * which is after the signal's commit).  The server never sends again
 * a transaction that committed before its slot's confirmed position,
 * so an id dropped then can no longer be needed; at most SIGDONE_MAX
 * are kept, the oldest dropped first, which only matters if that many
 * snapshots end between two status updates.  An id's lsn is not known
 * when its snapshot ends inside a transaction or between positions: it
 * is SIGDONE_UNPLACED until the next position is recorded
 * (sigdone_place), and such an id is never dropped by sigdone_forget.
 *
 * Plain state in a fixed array, no allocation; owned by the snapshot.
 */
#ifndef WALCAP_SIGDONE_H
#define WALCAP_SIGDONE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jsonread.h"

#define SIGDONE_MAX 64
#define SIGDONE_ID_LEN 256		/* the seed's id column is VARCHAR(255) */
#define SIGDONE_UNPLACED UINT64_MAX

struct sigdone_entry
{
	char		id[SIGDONE_ID_LEN];
	uint64_t	lsn;			/* where its snapshot ended, or UNPLACED */
};

struct sigdone
{
	int			n;
	int			unplaced;		/* entries with lsn UNPLACED */
	struct sigdone_entry e[SIGDONE_MAX];	/* oldest first */
};

void	sigdone_init(struct sigdone *d);

/* Remember id as done (again: it moves to the newest, unplaced). */
void	sigdone_add(struct sigdone *d, const char *id);

int		sigdone_has(const struct sigdone *d, const char *id);

/* The stream reached lsn: it is where every unplaced id ended. */
void	sigdone_place(struct sigdone *d, uint64_t lsn);

/*
 * The server has confirmed lsn: forget the ids placed at or before it.
 * Returns how many were forgotten.
 */
int		sigdone_forget(struct sigdone *d, uint64_t confirmed);

/* Append the ids as a JSON array of {"id": ..., "lsn": "X/X" or null}. */
void	sigdone_json(const struct sigdone *d, struct buf *b);

/*
 * Replace d with the array sigdone_json() wrote (NULL or JSON null: no
 * ids).  0, or -1 with err set if it is malformed.
 */
int		sigdone_from_json(struct sigdone *d, const struct jsonread_value *v,
						  char *err, size_t errlen);

#endif

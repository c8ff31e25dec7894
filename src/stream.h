/*
 * stream.h — transactions the server streams before they commit
 * (pgoutput's streaming, protocol 2+, PostgreSQL 14+; docs/protocol.md).
 *
 * The server sends a large transaction in blocks (Stream Start ... Stop)
 * as soon as it outgrows logical_decoding_work_mem, interleaved with
 * other transactions, and says at the end whether it committed (Stream
 * Commit) or aborted (Stream Abort, also for a subtransaction).  walcap
 * emits nothing before the commit: each data message goes, without its
 * xid prefix, to a spill file of its transaction under
 * streaming.spill.dir (<dir>/<slot>.<xid>.spill).  At the commit the
 * file is read back in order, as the transaction's messages, framed by a
 * Begin and a Commit built from the Stream Commit; an abort deletes the
 * file, a subtransaction's abort marks its xid so that its messages are
 * skipped on reading back.
 *
 * Nothing in a spill file outlives the session that wrote it: after a
 * crash or a reconnect the server streams an uncommitted transaction
 * again from its start, so stream_init() and stream_reset() delete every
 * spill file of the slot.
 *
 * Memory: one write buffer and one read buffer (64 KiB each, more only
 * for a single message larger than that), and per open transaction its
 * xid, its file and the xids of its aborted subtransactions.  The
 * transaction's size is bounded by the disk, not by memory.
 *
 * Status codes: 0, or -1 with a message in the caller's err[errlen]
 * (a file that cannot be written or read, a protocol violation).
 */
#ifndef WALCAP_STREAM_H
#define WALCAP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct stream_txn
{
	uint32_t	xid;			/* the top-level transaction */
	int			fd;				/* its spill file, open for appending */
	uint64_t	nmsgs;			/* messages spilled */
	uint64_t	bytes;			/* bytes in the file */
	uint32_t   *aborted;		/* subtransactions aborted, sorted when read */
	size_t		naborted;
	size_t		capaborted;
	struct stream_txn *next;
};

struct stream
{
	char	   *dir;			/* streaming.spill.dir */
	char	   *slot;			/* the files' prefix */
	struct stream_txn *txns;	/* streamed and not yet ended */
	struct stream_txn *cur;		/* the one between Stream Start and Stop */
	struct buf	wbuf;			/* cur's messages not yet written */

	/* reading back a committed transaction (stream_replay_*) */
	struct stream_txn *replay;
	int			rfd;
	struct buf	rbuf;
	size_t		rpos;			/* next record in rbuf */
	int			phase;			/* 0 none, 1 Begin, 2 messages, 3 Commit */
	unsigned char begin[21];	/* the Begin and Commit messages made up */
	unsigned char commit[26];
	uint64_t	commit_at;		/* the Stream Commit's WAL position */
	uint64_t	first_lsn;		/* of the first message, for the Begin */

	/* figures: spilled and read back, for the log and the metrics */
	uint64_t	spilled_bytes;
	uint64_t	streamed_txns;
};

/*
 * Set the folder (created if missing) and the slot whose files these
 * are; delete the slot's spill files left by an earlier process.
 */
int		stream_init(struct stream *s, const char *dir, const char *slot,
					char *err, size_t errlen);
void	stream_free(struct stream *s);

/* Forget every open transaction and delete its file (a new session). */
void	stream_reset(struct stream *s);

/* Stream Start of top-level xid (first: its first block). */
int		stream_start(struct stream *s, uint32_t xid, int first,
					 char *err, size_t errlen);

/* Stream Stop: cur's buffered messages to its file. */
int		stream_stop(struct stream *s, char *err, size_t errlen);

/*
 * A data message of the open block, without its xid prefix: its type
 * byte, then its fields rest[0..len); subxid the xid that prefixed it,
 * lsn its WAL position.
 */
int		stream_spill(struct stream *s, uint32_t subxid, uint64_t lsn, char type,
					 const char *rest, size_t len, char *err, size_t errlen);

/* Stream Abort: the whole of xid (subxid == xid) or one subtransaction. */
int		stream_abort(struct stream *s, uint32_t xid, uint32_t subxid,
					 char *err, size_t errlen);

/*
 * Stream Commit of xid at WAL position at: start reading the transaction
 * back.  stream_replaying() is then true until stream_replay_next() has
 * returned its last message.
 */
int		stream_replay_begin(struct stream *s, uint32_t xid, uint64_t commit_lsn,
							uint64_t end_lsn, int64_t commit_ts, uint64_t at,
							char *err, size_t errlen);

static inline int
stream_replaying(const struct stream *s)
{
	return s->phase != 0;
}

/*
 * The next message of the transaction read back: a Begin, its messages
 * in order (those of aborted subtransactions left out), a Commit.  1
 * and *msg, *len, *lsn (valid until the next call); 0 when it is over
 * (the file is deleted); -1 with err.
 */
int		stream_replay_next(struct stream *s, const char **msg, size_t *len,
						   uint64_t *lsn, char *err, size_t errlen);

#endif

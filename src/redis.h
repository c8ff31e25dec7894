/*
 * redis.h — the parts of the Redis sink (sink_redis.c) that need no
 * connection, so that unit tests can hold them without a server:
 *
 *   - commands in RESP, Redis's wire format: an array of bulk strings
 *     ("*3\r\n$4\r\nXADD\r\n..."), written straight into the queue's
 *     buffer, so an event is copied once on its way to the socket;
 *   - what an error reply means: worth a retry (OOM, LOADING, ...) or a
 *     stop, and the fix to print with it;
 *   - sink.redis.address: host:port or [ipv6]:port;
 *   - the queue of commands not yet answered (struct redis_queue).
 *
 * The queue is the sink's memory of what Redis has not yet answered:
 * every command from the oldest unanswered on, as the bytes that were or
 * will be sent, with one small entry per command in a ring.  Redis answers
 * the commands of a connection in order, so an answer always belongs to
 * the oldest entry; a connection lost (or a retriable error) rewinds
 * the send position to the oldest unanswered command, and the next
 * connection sends all of them again: nothing is lost, some may be
 * stored twice (at least once, as Debezium Server's Redis sink).
 *
 * Positions in the queue are absolute byte counts since the queue began
 * (uint64_t), so they survive the buffer being compacted.
 *
 * A batch record (batch.h) becomes one XADD, two with its tombstone; the
 * last command of a record carries REDIS_CMD_RECORD, the last of an event
 * REDIS_CMD_EVENT (the delete half of a key change does not end its event,
 * as on Kafka).  A record counts as taken by the sink (sink.h) once its
 * bytes are all handed to the connection (redis_queue_take), and an event
 * as delivered once every command of it and before it is answered
 * (events).
 *
 * Owned by the sink; redis_queue_free() releases it.
 */
#ifndef WALCAP_REDIS_H
#define WALCAP_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* flags of a queued command */
#define REDIS_CMD_RECORD 1		/* the last command of its batch record */
#define REDIS_CMD_EVENT 2		/* the last command of its event */

/* Append one command: argc bulk strings argv[i] of lens[i] bytes. */
void		redis_command(struct buf *out, int argc, const char *const *argv,
						  const size_t *lens);

/*
 * Append XADD stream * f1 v1 [f2 v2]: npairs field/value pairs (1 or 2)
 * in fv[] (field, value, field, value) with their lengths in fvlen[].
 */
void		redis_xadd(struct buf *out, const char *stream, size_t slen,
					   const char *const *fv, const size_t *fvlen, int npairs);

/*
 * The stream an XADD command (as redis_xadd wrote it) is for: *name set
 * to it in cmd, its length returned; 0 if cmd is not such a command.
 */
size_t		redis_xadd_stream(const char *cmd, size_t len, const char **name);

/* What an error reply asks of the sink. */
enum redis_error_kind
{
	REDIS_ERROR_STOP = 0,		/* will not change by retrying: stop, with the fix */
	REDIS_ERROR_RETRY,			/* transient: send it again after a pause */
};

/*
 * Classify an error reply (its text, as Redis sends it: "OOM command not
 * allowed ...", "WRONGTYPE ...").  Retried: OOM (maxmemory reached: the
 * streams' readers may trim them, as Debezium Server waits for it),
 * LOADING, BUSY, TRYAGAIN, MASTERDOWN and "max number of clients".
 * Everything else stops the sink.
 */
enum redis_error_kind redis_error_kind(const char *msg);

/*
 * The fix for an error reply, as one clause ("set sink.redis.password
 * ..."), or "" when there is nothing better to say than the error.
 */
const char *redis_error_hint(const char *msg);

/*
 * Parse sink.redis.address: "host:port" or "[ipv6]:port", port 1-65535,
 * host not empty (and without ':' unless in brackets).  0 with the host
 * (brackets removed) in host[hostlen] and *port set; -1 if it has
 * another form or the host does not fit.
 */
int			redis_address_parse(const char *addr, char *host, size_t hostlen, int *port);

/* One queued command. */
struct redis_cmd
{
	uint32_t	len;			/* its bytes in the queue */
	uint32_t	flags;			/* REDIS_CMD_* */
};

struct redis_queue
{
	struct buf	data;			/* the commands' bytes, from the oldest unanswered on */
	uint64_t	base;			/* absolute position of data.data[0] */
	uint64_t	head;			/* absolute position of the oldest unanswered command */
	uint64_t	sent;			/* absolute position up to which bytes were sent */
	struct redis_cmd *ring;		/* entries of commands [first, next) and of the
								 * untaken ones [taken, next) */
	uint64_t	mask;			/* ring size - 1 (a power of two) */
	uint64_t	first;			/* the oldest unanswered command */
	uint64_t	taken;			/* the first command of a record not yet taken */
	uint64_t	taken_pos;		/* ... and its absolute position */
	uint64_t	next;			/* the next command's number */
	uint64_t	tail;			/* absolute position where the last command ends */
	uint64_t	events;			/* events whose every command is answered */
};

/*
 * An empty queue with room for max_cmds commands in its ring (rounded
 * up to a power of two).  0, or -1 if out of memory.
 */
int			redis_queue_init(struct redis_queue *q, size_t max_cmds);
void		redis_queue_free(struct redis_queue *q);

/* Commands in the ring: neither answered nor taken. */
static inline uint64_t
redis_queue_ring_used(const struct redis_queue *q)
{
	return q->next - (q->taken < q->first ? q->taken : q->first);
}

/* Commands sent, or to send, and not answered. */
static inline uint64_t
redis_queue_unanswered(const struct redis_queue *q)
{
	return q->next - q->first;
}

/* Bytes of commands not answered. */
static inline uint64_t
redis_queue_bytes(const struct redis_queue *q)
{
	return q->base + q->data.len - q->head;
}

/* Bytes not yet sent (on this connection). */
static inline uint64_t
redis_queue_unsent(const struct redis_queue *q)
{
	return q->base + q->data.len - q->sent;
}

/* The bytes not yet sent; *n set to their count. */
static inline const char *
redis_queue_unsent_data(const struct redis_queue *q, size_t *n)
{
	*n = (size_t) redis_queue_unsent(q);
	return q->data.data + (q->sent - q->base);
}

/*
 * The buffer to append the next command to (redis_command, redis_xadd);
 * then redis_queue_push() with the flags.  Whether there is room for
 * ncmds more in the ring is redis_queue_ring_used()'s to say, checked
 * by the caller first.
 */
static inline struct buf *
redis_queue_buf(struct redis_queue *q)
{
	return &q->data;
}

/*
 * The command appended since the last push (the bytes after tail) joins
 * the queue with flags.  -1 if the buffer failed (out of memory) or the
 * command is 4 GiB or more: the queue is not usable any more.
 */
int			redis_queue_push(struct redis_queue *q, uint32_t flags);

/* n more bytes were handed to the connection. */
static inline void
redis_queue_sent(struct redis_queue *q, size_t n)
{
	q->sent += n;
}

/*
 * Records whose every byte is sent since the last call: the number of
 * commands with REDIS_CMD_RECORD passed.
 */
size_t		redis_queue_take(struct redis_queue *q);

/*
 * The oldest unanswered command was answered: drop it (its bytes may be
 * reused), count the event it ends.  Its flags, or -1 if nothing was
 * waiting for an answer.
 */
int			redis_queue_answered(struct redis_queue *q);

/* The oldest unanswered command, its bytes: *len set; NULL if none. */
const char *redis_queue_oldest(const struct redis_queue *q, size_t *len);

/*
 * The connection is gone (or the oldest command must be sent again):
 * everything unanswered will be sent again from its first byte.
 */
static inline void
redis_queue_rewind(struct redis_queue *q)
{
	q->sent = q->head;
}

#endif

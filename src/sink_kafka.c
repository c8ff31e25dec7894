/*
 * sink_kafka.c — the Kafka sink: each event a message, through
 * librdkafka's idempotent producer; see sink.h.
 *
 * Topics, keys and tombstones are the batch records' fields (batch.h),
 * filled in by event.c.  Every message gets a sequence number; the
 * delivery report callback marks it done in a ring, and the contiguous
 * prefix of done messages, counted in events (an event with a tombstone
 * is two messages), is what sink_sync() reports as delivered.  A
 * message that fails for good stops that prefix for ever and makes the
 * next write or sync fail: what follows it is never confirmed, and a
 * restart sends it again.
 *
 * With exactly.once.support=required the producer is transactional
 * (transactional.id: the connector's name).  Opening it fences any
 * earlier producer with the same id; a transaction begins with the first
 * message after a commit, and kafka_commit() adds the offset record and
 * commits.  delivered then moves only at commits: a delivery report says
 * a message reached the brokers, not that it will ever be visible.
 * Any failure of the transaction stops the sink: what was not committed
 * is aborted (by the brokers, at the latest when the next producer with
 * the id starts), and the next run resumes from the last committed
 * offset record.
 *
 * librdkafka's main queue (delivery reports, errors, logs) signals a
 * pipe when it stops being empty; that pipe is the sink's fd, so the run
 * loop can wait for room in a full producer queue the same way it waits
 * for a full stdout pipe.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "dynlib.h"
#include "log.h"

#ifndef WALCAP_LIBRDKAFKA_SONAME
#error "WALCAP_LIBRDKAFKA_SONAME is unset: the Makefile found no librdkafka.so (install librdkafka-dev)"
#endif

/*
 * librdkafka, opened when a Kafka sink is checked or opened
 * (src/dynlib.h): it and what it links (SASL, compression codecs) stay
 * out of runs with another sink.  L.f is librdkafka's f.
 */
#define LIBRDKAFKA_FUNCS(X) \
	X(rd_kafka_conf_destroy) X(rd_kafka_conf_get) X(rd_kafka_conf_new) X(rd_kafka_conf_set) \
	X(rd_kafka_conf_set_dr_msg_cb) X(rd_kafka_conf_set_error_cb) X(rd_kafka_conf_set_log_cb) \
	X(rd_kafka_conf_set_opaque) X(rd_kafka_destroy) X(rd_kafka_err2str) \
	X(rd_kafka_fatal_error) X(rd_kafka_flush) X(rd_kafka_last_error) X(rd_kafka_new) \
	X(rd_kafka_init_transactions) X(rd_kafka_begin_transaction) X(rd_kafka_commit_transaction) \
	X(rd_kafka_abort_transaction) X(rd_kafka_error_code) X(rd_kafka_error_string) \
	X(rd_kafka_error_is_fatal) X(rd_kafka_error_is_retriable) X(rd_kafka_error_txn_requires_abort) \
	X(rd_kafka_error_destroy) \
	X(rd_kafka_poll) X(rd_kafka_produce) X(rd_kafka_produce_batch) X(rd_kafka_purge) \
	X(rd_kafka_queue_destroy) X(rd_kafka_queue_get_main) X(rd_kafka_queue_io_event_enable) \
	X(rd_kafka_set_log_queue) X(rd_kafka_topic_destroy) X(rd_kafka_topic_name) \
	X(rd_kafka_topic_new)

static DYNLIB_TABLE(LIBRDKAFKA_FUNCS) L;
static const char *const librdkafka_names[] = {LIBRDKAFKA_FUNCS(DYNLIB_NAME)};
static struct dynlib librdkafka =
	DYNLIB_INIT(WALCAP_LIBRDKAFKA_SONAME, "librdkafka1", librdkafka_names, L);

/* messages in flight at most; a power of two above librdkafka's default 100000 */
#define RING_SIZE ((uint64_t) 1 << 17)
#define MSG_DONE 1				/* delivered */
#define MSG_ENDS 2				/* the last message of its event */
#define BATCH_MAX 256			/* messages per rd_kafka_produce_batch() */
/* the offset record's _private: outside the ring's sequence numbers */
#define OFFSET_MSG ((void *) UINTPTR_MAX)
#define INIT_TXN_MS 60000		/* fencing may wait for the brokers to abort the last transaction */

/* Defaults, before the user's kafka.* keys (which may override them). */
static const char *const defaults[][2] = {
	{"enable.idempotence", "true"},
	{"acks", "all"},
	/* the Java client's partitioner, so keys land where Debezium's would */
	{"partitioner", "murmur2_random"},
	/* bound the producer's memory: a few MiB, not librdkafka's 1 GiB */
	{"queue.buffering.max.kbytes", "16384"},
	/*
	 * 1 ms, not librdkafka's 5: on a quiet database each event leaves
	 * within a millisecond (bench/latency: p99 6.4 ms to a consumer of the
	 * mock cluster, against 12.7 ms at 5 ms; 0 queues single-message
	 * requests behind each other, p99 42 ms); a backlog's batches fill
	 * anyway (bench/kafka: the same rate at 1 and 5)
	 */
	{"linger.ms", "1"},
	{"client.id", "walcap"},
	{"log.queue", "true"},
};

struct topic
{
	char	   *name;
	rd_kafka_topic_t *rkt;
};

struct kafka
{
	rd_kafka_t *rk;
	rd_kafka_queue_t *mainq;
	int			pipe[2];
	struct topic *topics;		/* open addressing on the name */
	size_t		ntopics, captopics;
	unsigned char *ring;		/* RING_SIZE message states */
	uint64_t	next_seq;		/* sequence of the next message */
	uint64_t	done_seq;		/* messages before it are all delivered */
	uint64_t	delivered;		/* events they complete */
	uint64_t	inflight_bytes;	/* payload and key bytes not yet reported */
	uint64_t	max_msgs;		/* the producer queue's limits, */
	uint64_t	max_bytes;		/* ... from queue.buffering.max.* */
	rd_kafka_message_t batch[BATCH_MAX];
	char		failure[1024];	/* the first permanent failure, or "" */
	/* exactly.once.support=required */
	int			txn;			/* the producer is transactional */
	int			txn_open;		/* a transaction has begun and not ended */
	uint64_t	committed;		/* events in committed transactions */
	int			commit_ms;		/* how long a commit may take */
	char		txn_id[256];	/* transactional.id, for messages */
	/* a tombstone the producer queue had no room for yet */
	int			tomb_pending;
	int			tomb_ends;		/* it is the last message of its event */
	rd_kafka_topic_t *tomb_rkt;
	char	   *tomb_key;
	size_t		tomb_keylen, tomb_cap;
};

/* The configuration: defaults, then every kafka.* key; NULL with err. */
static rd_kafka_conf_t *
build_conf(const struct config *c, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf;
	char		msg[512];
	int			have_bootstrap = 0;

	if (dynlib_load(&librdkafka, err, errlen) != 0)
		return NULL;
	conf = L.rd_kafka_conf_new();
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (L.rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], msg, sizeof(msg)) != RD_KAFKA_CONF_OK)
		{
			snprintf(err, errlen, "librdkafka refused walcap's default %s=%s: %s",
					 defaults[i][0], defaults[i][1], msg);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
	for (int i = 0; i < c->nkafka; i++)
	{
		const char *k = c->kafka_keys[i];

		if (strcmp(k, "bootstrap.servers") == 0 || strcmp(k, "metadata.broker.list") == 0)
			have_bootstrap = c->kafka_values[i][0] != '\0';
		if (strcmp(k, "log.queue") == 0 || strcmp(k, "dr_msg_cb") == 0)
		{
			snprintf(err, errlen, "kafka.%s: walcap sets this librdkafka property itself; remove the key", k);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
		if (L.rd_kafka_conf_set(conf, k, c->kafka_values[i], msg, sizeof(msg)) != RD_KAFKA_CONF_OK)
		{
			if (config_kafka_secret(k))
				snprintf(err, errlen, "kafka.%s: librdkafka refused the value (not shown: it is a secret)", k);
			else
				snprintf(err, errlen, "kafka.%s: %s", k, msg);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	if (!have_bootstrap)
	{
		snprintf(err, errlen, "kafka.bootstrap.servers is required when sink.type is kafka (host:port of one or more brokers)");
		L.rd_kafka_conf_destroy(conf);
		return NULL;
	}
	{
		char		v[256];
		size_t		vs = sizeof(v);
		int			has_id = L.rd_kafka_conf_get(conf, "transactional.id", v, &vs) == RD_KAFKA_CONF_OK && vs > 1;

		if (c->exactly_once != CONFIG_EOS_REQUIRED && has_id)
		{
			snprintf(err, errlen, "kafka.transactional.id makes the producer transactional, and walcap commits transactions only with exactly.once.support=required: set that, or remove the key");
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
		/* Kafka Connect derives it from the connector's name too: one producer per connector */
		if (c->exactly_once == CONFIG_EOS_REQUIRED && !has_id &&
			L.rd_kafka_conf_set(conf, "transactional.id", c->name, msg, sizeof(msg)) != RD_KAFKA_CONF_OK)
		{
			snprintf(err, errlen, "name: librdkafka refused it as transactional.id: %s", msg);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
	}
	return conf;
}

int
sink_kafka_check(const struct config *c, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = build_conf(c, err, errlen);

	if (conf == NULL)
		return -1;
	L.rd_kafka_conf_destroy(conf);
	return 0;
}

/* ---- delivery ---- */

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka *k = opaque;
	uint64_t	seq = (uint64_t) (uintptr_t) m->_private;

	(void) rk;
	if (m->_private == OFFSET_MSG)
	{
		/* the offset record: committed with the transaction, or the commit fails */
		if (m->err && k->failure[0] == '\0')
			snprintf(k->failure, sizeof(k->failure), "the offset record was not written to Kafka topic \"%s\": %s",
					 m->rkt ? L.rd_kafka_topic_name(m->rkt) : "?", L.rd_kafka_err2str(m->err));
		return;
	}
	k->inflight_bytes -= m->len + m->key_len;
	if (m->err)
	{
		if (k->failure[0] == '\0')
			snprintf(k->failure, sizeof(k->failure),
					 "delivery to Kafka topic \"%s\" failed: %s",
					 m->rkt ? L.rd_kafka_topic_name(m->rkt) : "?", L.rd_kafka_err2str(m->err));
		return;
	}
	k->ring[seq & (RING_SIZE - 1)] |= MSG_DONE;
	while (k->done_seq < k->next_seq && (k->ring[k->done_seq & (RING_SIZE - 1)] & MSG_DONE))
	{
		if (k->ring[k->done_seq & (RING_SIZE - 1)] & MSG_ENDS)
			k->delivered++;
		k->done_seq++;
	}
}

/* Whether e says a newer producer with the same transactional.id started. */
static int
fenced(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR__FENCED || e == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
		e == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

static void
fenced_failure(struct kafka *k, const char *why)
{
	snprintf(k->failure, sizeof(k->failure),
			 "fenced: another producer with transactional.id \"%s\" started (another walcap with this name took over); this one stops, and nothing after its last commit is confirmed (%s)",
			 k->txn_id, why);
}

static void
on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
	struct kafka *k = opaque;
	char		fatal[256];

	if (code == RD_KAFKA_RESP_ERR__FATAL)
	{
		rd_kafka_resp_err_t e = L.rd_kafka_fatal_error(rk, fatal, sizeof(fatal));

		if (k->failure[0] != '\0')
			return;
		if (fenced(e))
			fenced_failure(k, fatal);
		else
			snprintf(k->failure, sizeof(k->failure), "the Kafka producer failed: %s", fatal);
		return;
	}
	/* transient (brokers down, timeouts): librdkafka retries on its own */
	log_warning("kafka: %s", reason);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	/*
	 * librdkafka's errors here are transient (a broker unreachable) and
	 * retried; what fails for good arrives as a delivery report or a
	 * fatal error, and stops walcap with ERROR.
	 */
	if (level <= 4)
		log_warning("kafka: %s: %s", fac, buf);
	else if (level <= 6)
		log_info("kafka: %s: %s", fac, buf);
	else
		log_debug("kafka: %s: %s", fac, buf);
}

/* Serve delivery reports, errors and logs; empty the wake-up pipe first. */
static void
serve(struct kafka *k)
{
	char		drain[64];

	while (read(k->pipe[0], drain, sizeof(drain)) > 0)
		;
	L.rd_kafka_poll(k->rk, 0);
}

/* ---- topics ---- */

static uint64_t
hash_name(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

/* The topic's handle, opened on first use; NULL with err. */
static rd_kafka_topic_t *
topic_get(struct kafka *k, const char *name, char *err, size_t errlen)
{
	size_t		i;

	if (k->ntopics * 2 >= k->captopics)
	{
		size_t		cap = k->captopics ? k->captopics * 2 : 64;
		struct topic *n = calloc(cap, sizeof(*n));

		if (n == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		for (size_t j = 0; j < k->captopics; j++)
			if (k->topics[j].name)
			{
				for (i = hash_name(k->topics[j].name) & (cap - 1); n[i].name; i = (i + 1) & (cap - 1))
					;
				n[i] = k->topics[j];
			}
		free(k->topics);
		k->topics = n;
		k->captopics = cap;
	}
	for (i = hash_name(name) & (k->captopics - 1); k->topics[i].name; i = (i + 1) & (k->captopics - 1))
		if (strcmp(k->topics[i].name, name) == 0)
			return k->topics[i].rkt;
	k->topics[i].name = strdup(name);
	k->topics[i].rkt = k->topics[i].name ? L.rd_kafka_topic_new(k->rk, name, NULL) : NULL;
	if (k->topics[i].rkt == NULL)
	{
		snprintf(err, errlen, "cannot open Kafka topic \"%s\": %s", name,
				 k->topics[i].name ? L.rd_kafka_err2str(L.rd_kafka_last_error()) : "out of memory");
		free(k->topics[i].name);
		k->topics[i].name = NULL;
		return NULL;
	}
	k->ntopics++;
	return k->topics[i].rkt;
}

/* ---- producing ---- */

/*
 * Hand one message to the producer: 1 queued, 0 no room (queue or ring
 * full), -1 with err for a message that can never be sent.
 */
static int
produce(struct kafka *k, rd_kafka_topic_t *rkt, const char *value, size_t vlen,
		const char *key, size_t klen, int ends_event, char *err, size_t errlen)
{
	uint64_t	seq = k->next_seq;

	if (seq - k->done_seq >= RING_SIZE)
		return 0;
	k->ring[seq & (RING_SIZE - 1)] = ends_event ? MSG_ENDS : 0;
	if (L.rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
						   (void *) value, vlen, key, klen,
						   (void *) (uintptr_t) seq) != 0)
	{
		rd_kafka_resp_err_t e = L.rd_kafka_last_error();

		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return 0;
		snprintf(err, errlen, "cannot send an event of %zu bytes to Kafka topic \"%s\": %s%s",
				 vlen, L.rd_kafka_topic_name(rkt), L.rd_kafka_err2str(e),
				 e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ?
				 "\nraise kafka.message.max.bytes, and the topic's max.message.bytes on the brokers" : "");
		return -1;
	}
	k->next_seq++;
	k->inflight_bytes += vlen + klen;
	return 1;
}

/* The tombstone left over from the last write, first: 1 sent, 0 no room. */
static int
send_tombstone(struct kafka *k, char *err, size_t errlen)
{
	int			rc;

	if (!k->tomb_pending)
		return 1;
	rc = produce(k, k->tomb_rkt, NULL, 0, k->tomb_key, k->tomb_keylen, k->tomb_ends, err, errlen);
	if (rc == 1)
		k->tomb_pending = 0;
	return rc;
}

/* One record of the batch, as the producer takes it. */
struct line
{
	const char *value;
	size_t		vlen;			/* without the newline */
	const char *topic;
	const char *key;
	size_t		klen;
	unsigned	flags;			/* BATCH_* */
};

static int
has_tombstone(const struct line *l)
{
	return (l->flags & BATCH_TOMBSTONE) != 0;
}

/* Whether l's value is the last message of its event. */
static int
value_ends(const struct line *l)
{
	return (l->flags & (BATCH_TOMBSTONE | BATCH_CONTINUES)) == 0;
}

/* Remember l's tombstone, to send before anything else. */
static int
hold_tombstone(struct kafka *k, rd_kafka_topic_t *rkt, const struct line *l,
			   char *err, size_t errlen)
{
	if (l->klen > k->tomb_cap)
	{
		char	   *n = realloc(k->tomb_key, l->klen);

		if (n == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		k->tomb_key = n;
		k->tomb_cap = l->klen;
	}
	memcpy(k->tomb_key, l->key, l->klen);
	k->tomb_keylen = l->klen;
	k->tomb_rkt = rkt;
	k->tomb_ends = !(l->flags & BATCH_CONTINUES);
	k->tomb_pending = 1;
	return 0;
}

/* Send one line the plain way: 1 taken, 0 no room, -1 error. */
static int
send_line(struct kafka *k, rd_kafka_topic_t *rkt, const struct line *l,
		  char *err, size_t errlen)
{
	int			rc;

	/* an event and its tombstone need two places in the ring */
	if (has_tombstone(l) && k->next_seq + 1 - k->done_seq >= RING_SIZE)
		return 0;
	/* the delete half of a key change goes on into the next line: one event */
	rc = produce(k, rkt, l->value, l->vlen, l->klen ? l->key : NULL, l->klen,
				 value_ends(l), err, errlen);
	if (rc <= 0)
		return rc;
	if (has_tombstone(l))
	{
		if (hold_tombstone(k, rkt, l, err, errlen) != 0 ||
			send_tombstone(k, err, errlen) < 0)
			return -1;
	}
	return 1;
}

/*
 * Lines of one topic in a row go to librdkafka as one batch, which costs
 * it one clock reading and one topic lock instead of one per message.
 * A batch is sent only when it surely fits in the producer queue (with
 * a margin), because a batch that half fails could leave a later message
 * in while an earlier one is out; when in doubt, lines go one by one.
 * Returns the lines taken (0: no room), or -1.
 */
static int
send_batch(struct kafka *k, rd_kafka_topic_t *rkt, const struct line *ls, int nl,
		   char *err, size_t errlen)
{
	rd_kafka_message_t *b = k->batch;
	int			n = 0,
				got,
				taken = 0;
	uint64_t	bytes = 0;

	for (int i = 0; i < nl; i++)
	{
		n += has_tombstone(&ls[i]) ? 2 : 1;
		bytes += ls[i].vlen + ls[i].klen * (has_tombstone(&ls[i]) ? 2 : 1);
	}
	if (k->next_seq + (uint64_t) n - k->done_seq >= k->max_msgs * 3 / 4 ||
		k->inflight_bytes + bytes >= k->max_bytes * 3 / 4 ||
		k->next_seq + (uint64_t) n - k->done_seq >= RING_SIZE)
	{
		/* near the queue's limits: one by one, each QUEUE_FULL exact */
		for (int i = 0; i < nl && !k->tomb_pending; i++)
		{
			int			rc = send_line(k, rkt, &ls[i], err, errlen);

			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
			taken++;
		}
		return taken;
	}
	n = 0;
	for (int i = 0; i < nl; i++)
	{
		const struct line *l = &ls[i];

		memset(&b[n], 0, sizeof(b[n]));
		b[n].payload = (void *) l->value;
		b[n].len = l->vlen;
		b[n].key = l->klen ? (void *) l->key : NULL;
		b[n].key_len = l->klen;
		k->ring[(k->next_seq + (uint64_t) n) & (RING_SIZE - 1)] = value_ends(l) ? MSG_ENDS : 0;
		n++;
		if (has_tombstone(l))
		{
			memset(&b[n], 0, sizeof(b[n]));
			b[n].key = l->klen ? (void *) l->key : NULL;
			b[n].key_len = l->klen;
			k->ring[(k->next_seq + (uint64_t) n) & (RING_SIZE - 1)] = (l->flags & BATCH_CONTINUES) ? 0 : MSG_ENDS;
			n++;
		}
	}
	for (int i = 0; i < n; i++)
		b[i]._private = (void *) (uintptr_t) (k->next_seq + (uint64_t) i);
	got = L.rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, b, n);
	if (got < n)
	{
		int			first = 0;

		while (first < n && b[first].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			first++;
		for (int i = first; i < n; i++)
			if (b[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			{
				/* a message in after one left out: their order is lost */
				snprintf(err, errlen, "the Kafka producer took part of a batch out of order (%s); stopping so that nothing is confirmed out of order",
						 L.rd_kafka_err2str(b[first].err));
				return -1;
			}
		if (b[first].err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
		{
			snprintf(err, errlen, "cannot send an event of %zu bytes to Kafka topic \"%s\": %s%s",
					 b[first].len, L.rd_kafka_topic_name(rkt), L.rd_kafka_err2str(b[first].err),
					 b[first].err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ?
					 "\nraise kafka.message.max.bytes, and the topic's max.message.bytes on the brokers" : "");
			return -1;
		}
		n = first;
	}
	/* count what went in, and the lines it completes */
	for (int i = 0, m = 0; i < nl && m < n; i++)
	{
		const struct line *l = &ls[i];

		k->inflight_bytes += l->vlen + l->klen;
		m++;
		if (has_tombstone(l))
		{
			if (m == n)
			{
				/* its value went in, its tombstone did not: send it next */
				if (hold_tombstone(k, rkt, l, err, errlen) != 0)
					return -1;
				taken++;
				break;
			}
			k->inflight_bytes += l->klen;
			m++;
		}
		taken++;
	}
	k->next_seq += (uint64_t) n;
	if (k->tomb_pending)
	{
		/* the held tombstone takes the sequence number it was given */
		int			rc = send_tombstone(k, err, errlen);

		if (rc < 0)
			return -1;
	}
	return taken;
}

/* ---- transactions (exactly.once.support=required) ---- */

/*
 * A transactional call failed with e (destroyed here): the sink takes
 * nothing more.  -1 with err set.
 */
static int
txn_failed(struct kafka *k, const char *what, rd_kafka_error_t *e, char *err, size_t errlen)
{
	if (k->failure[0] == '\0')
	{
		if (fenced(L.rd_kafka_error_code(e)))
			fenced_failure(k, L.rd_kafka_error_string(e));
		else
			snprintf(k->failure, sizeof(k->failure), "%s the Kafka transaction (transactional.id \"%s\"): %s",
					 what, k->txn_id, L.rd_kafka_error_string(e));
	}
	L.rd_kafka_error_destroy(e);
	snprintf(err, errlen, "%s", k->failure);
	return -1;
}

static int
txn_begin(struct kafka *k, char *err, size_t errlen)
{
	rd_kafka_error_t *e = L.rd_kafka_begin_transaction(k->rk);

	if (e != NULL)
		return txn_failed(k, "could not begin", e, err, errlen);
	k->txn_open = 1;
	return 0;
}

/*
 * The offset record, then the commit: librdkafka flushes every message
 * of the transaction first, and only a commit the brokers accepted moves
 * delivered.  A commit that times out is retried until commit_ms is
 * spent (librdkafka allows that); any other failure aborts.
 */
static int
kafka_commit(struct sink *s, const char *topic, const char *key, const char *value,
			 char *err, size_t errlen)
{
	struct kafka *k = s->impl;
	rd_kafka_topic_t *rkt;
	rd_kafka_error_t *e;
	int64_t		waited = 0;

	serve(k);
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	if (!k->txn_open && txn_begin(k, err, errlen) != 0)
		return -1;
	if ((rkt = topic_get(k, topic, err, errlen)) == NULL)
		return -1;
	for (;;)
	{
		int			rc = send_tombstone(k, err, errlen);

		if (rc < 0)
			return -1;
		if (rc == 1 &&
			L.rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
							   (void *) value, strlen(value), (void *) key, strlen(key),
							   OFFSET_MSG) == 0)
			break;
		if (rc == 1 && L.rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
		{
			snprintf(err, errlen, "cannot send the offset record to Kafka topic \"%s\": %s",
					 topic, L.rd_kafka_err2str(L.rd_kafka_last_error()));
			return -1;
		}
		/* the producer queue is full: let it drain */
		if (waited >= k->commit_ms)
		{
			snprintf(err, errlen, "the Kafka producer queue stayed full for %d ms before a commit",
					 k->commit_ms);
			return -1;
		}
		L.rd_kafka_poll(k->rk, 10);
		waited += 10;
	}
	while ((e = L.rd_kafka_commit_transaction(k->rk, k->commit_ms)) != NULL)
	{
		if (L.rd_kafka_error_is_retriable(e) && waited < (int64_t) k->commit_ms * 3)
		{
			log_warning("kafka: committing the transaction: %s; retrying", L.rd_kafka_error_string(e));
			L.rd_kafka_error_destroy(e);
			waited += k->commit_ms;
			continue;
		}
		if (L.rd_kafka_error_txn_requires_abort(e))
		{
			rd_kafka_error_t *a = L.rd_kafka_abort_transaction(k->rk, k->commit_ms);

			if (a != NULL)
				L.rd_kafka_error_destroy(a);
			k->txn_open = 0;
			return txn_failed(k, "the brokers aborted", e, err, errlen);
		}
		return txn_failed(k, "could not commit", e, err, errlen);
	}
	k->txn_open = 0;
	/* the commit flushed every message: their reports are all queued */
	serve(k);
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	if (k->done_seq != k->next_seq || k->tomb_pending)
	{
		snprintf(err, errlen, "the Kafka transaction committed, but %llu of its messages have no delivery report",
				 (unsigned long long) (k->next_seq - k->done_seq));
		return -1;
	}
	k->committed = k->delivered;
	s->delivered = k->committed;
	return 0;
}

static int
kafka_write(struct sink *s, const struct batch *b, struct batch_pos *pos,
			char *err, size_t errlen)
{
	struct kafka *k = s->impl;
	struct line ls[BATCH_MAX / 2];
	int			rc;

	serve(k);
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	if (k->txn && !k->txn_open && pos->rec < b->nrecs && txn_begin(k, err, errlen) != 0)
		return -1;
	if ((rc = send_tombstone(k, err, errlen)) <= 0)
		return rc;
	while (pos->rec < b->nrecs)
	{
		rd_kafka_topic_t *rkt = NULL;
		size_t		d = pos->rec;
		int			nl = 0,
					taken;

		/* the next records of one topic */
		while (nl < BATCH_MAX / 2 && d < b->nrecs)
		{
			const struct batch_rec *r = &b->recs[d];
			struct line *l = &ls[nl];
			rd_kafka_topic_t *t;

			l->value = (r->flags & BATCH_NULL) ? NULL : batch_rec_value(b, r);
			l->vlen = (r->flags & BATCH_NULL) ? 0 : r->vlen;
			l->topic = batch_rec_topic(b, r);
			l->key = batch_rec_key(b, r);
			l->klen = r->klen;
			l->flags = r->flags;
			if ((t = topic_get(k, l->topic, err, errlen)) == NULL)
				return -1;
			if (rkt && t != rkt)
				break;
			rkt = t;
			d++;
			nl++;
		}
		taken = send_batch(k, rkt, ls, nl, err, errlen);
		if (taken < 0)
			return -1;
		if (taken > 0)
		{
			const struct batch_rec *last = &b->recs[pos->rec + (size_t) taken - 1];

			pos->rec += (size_t) taken;
			pos->bytes = last->value + last->vlen + 1;
		}
		if (taken < nl || k->tomb_pending)
			break;
	}
	return 0;
}

static int
kafka_sync(struct sink *s, char *err, size_t errlen)
{
	struct kafka *k = s->impl;

	serve(k);
	s->delivered = k->txn ? k->committed : k->delivered;
	if (k->failure[0])
	{
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	return 0;
}

static int
kafka_wait(struct sink *s, int timeout_ms, char *err, size_t errlen)
{
	struct kafka *k = s->impl;

	if (k->tomb_pending && send_tombstone(k, err, errlen) < 0)
		return -1;
	L.rd_kafka_flush(k->rk, timeout_ms);
	return kafka_sync(s, err, errlen);
}

static void
kafka_close(struct sink *s)
{
	struct kafka *k = s->impl;

	if (k == NULL)
		return;
	if (k->rk)
	{
		/* what is still queued was not confirmed: drop it, do not wait */
		L.rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		L.rd_kafka_poll(k->rk, 0);
		/*
		 * An open transaction is aborted now rather than when the brokers
		 * time it out: until then read_committed consumers of its
		 * partitions wait.
		 */
		if (k->txn_open)
		{
			rd_kafka_error_t *e = L.rd_kafka_abort_transaction(k->rk, k->commit_ms < 5000 ? k->commit_ms : 5000);

			if (e != NULL)
				L.rd_kafka_error_destroy(e);
			L.rd_kafka_poll(k->rk, 0);
		}
		for (size_t i = 0; i < k->captopics; i++)
			if (k->topics[i].name)
			{
				L.rd_kafka_topic_destroy(k->topics[i].rkt);
				free(k->topics[i].name);
			}
		if (k->mainq)
			L.rd_kafka_queue_destroy(k->mainq);
		L.rd_kafka_destroy(k->rk);
	}
	if (k->pipe[0] >= 0)
		close(k->pipe[0]);
	if (k->pipe[1] >= 0)
		close(k->pipe[1]);
	free(k->topics);
	free(k->ring);
	free(k->tomb_key);
	free(k);
	s->impl = NULL;
	s->fd = -1;
}

static const struct sink_ops kafka_ops = {"kafka", kafka_write, kafka_sync, kafka_wait, kafka_close, NULL};
static const struct sink_ops kafka_txn_ops = {"kafka", kafka_write, kafka_sync, kafka_wait, kafka_close, kafka_commit};

int
sink_kafka_open(struct sink *s, const struct config *c, char *err, size_t errlen)
{
	struct kafka *k = calloc(1, sizeof(*k));
	rd_kafka_conf_t *conf;
	char		msg[512];

	if (k == NULL || (k->ring = calloc(RING_SIZE, 1)) == NULL)
	{
		free(k);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	k->pipe[0] = k->pipe[1] = -1;
	s->ops = &kafka_ops;
	s->impl = k;
	s->fd = -1;
	s->poll_events = POLLIN;
	s->counts = 1;
	s->routed = 1;
	if (pipe2(k->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
	{
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		kafka_close(s);
		return -1;
	}
	if ((conf = build_conf(c, err, errlen)) == NULL)
	{
		kafka_close(s);
		return -1;
	}
	{
		char		v[64];
		size_t		vs = sizeof(v);

		k->max_msgs = L.rd_kafka_conf_get(conf, "queue.buffering.max.messages", v, &vs) == RD_KAFKA_CONF_OK ?
			strtoull(v, NULL, 10) : 100000;
		vs = sizeof(v);
		k->max_bytes = L.rd_kafka_conf_get(conf, "queue.buffering.max.kbytes", v, &vs) == RD_KAFKA_CONF_OK ?
			strtoull(v, NULL, 10) * 1024 : 16384 * 1024;
		vs = sizeof(k->txn_id);
		k->txn = c->exactly_once == CONFIG_EOS_REQUIRED &&
			L.rd_kafka_conf_get(conf, "transactional.id", k->txn_id, &vs) == RD_KAFKA_CONF_OK;
		k->commit_ms = c->kafka_flush_ms > 1000 ? (int) c->kafka_flush_ms : 1000;
	}
	L.rd_kafka_conf_set_opaque(conf, k);
	L.rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	L.rd_kafka_conf_set_error_cb(conf, on_error);
	L.rd_kafka_conf_set_log_cb(conf, on_log);
	k->rk = L.rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof(msg));
	if (k->rk == NULL)
	{
		L.rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot create the Kafka producer: %s", msg);
		kafka_close(s);
		return -1;
	}
	/* logs come through the main queue, served in this thread */
	L.rd_kafka_set_log_queue(k->rk, NULL);
	k->mainq = L.rd_kafka_queue_get_main(k->rk);
	L.rd_kafka_queue_io_event_enable(k->mainq, k->pipe[1], "1", 1);
	s->fd = k->pipe[0];
	if (k->txn)
	{
		rd_kafka_error_t *e;

		/* fences every earlier producer with this id, and ends its transaction */
		if ((e = L.rd_kafka_init_transactions(k->rk, INIT_TXN_MS)) != NULL)
		{
			rd_kafka_resp_err_t code = L.rd_kafka_error_code(e);

			txn_failed(k, "could not start", e, err, errlen);
			if (!fenced(code))
				snprintf(err + strlen(err), errlen - strlen(err),
						 "\ncheck kafka.bootstrap.servers, and that the brokers allow transactions (transaction.state.log.* settings, enough brokers for its replication factor)");
			kafka_close(s);
			return -1;
		}
		s->ops = &kafka_txn_ops;
	}
	return 0;
}

/*
 * redis.c — RESP commands, error replies, addresses and the queue of
 * unanswered commands of the Redis sink; see redis.h.
 */
#include "redis.h"

#include <stdlib.h>
#include <string.h>

/* "<c><n>\r\n": an array or bulk string header */
static void
put_header(struct buf *out, char c, size_t n)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);

	*--p = '\n';
	*--p = '\r';
	do
	{
		*--p = (char) ('0' + n % 10);
		n /= 10;
	} while (n);
	*--p = c;
	buf_append(out, p, (size_t) (tmp + sizeof(tmp) - p));
}

static void
put_bulk(struct buf *out, const char *s, size_t len)
{
	put_header(out, '$', len);
	buf_append(out, s, len);
	buf_lit(out, "\r\n");
}

void
redis_command(struct buf *out, int argc, const char *const *argv, const size_t *lens)
{
	put_header(out, '*', (size_t) argc);
	for (int i = 0; i < argc; i++)
		put_bulk(out, argv[i], lens[i]);
}

void
redis_xadd(struct buf *out, const char *stream, size_t slen,
		   const char *const *fv, const size_t *fvlen, int npairs)
{
	/* "*" for the command's argument count, then XADD */
	put_header(out, '*', (size_t) (3 + 2 * npairs));
	buf_lit(out, "$4\r\nXADD\r\n");
	put_bulk(out, stream, slen);
	buf_lit(out, "$1\r\n*\r\n");
	for (int i = 0; i < 2 * npairs; i++)
		put_bulk(out, fv[i], fvlen[i]);
}

/* Read "<c><decimal>\r\n" at *p (before end): the number, or -1. */
static long long
get_header(const char **p, const char *end, char c)
{
	const char *s = *p;
	long long	n = 0;

	if (s >= end || *s++ != c || s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9')
	{
		if (n > 1000000000000LL)
			return -1;
		n = n * 10 + (*s++ - '0');
	}
	if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
		return -1;
	*p = s + 2;
	return n;
}

size_t
redis_xadd_stream(const char *cmd, size_t len, const char **name)
{
	const char *p = cmd;
	const char *end = cmd + len;
	long long	n;

	if (get_header(&p, end, '*') < 3 || get_header(&p, end, '$') != 4 ||
		end - p < 6 || memcmp(p, "XADD\r\n", 6) != 0)
		return 0;
	p += 6;
	if ((n = get_header(&p, end, '$')) < 0 || end - p < n)
		return 0;
	*name = p;
	return (size_t) n;
}

/* Whether msg begins with the error code code (a word, then a space or the end). */
static int
code_is(const char *msg, const char *code)
{
	size_t		n = strlen(code);

	return strncmp(msg, code, n) == 0 && (msg[n] == ' ' || msg[n] == '\0');
}

enum redis_error_kind
redis_error_kind(const char *msg)
{
	static const char *const transient[] = {
		"OOM",					/* maxmemory: a reader may trim the streams */
		"LOADING",				/* started, still reading its AOF or RDB file */
		"BUSY",					/* a script runs too long */
		"TRYAGAIN",
		"MASTERDOWN",			/* a replica that lost its primary */
		NULL
	};

	for (int i = 0; transient[i] != NULL; i++)
		if (code_is(msg, transient[i]))
			return REDIS_ERROR_RETRY;
	if (strncmp(msg, "ERR max number of clients reached", 33) == 0)
		return REDIS_ERROR_RETRY;
	return REDIS_ERROR_STOP;
}

const char *
redis_error_hint(const char *msg)
{
	if (code_is(msg, "NOAUTH"))
		return "Redis wants a password: set sink.redis.password (and sink.redis.user for an ACL user)";
	if (code_is(msg, "WRONGPASS") || strstr(msg, "invalid password") != NULL ||
		strstr(msg, "invalid username-password pair") != NULL)
		return "check sink.redis.user and sink.redis.password (or its file, or WALCAP_SINK_REDIS_PASSWORD)";
	if (strstr(msg, "without any password configured") != NULL)
		return "this Redis has no password: leave sink.redis.password unset";
	if (code_is(msg, "NOPERM"))
		return "the ACL user (sink.redis.user) needs the xadd command (+xadd) on these streams' keys (e.g. ~<topic.prefix>.*)";
	if (code_is(msg, "WRONGTYPE"))
		return "the key already holds something other than a stream: delete or rename it, or change topic.prefix";
	if (code_is(msg, "READONLY"))
		return "sink.redis.address is a read-only replica: give the primary's address";
	if (code_is(msg, "MOVED") || code_is(msg, "ASK") || code_is(msg, "CROSSSLOT") ||
		code_is(msg, "CLUSTERDOWN"))
		return "walcap does not speak the Redis Cluster protocol: give the address of a standalone Redis (or a proxy)";
	if (code_is(msg, "DENIED"))
		return "Redis is in protected mode: give the user a password (sink.redis.password) or set Redis's bind and protected-mode";
	if (strstr(msg, "unknown command") != NULL && strstr(msg, "XADD") != NULL)
		return "Redis Streams need Redis 5.0 or later";
	if (strstr(msg, "DB index is out of range") != NULL)
		return "sink.redis.db.index is above Redis's databases setting";
	return "";
}

int
redis_address_parse(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon;
	const char *h = addr;
	size_t		n;
	long		p = 0;

	if (addr[0] == '[')
	{
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = addr + 1;
		n = (size_t) (close - h);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t) (colon - addr)) != NULL)
			return -1;
		n = (size_t) (colon - addr);
	}
	if (n == 0 || n >= hostlen || colon[1] == '\0')
		return -1;
	for (const char *s = colon + 1; *s; s++)
	{
		if (*s < '0' || *s > '9' || p > 65535)
			return -1;
		p = p * 10 + (*s - '0');
	}
	if (p < 1 || p > 65535)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (h[i] == ' ' || h[i] == '/' || (unsigned char) h[i] < 0x20)
			return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (int) p;
	return 0;
}

/* ---- the queue ---- */

int
redis_queue_init(struct redis_queue *q, size_t max_cmds)
{
	size_t		size = 16;

	memset(q, 0, sizeof(*q));
	buf_init(&q->data, 0);
	while (size < max_cmds)
		size *= 2;
	if ((q->ring = calloc(size, sizeof(*q->ring))) == NULL)
		return -1;
	q->mask = size - 1;
	return 0;
}

void
redis_queue_free(struct redis_queue *q)
{
	buf_free(&q->data);
	free(q->ring);
	q->ring = NULL;
}

int
redis_queue_push(struct redis_queue *q, uint32_t flags)
{
	uint64_t	end = q->base + q->data.len;
	struct redis_cmd *c;

	if (buf_failed(&q->data) || end - q->tail > UINT32_MAX)
		return -1;
	c = &q->ring[q->next & q->mask];
	c->len = (uint32_t) (end - q->tail);
	c->flags = flags;
	q->tail = end;
	q->next++;
	return 0;
}

size_t
redis_queue_take(struct redis_queue *q)
{
	size_t		records = 0;

	while (q->taken < q->next)
	{
		const struct redis_cmd *c = &q->ring[q->taken & q->mask];

		if (q->taken_pos + c->len > q->sent)
			break;
		q->taken_pos += c->len;
		q->taken++;
		if (c->flags & REDIS_CMD_RECORD)
			records++;
	}
	return records;
}

/* Drop the answered bytes at the front once they are half the buffer. */
static void
compact(struct redis_queue *q)
{
	size_t		drop = (size_t) (q->head - q->base);

	if (drop < 65536 || drop < q->data.len / 2)
		return;
	memmove(q->data.data, q->data.data + drop, q->data.len - drop);
	q->data.len -= drop;
	q->data.data[q->data.len] = '\0';
	q->base += drop;
}

int
redis_queue_answered(struct redis_queue *q)
{
	const struct redis_cmd *c;

	if (q->first == q->next || q->head + q->ring[q->first & q->mask].len > q->sent)
		return -1;
	c = &q->ring[q->first & q->mask];
	q->head += c->len;
	q->first++;
	if (c->flags & REDIS_CMD_EVENT)
		q->events++;
	compact(q);
	return (int) c->flags;
}

const char *
redis_queue_oldest(const struct redis_queue *q, size_t *len)
{
	if (q->first == q->next)
		return NULL;
	*len = q->ring[q->first & q->mask].len;
	return q->data.data + (q->head - q->base);
}

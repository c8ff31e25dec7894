/*
 * test_redis.c — the Redis sink's parts that need no server (redis.h):
 * commands byte for byte as hiredis's own redisFormatCommandArgv writes
 * them, the stream of a queued XADD, what error answers mean, addresses,
 * and the queue: records taken only once sent, events delivered only
 * once every command of them is answered (tombstones, key changes), a
 * lost connection sending everything unanswered again, the buffer
 * compacted under a long stream of commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dynlib.h"
#include "redis.h"
#include "testhelp.h"

#define HIREDIS_FUNCS(X) X(redisFormatCommandArgv) X(redisFreeCommand)

static DYNLIB_TABLE(HIREDIS_FUNCS) H;
static const char *const hiredis_names[] = {HIREDIS_FUNCS(DYNLIB_NAME)};
static struct dynlib hiredis = DYNLIB_INIT(WALCAP_LIBHIREDIS_SONAME, "libhiredis0.14", hiredis_names, H);

/* out holds exactly what hiredis writes for argv. */
static void
check_as_hiredis(const struct buf *out, int argc, const char **argv, const size_t *lens)
{
	char	   *cmd = NULL;
	int			n = H.redisFormatCommandArgv(&cmd, argc, argv, lens);

	CHECK(n > 0);
	CHECK_INT(out->len, n);
	CHECK(n > 0 && out->len == (size_t) n && memcmp(out->data, cmd, (size_t) n) == 0);
	H.redisFreeCommand(cmd);
}

static void
test_commands(void)
{
	char		err[512];
	struct buf	b;
	const char *argv[7];
	size_t		lens[7];
	const char *fv[4];
	size_t		fvlen[4];
	const char *name = NULL;
	char		big[3000];

	CHECK_INT(dynlib_load(&hiredis, err, sizeof(err)), 0);
	buf_init(&b, 0);

	argv[0] = "PING";
	lens[0] = 4;
	redis_command(&b, 1, argv, lens);
	CHECK_STR(b.data, "*1\r\n$4\r\nPING\r\n");
	check_as_hiredis(&b, 1, argv, lens);

	buf_reset(&b);
	argv[0] = "AUTH";
	argv[1] = "walcap";
	argv[2] = "pa ss\r\nword";
	for (int i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	redis_command(&b, 3, argv, lens);
	check_as_hiredis(&b, 3, argv, lens);

	/* compact: XADD stream * <key> <value>; binary-safe, empty strings too */
	buf_reset(&b);
	fv[0] = "{\"id\":1}";
	fvlen[0] = strlen(fv[0]);
	fv[1] = "{\"op\":\"c\",\"x\":\"a\0b\"}";
	fvlen[1] = 20;
	redis_xadd(&b, "k.public.items", 14, fv, fvlen, 1);
	argv[0] = "XADD";
	argv[1] = "k.public.items";
	argv[2] = "*";
	argv[3] = fv[0];
	argv[4] = fv[1];
	lens[0] = 4;
	lens[1] = 14;
	lens[2] = 1;
	lens[3] = fvlen[0];
	lens[4] = fvlen[1];
	check_as_hiredis(&b, 5, argv, lens);
	CHECK_INT(redis_xadd_stream(b.data, b.len, &name), 14);
	CHECK(name != NULL && memcmp(name, "k.public.items", 14) == 0);

	/* extended: key and value fields; an empty value */
	buf_reset(&b);
	memset(big, 'v', sizeof(big));
	fv[0] = "key";
	fvlen[0] = 3;
	fv[1] = "default";
	fvlen[1] = 7;
	fv[2] = "value";
	fvlen[2] = 5;
	fv[3] = big;
	fvlen[3] = sizeof(big);
	redis_xadd(&b, "s", 1, fv, fvlen, 2);
	argv[0] = "XADD";
	argv[1] = "s";
	argv[2] = "*";
	lens[0] = 4;
	lens[1] = 1;
	lens[2] = 1;
	for (int i = 0; i < 4; i++)
	{
		argv[3 + i] = fv[i];
		lens[3 + i] = fvlen[i];
	}
	check_as_hiredis(&b, 7, argv, lens);
	CHECK_INT(redis_xadd_stream(b.data, b.len, &name), 1);
	buf_reset(&b);
	fvlen[3] = 0;
	redis_xadd(&b, "s", 1, fv, fvlen, 2);
	lens[6] = 0;
	check_as_hiredis(&b, 7, argv, lens);

	/* not an XADD, or cut short */
	CHECK_INT(redis_xadd_stream("*1\r\n$4\r\nPING\r\n", 14, &name), 0);
	CHECK_INT(redis_xadd_stream("*5\r\n$4\r\nXADD\r\n$14\r\nk.pub", 24, &name), 0);
	CHECK_INT(redis_xadd_stream("", 0, &name), 0);
	buf_free(&b);
}

static void
test_errors(void)
{
	CHECK_INT(redis_error_kind("OOM command not allowed when used memory > 'maxmemory'."), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("LOADING Redis is loading the dataset in memory"), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("BUSY Redis is busy running a script."), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("MASTERDOWN Link with MASTER is down"), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("TRYAGAIN"), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("ERR max number of clients reached"), REDIS_ERROR_RETRY);
	CHECK_INT(redis_error_kind("WRONGTYPE Operation against a key holding the wrong kind of value"), REDIS_ERROR_STOP);
	CHECK_INT(redis_error_kind("NOAUTH Authentication required."), REDIS_ERROR_STOP);
	CHECK_INT(redis_error_kind("WRONGPASS invalid username-password pair or user is disabled."), REDIS_ERROR_STOP);
	CHECK_INT(redis_error_kind("OOMX not a code"), REDIS_ERROR_STOP);
	CHECK_INT(redis_error_kind("ERR unknown command 'XADD'"), REDIS_ERROR_STOP);

	CHECK(strstr(redis_error_hint("NOAUTH Authentication required."), "set sink.redis.password") != NULL);
	CHECK(strstr(redis_error_hint("WRONGPASS invalid username-password pair or user is disabled."),
				 "check sink.redis.user and sink.redis.password") != NULL);
	CHECK(strstr(redis_error_hint("ERR invalid password"), "check sink.redis.user") != NULL);
	CHECK(strstr(redis_error_hint("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"),
				 "leave sink.redis.password unset") != NULL);
	CHECK(strstr(redis_error_hint("NOPERM this user has no permissions to run the 'xadd' command"), "+xadd") != NULL);
	CHECK(strstr(redis_error_hint("WRONGTYPE Operation against a key holding the wrong kind of value"),
				 "delete or rename it") != NULL);
	CHECK(strstr(redis_error_hint("READONLY You can't write against a read only replica."), "primary") != NULL);
	CHECK(strstr(redis_error_hint("MOVED 3999 127.0.0.1:6381"), "Redis Cluster") != NULL);
	CHECK(strstr(redis_error_hint("ERR unknown command 'XADD', with args beginning with: "), "Redis 5.0") != NULL);
	CHECK(strstr(redis_error_hint("ERR DB index is out of range"), "sink.redis.db.index") != NULL);
	CHECK_STR(redis_error_hint("ERR something else"), "");
}

static void
test_address(void)
{
	char		host[64];
	int			port = 0;

	CHECK_INT(redis_address_parse("localhost:6379", host, sizeof(host), &port), 0);
	CHECK_STR(host, "localhost");
	CHECK_INT(port, 6379);
	CHECK_INT(redis_address_parse("10.0.0.7:1", host, sizeof(host), &port), 0);
	CHECK_STR(host, "10.0.0.7");
	CHECK_INT(port, 1);
	CHECK_INT(redis_address_parse("[::1]:65535", host, sizeof(host), &port), 0);
	CHECK_STR(host, "::1");
	CHECK_INT(port, 65535);
	CHECK_INT(redis_address_parse("[fe80::1%eth0]:7000", host, sizeof(host), &port), 0);
	CHECK_STR(host, "fe80::1%eth0");

	CHECK_INT(redis_address_parse("localhost", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse(":6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:0", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:65536", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:99999999999999999999", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:63x9", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("localhost:+6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("::1:6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("[::1]6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("[::1:6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("[]:6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("redis://h:6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("a b:6379", host, sizeof(host), &port), -1);
	CHECK_INT(redis_address_parse("a-very-long-host-name-that-does-not-fit-into-the-buffer-given.example:1",
								  host, sizeof(host), &port), -1);
}

/* Queue one record of ncmds commands (1, or 2 with a tombstone); 0 or -1. */
static int
push_record(struct redis_queue *q, const char *stream, int ncmds, int ends_event)
{
	const char *fv[2] = {"{\"id\":1}", "{\"op\":\"c\"}"};
	size_t		fvlen[2] = {8, 10};

	for (int i = 0; i < ncmds; i++)
	{
		uint32_t	flags = i == ncmds - 1 ?
			REDIS_CMD_RECORD | (ends_event ? REDIS_CMD_EVENT : 0) : 0;

		redis_xadd(redis_queue_buf(q), stream, strlen(stream), fv, fvlen, 1);
		if (redis_queue_push(q, flags) != 0)
			return -1;
	}
	return 0;
}

/* Hand n bytes (all that wait, if n is 0) to the "connection". */
static size_t
send_some(struct redis_queue *q, size_t n)
{
	size_t		len;

	(void) redis_queue_unsent_data(q, &len);
	if (n == 0 || n > len)
		n = len;
	redis_queue_sent(q, n);
	return n;
}

static void
test_queue(void)
{
	struct redis_queue q;
	size_t		len;
	const char *oldest;
	const char *name = NULL;
	uint64_t	total;

	CHECK_INT(redis_queue_init(&q, 10), 0);
	CHECK_INT(q.mask + 1, 16);
	CHECK(redis_queue_oldest(&q, &len) == NULL);
	CHECK_INT(redis_queue_answered(&q), -1);
	CHECK_INT(redis_queue_take(&q), 0);

	/* an insert (1 command), a delete with its tombstone (2), a key change (2 records, 3 commands) */
	CHECK_INT(push_record(&q, "s.a", 1, 1), 0);
	CHECK_INT(push_record(&q, "s.b", 2, 1), 0);
	CHECK_INT(push_record(&q, "s.c", 2, 0), 0);	/* delete half + its tombstone: the event goes on */
	CHECK_INT(push_record(&q, "s.c", 1, 1), 0);	/* the create half ends it */
	CHECK_INT(redis_queue_unanswered(&q), 6);
	CHECK_INT(redis_queue_ring_used(&q), 6);
	total = redis_queue_unsent(&q);
	CHECK_INT(redis_queue_bytes(&q), total);

	/* nothing is taken before its last byte is sent */
	send_some(&q, 10);
	CHECK_INT(redis_queue_take(&q), 0);
	send_some(&q, q.ring[0].len - 10);
	CHECK_INT(redis_queue_take(&q), 1);
	send_some(&q, q.ring[1].len + 1);
	CHECK_INT(redis_queue_take(&q), 0);	/* the delete's tombstone is not all sent */
	send_some(&q, 0);
	CHECK_INT(redis_queue_take(&q), 3);
	CHECK_INT(redis_queue_unsent(&q), 0);

	/* answers, in order: an event counts once all its commands are answered */
	oldest = redis_queue_oldest(&q, &len);
	CHECK(oldest != NULL && redis_xadd_stream(oldest, len, &name) == 3 && memcmp(name, "s.a", 3) == 0);
	CHECK_INT(redis_queue_answered(&q), REDIS_CMD_RECORD | REDIS_CMD_EVENT);
	CHECK_INT(q.events, 1);
	CHECK_INT(redis_queue_answered(&q), 0);
	CHECK_INT(q.events, 1);
	CHECK_INT(redis_queue_answered(&q), REDIS_CMD_RECORD | REDIS_CMD_EVENT);
	CHECK_INT(q.events, 2);
	CHECK_INT(redis_queue_answered(&q), 0);
	CHECK_INT(redis_queue_answered(&q), REDIS_CMD_RECORD);
	CHECK_INT(q.events, 2);		/* the key change is half answered */
	CHECK_INT(redis_queue_unanswered(&q), 1);

	/* the connection is lost: the unanswered command goes again, nothing is taken twice */
	CHECK_INT(push_record(&q, "s.d", 1, 1), 0);
	send_some(&q, 5);
	redis_queue_rewind(&q);
	CHECK_INT(redis_queue_unsent(&q), redis_queue_bytes(&q));
	oldest = redis_queue_oldest(&q, &len);
	CHECK(oldest != NULL && redis_xadd_stream(oldest, len, &name) == 3 && memcmp(name, "s.c", 3) == 0);
	CHECK_INT(redis_queue_answered(&q), -1);	/* not sent again yet: no answer can be its */
	CHECK_INT(redis_queue_take(&q), 0);
	send_some(&q, len);
	CHECK_INT(redis_queue_take(&q), 0);	/* s.c was taken before; s.d not sent yet */
	send_some(&q, 0);
	CHECK_INT(redis_queue_take(&q), 1);
	CHECK_INT(redis_queue_answered(&q), REDIS_CMD_RECORD | REDIS_CMD_EVENT);
	CHECK_INT(q.events, 3);
	CHECK_INT(redis_queue_answered(&q), REDIS_CMD_RECORD | REDIS_CMD_EVENT);
	CHECK_INT(q.events, 4);
	CHECK_INT(redis_queue_answered(&q), -1);
	CHECK_INT(redis_queue_bytes(&q), 0);

	/* a long stream through a small ring: the buffer is compacted and stays small */
	{
		int			bad = 0;

		for (int i = 0; i < 100000 && !bad; i++)
		{
			/* a few in flight at once, as in the sink */
			for (int j = 0; j < 3; j++)
				bad |= push_record(&q, "bench.public.bench", 2, 1) != 0;
			send_some(&q, 0);
			bad |= redis_queue_take(&q) != 3;
			for (int j = 0; j < 3; j++)
				bad |= redis_queue_answered(&q) != 0 ||
					redis_queue_answered(&q) != (REDIS_CMD_RECORD | REDIS_CMD_EVENT);
			bad |= redis_queue_ring_used(&q) != 0;
		}
		CHECK_INT(bad, 0);
	}
	CHECK_INT(q.events, 300004);
	CHECK_INT(redis_queue_ring_used(&q), 0);
	CHECK(q.data.len < 200000);
	CHECK(q.base > 1000000);
	redis_queue_free(&q);
}

int
main(void)
{
	test_commands();
	test_errors();
	test_address();
	test_queue();
	return TEST_REPORT("test_redis");
}

/*
 * test_event.c — unit tests for event.c (with relcache.c): the exact
 * JSON line of every op, built from hand-made pgoutput messages decoded
 * by the decoder, as the run loop does.
 *
 * Columns use int4 (OID 23) and text (OID 25), whose conversion is
 * trivial (a number, a string), so that these tests check the envelope
 * and the tuple handling rather than convert.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decoder.h"
#include "event.h"
#include "log.h"
#include "relcache.h"
#include "msgbuild.h"
#include "schema.h"
#include "testhelp.h"

/* A tuple column: 't' + s, 'n' or 'u' (s NULL), or 'b' + s. */
static void
pcol(struct mb *m, char kind, const char *s)
{
	if (kind == 't' || kind == 'b')
		pcol_bytes(m, kind, s, (uint32_t) strlen(s));
	else
		p8(m, (unsigned char) kind);
}

static struct decoder dec;
static struct decoder_msg msg;
static struct relcache cache;
static struct event_writer ew;
static struct buf out;
static char err[512];

/*
 * The events go to a batch; collect() turns what one call appended into
 * the form these tests were written for: out gets the values, the two
 * records of a key change joined by '\n' (no framing after the last),
 * and the routed meta buf "topic NUL key NUL flag" per record, flag '-',
 * 'T' (tombstone follows), 'S' (the delete half of a key change with its
 * tombstone) or 'J' (without).  Both accumulate until the test resets
 * them.
 */
static struct batch bt;
static struct buf *routed_meta;

static int
collect(int rc)
{
	static const char flag[4] = {'-', 'T', 'J', 'S'};

	for (size_t i = 0; i < bt.nrecs; i++)
	{
		const struct batch_rec *r = &bt.recs[i];

		if (i > 0)
			buf_putc(&out, '\n');
		buf_append(&out, batch_rec_value(&bt, r), r->vlen);
		/* the framing batch_end() added */
		CHECK(bt.data.data[r->value + r->vlen] == '\n');
		if (routed_meta)
		{
			buf_puts(routed_meta, batch_rec_topic(&bt, r));
			buf_putc(routed_meta, '\0');
			buf_append(routed_meta, batch_rec_key(&bt, r), r->klen);
			buf_putc(routed_meta, '\0');
			buf_putc(routed_meta, flag[r->flags & 3]);
		}
	}
	CHECK(!batch_failed(&bt));
	batch_reset(&bt);
	return rc;
}

/* Route the writer's events into meta (NULL: stop routing). */
static void
route(struct buf *meta)
{
	routed_meta = meta;
	event_writer_route(&ew, meta != NULL);
}

/* Decode m (kept alive by the caller) into msg. */
static int
decode(const struct mb *m)
{
	err[0] = '\0';
	return decoder_decode(&dec, m->d, m->n, &msg, err, sizeof(err));
}

/* Decode a Relation message and cache it. */
static struct relcache_rel *
add_relation(const struct mb *m)
{
	struct relcache_rel *r;

	CHECK_INT(decode(m), 0);
	CHECK_INT(msg.type, DECODER_RELATION);
	r = relcache_update(&cache, &msg, err, sizeof(err));
	CHECK(r != NULL);
	return r;
}

/*
 * Relation 16384 public.items (id int4 key, name text, note text),
 * REPLICA IDENTITY DEFAULT.
 */
static void
build_items(struct mb *m)
{
	m->n = 0;
	p8(m, 'R');
	p32(m, 16384);
	pstr(m, "public");
	pstr(m, "items");
	p8(m, 'd');
	p16(m, 3);
	p8(m, 1);
	pstr(m, "id");
	p32(m, 23);
	p32(m, 0xFFFFFFFF);
	p8(m, 0);
	pstr(m, "name");
	p32(m, 25);
	p32(m, 0xFFFFFFFF);
	p8(m, 0);
	pstr(m, "note");
	p32(m, 25);
	p32(m, 0xFFFFFFFF);
}

/* The parts of every expected line. */
#define SRC_HEAD "\"source\":{\"version\":\"" WALCAP_VERSION \
	"\",\"connector\":\"postgresql\",\"name\":\"srv\",\"ts_ms\":"
#define SRC_DB ",\"snapshot\":\"false\",\"db\":\"shop\",\"sequence\":\"["
/* the sequence: previous commit LSN (or null) and this LSN, quoted */
#define SEQ(prev, lsn) "\\\"" prev "\\\",\\\"" lsn "\\\"]\","
#define SEQ_FIRST(lsn) "null,\\\"" lsn "\\\"]\","
#define ITEMS "\"schema\":\"public\",\"table\":\"items\""
#define SRC_END ",\"xmin\":null},\"transaction\":null,\"op\":"
/*
 * A message event's fields come in its schema's order, as the JSON
 * converter writes a Struct: op, ts_ms, source, transaction, message
 * (Debezium's PostgresSchemaFactory.logicalDecodingMessageMonitorValueSchema).
 */
#define MSG_HEAD "{\"op\":\"m\",\"ts_ms\":1700000000999,"
#define MSG_SRC_END ",\"xmin\":null},\"transaction\":null,"

/* The source block of the standard transaction: xid 777, LSN 200. */
#define SRC_777(lsn) SRC_HEAD "1700000000123" SRC_DB SEQ("100", lsn) ITEMS \
	",\"txId\":777,\"lsn\":" lsn SRC_END

static const struct event_txn TXN = {
	.xid = 777, .commit_ms = INT64_C(1700000000123), .last_commit_lsn = 100,
};
#define NOW INT64_C(1700000000999)

/* Decode m as a change and write its event; the result, or "ERR". */
static const char *
change(const struct mb *m, const struct event_txn *txn, uint64_t lsn)
{
	struct relcache_rel *rel;

	buf_reset(&out);
	if (decode(m) != 0)
	{
		fprintf(stderr, "decode: %s\n", err);
		return "DECODE-ERR";
	}
	rel = relcache_get(&cache, msg.u.change.relid);
	if (rel == NULL)
		return "NO-REL";
	if (collect(event_change(&ew, &bt, rel, &msg, txn, lsn, NOW, err, sizeof(err))) != 0)
		return "ERR";
	CHECK(!buf_failed(&out));
	return out.data;
}

static void
start_change(struct mb *m, char type, uint32_t relid)
{
	m->n = 0;
	p8(m, (unsigned char) type);
	p32(m, relid);
}

/*
 * A change message as a table row: its type, relation, old tuple kind
 * (0 for none) and tuples.  A column is a string led by its kind: T(s)
 * text, B(s) binary, COL_NULL, COL_UNCHANGED; each tuple ends at its
 * first NULL.  Insert and Update carry a new tuple (zero columns if the
 * list is empty), Delete none.
 */
#define T(s) "t" s
#define B(s) "b" s
#define COL_NULL "n"
#define COL_UNCHANGED "u"
#define MAXCOLS 6

struct change_msg
{
	char		type;			/* 'I', 'U' or 'D' */
	uint32_t	relid;
	char		old_kind;		/* 0, 'K' or 'O' */
	const char *old[MAXCOLS];
	const char *new_[MAXCOLS];
};

/*
 * One case: the message, the transaction (NULL: TXN) and LSN it is
 * written at, and exactly what change() must return: the event, or
 * "ERR" and then err must contain errsub.
 */
struct change_case
{
	const char *what;
	struct change_msg msg;
	const struct event_txn *txn;
	uint64_t	lsn;
	const char *want;
	const char *errsub;
};

static void
put_tuple(struct mb *m, char kind, const char *const *cols)
{
	int			n = 0;

	while (n < MAXCOLS && cols[n])
		n++;
	p8(m, (unsigned char) kind);
	p16(m, (unsigned) n);
	for (int i = 0; i < n; i++)
		pcol(m, cols[i][0], cols[i][0] == 't' || cols[i][0] == 'b' ? cols[i] + 1 : NULL);
}

static void
build_change(struct mb *m, const struct change_msg *c)
{
	start_change(m, c->type, c->relid);
	if (c->old_kind)
		put_tuple(m, c->old_kind, c->old);
	if (c->type != 'D')
		put_tuple(m, 'N', c->new_);
}

/* Run one case; 1 if it passed. */
static int
run_case(const struct change_case *c)
{
	struct mb	m;
	const char *got;
	int			ok;

	build_change(&m, &c->msg);
	got = change(&m, c->txn ? c->txn : &TXN, c->lsn);
	ok = strcmp(got, c->want) == 0;
	if (!ok)
		fprintf(stderr, "test_event: case \"%s\":\n", c->what);
	CHECK_STR(got, c->want);
	if (c->errsub)
	{
		int			has = strstr(err, c->errsub) != NULL;

		if (!has)
			fprintf(stderr, "test_event: case \"%s\": err \"%s\" lacks \"%s\"\n",
					c->what, err, c->errsub);
		CHECK(has);
		ok = ok && has;
	}
	return ok;
}

static void
run_cases(const struct change_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(&cases[i]);
}

#define RUN_CASES(t) run_cases((t), sizeof(t) / sizeof((t)[0]))

/* the first transaction of a session has no previous commit */
static const struct event_txn FIRST = {.xid = 5, .commit_ms = 0, .last_commit_lsn = 0};

static const struct change_case insert_cases[] = {
	{"insert: escapes in text, NULL",
		{'I', 16384, 0, {NULL}, {T("1"), T("a\"b"), COL_NULL}}, NULL, 200,
		"{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\\\"b\",\"note\":null},"
		SRC_777("200") "\"c\",\"ts_ms\":1700000000999}", NULL},
	{"insert in binary mode: int4 and text as the text path writes them",
		{'I', 16384, 0, {NULL}, {B("\x01\x02\x03\x04"), B("a\"b"), COL_NULL}}, NULL, 200,
		"{\"before\":null,\"after\":{\"id\":16909060,\"name\":\"a\\\"b\",\"note\":null},"
		SRC_777("200") "\"c\",\"ts_ms\":1700000000999}", NULL},
	{"insert: first transaction of a session, no previous commit",
		{'I', 16384, 0, {NULL}, {T("1"), T("a\"b"), COL_NULL}}, &FIRST, 26382864,
		"{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\\\"b\",\"note\":null},"
		SRC_HEAD "0" SRC_DB SEQ_FIRST("26382864") ITEMS
		",\"txId\":5,\"lsn\":26382864" SRC_END
		"\"c\",\"ts_ms\":1700000000999}", NULL},
	{"insert: negative int, empty text, control characters and UTF-8 in text",
		{'I', 16384, 0, {NULL}, {T("-2147483648"), T(""), T("tab\there \\ \xC3\xA9\n")}}, NULL, 200,
		"{\"before\":null,\"after\":{\"id\":-2147483648,\"name\":\"\","
		"\"note\":\"tab\\there \\\\ \xC3\xA9\\n\"},"
		SRC_777("200") "\"c\",\"ts_ms\":1700000000999}", NULL},
};

static const struct change_case update_cases[] = {
	{"update, no old tuple: before is null",
		{'U', 16384, 0, {NULL}, {T("1"), T("new"), COL_NULL}}, NULL, 300,
		"{\"before\":null,\"after\":{\"id\":1,\"name\":\"new\",\"note\":null},"
		SRC_777("300") "\"u\",\"ts_ms\":1700000000999}", NULL},
	{"update, 'K': the old key only (the other columns arrive as 'n')",
		{'U', 16384, 'K', {T("2"), COL_NULL, COL_NULL}, {T("3"), T("x"), T("y")}}, NULL, 300,
		"{\"before\":{\"id\":2},\"after\":{\"id\":3,\"name\":\"x\",\"note\":\"y\"},"
		SRC_777("300") "\"u\",\"ts_ms\":1700000000999}", NULL},
	{"update, 'O': the whole old row, NULLs included",
		{'U', 16384, 'O', {T("3"), T("old"), COL_NULL}, {T("3"), T("new"), COL_NULL}}, NULL, 300,
		"{\"before\":{\"id\":3,\"name\":\"old\",\"note\":null},"
		"\"after\":{\"id\":3,\"name\":\"new\",\"note\":null},"
		SRC_777("300") "\"u\",\"ts_ms\":1700000000999}", NULL},
	{"update: an unchanged TOASTed value is the placeholder, as a string",
		{'U', 16384, 0, {NULL}, {T("4"), T("n"), COL_UNCHANGED}}, NULL, 300,
		"{\"before\":null,\"after\":{\"id\":4,\"name\":\"n\","
		"\"note\":\"__debezium_unavailable_value\"},"
		SRC_777("300") "\"u\",\"ts_ms\":1700000000999}", NULL},
};

static const struct change_case delete_cases[] = {
	{"delete, 'K': the old key",
		{'D', 16384, 'K', {T("7"), COL_NULL, COL_NULL}, {NULL}}, NULL, 400,
		"{\"before\":{\"id\":7},\"after\":null,"
		SRC_777("400") "\"d\",\"ts_ms\":1700000000999}", NULL},
	{"delete, 'O': the old row, an unchanged TOASTed value as the placeholder",
		{'D', 16384, 'O', {T("7"), T("gone"), COL_UNCHANGED}, {NULL}}, NULL, 400,
		"{\"before\":{\"id\":7,\"name\":\"gone\","
		"\"note\":\"__debezium_unavailable_value\"},\"after\":null,"
		SRC_777("400") "\"d\",\"ts_ms\":1700000000999}", NULL},
};

/* Rows that do not match their relation are refused with a message. */
static const struct change_case mismatch_cases[] = {
	{"insert with too few columns",
		{'I', 16384, 0, {NULL}, {T("1"), T("a")}}, NULL, 200,
		"ERR", "\"public\".\"items\" has 2 columns, its Relation message 3"},
	{"insert with too many columns",
		{'I', 16384, 0, {NULL}, {T("1"), T("a"), T("b"), T("c")}}, NULL, 200,
		"ERR", "has 4 columns, its Relation message 3"},
	{"the old tuple is checked too",
		{'D', 16384, 'K', {T("7")}, {NULL}}, NULL, 200,
		"ERR", "has 1 columns, its Relation message 3"},
	{"an update with an empty new tuple",
		{'U', 16384, 'O', {T("1"), COL_NULL, COL_NULL}, {NULL}}, NULL, 200,
		"ERR", "has 0 columns, its Relation message 3"},
	{"binary mode: an int4 of three bytes",
		{'I', 16384, 0, {NULL}, {B("\x01\x02\x03"), B("xx"), COL_NULL}}, NULL, 200,
		"ERR", "a binary value of column \"public\".\"items\".\"id\" (type OID 23) could not be read"},
};

/* A value its type's converter refuses is written as a string. */
static const struct change_case bad_value_case = {
	"an int4 column with \"12abc\"",
	{'I', 16384, 0, {NULL}, {T("12abc"), COL_NULL, COL_NULL}}, NULL, 200,
	"{\"before\":null,\"after\":{\"id\":\"12abc\",\"name\":null,\"note\":null},"
	SRC_777("200") "\"c\",\"ts_ms\":1700000000999}", NULL
};

static void
test_insert(void)
{
	RUN_CASES(insert_cases);
}

static void
test_update(void)
{
	RUN_CASES(update_cases);
}

static void
test_delete(void)
{
	RUN_CASES(delete_cases);
}

static void
test_mismatch(void)
{
	RUN_CASES(mismatch_cases);
}

static void
test_bad_value(void)
{
	struct relcache_rel *rel;

	run_case(&bad_value_case);
	rel = relcache_get(&cache, 16384);
	CHECK(rel != NULL && rel->cols[0].warned == 1);
	/* again: same output (the warning is logged only once) */
	run_case(&bad_value_case);
}

static void
test_truncate(void)
{
	struct relcache_rel *rel = relcache_get(&cache, 16384);

	CHECK(rel != NULL);
	if (rel == NULL)
		return;
	buf_reset(&out);
	event_truncate(&ew, &bt, rel, &TXN, 500, NOW);
	(void) collect(0);
	CHECK_STR(out.data,
			  "{\"before\":null,\"after\":null," SRC_777("500")
			  "\"t\",\"ts_ms\":1700000000999}");
}

static void
build_message(struct mb *m, unsigned flags, uint64_t lsn, const char *prefix,
			  const void *content, uint32_t len)
{
	m->n = 0;
	p8(m, 'M');
	p8(m, flags);
	p64(m, lsn);
	pstr(m, prefix);
	p32(m, len);
	pbytes(m, content, len);
}

static void
test_message(void)
{
	struct mb	m;

	build_message(&m, 1, 600, "pfx", "hello", 5);
	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, &TXN, NOW);
	(void) collect(0);
	CHECK_STR(out.data,
			  MSG_HEAD SRC_HEAD "1700000000123" SRC_DB SEQ("100", "600")
			  "\"schema\":\"\",\"table\":\"\",\"txId\":777,\"lsn\":600" MSG_SRC_END
			  "\"message\":{\"prefix\":\"pfx\",\"content\":\"aGVsbG8=\"}}");

	/* non-transactional: no txId, no previous commit, read time as ts_ms */
	build_message(&m, 0, 700, "a\"b", "\0\xff\xfe", 3);
	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, NULL, NOW);
	(void) collect(0);
	CHECK_STR(out.data,
			  MSG_HEAD SRC_HEAD "1700000000999" SRC_DB SEQ_FIRST("700")
			  "\"schema\":\"\",\"table\":\"\",\"txId\":null,\"lsn\":700" MSG_SRC_END
			  "\"message\":{\"prefix\":\"a\\\"b\",\"content\":\"AP/+\"}}");

	/*
	 * content in binary.handling.mode's encoding, as Debezium's
	 * LogicalDecodingMessageMonitor.convertContent writes it: base64 (the
	 * bytes 00 ff fe are "AP/+"), base64-url-safe ("AP_-"), hex (its
	 * HexConverter: lowercase, "00fffe")
	 */
	ew.conv.binary = CONVERT_BINARY_BASE64;
	buf_reset(&out);
	event_message(&ew, &bt, &msg, NULL, NOW);
	(void) collect(0);
	CHECK(strstr(out.data, "\"content\":\"AP/+\"}}") != NULL);
	ew.conv.binary = CONVERT_BINARY_BASE64_URL_SAFE;
	buf_reset(&out);
	event_message(&ew, &bt, &msg, NULL, NOW);
	(void) collect(0);
	CHECK(strstr(out.data, "\"content\":\"AP_-\"}}") != NULL);
	ew.conv.binary = CONVERT_BINARY_HEX;
	buf_reset(&out);
	event_message(&ew, &bt, &msg, NULL, NOW);
	(void) collect(0);
	CHECK(strstr(out.data, "\"content\":\"00fffe\"}}") != NULL);
	ew.conv.binary = CONVERT_BINARY_BYTES;

	/* empty content */
	build_message(&m, 1, 701, "", "", 0);
	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, &TXN, NOW);
	(void) collect(0);
	CHECK_STR(out.data,
			  MSG_HEAD SRC_HEAD "1700000000123" SRC_DB SEQ("100", "701")
			  "\"schema\":\"\",\"table\":\"\",\"txId\":777,\"lsn\":701" MSG_SRC_END
			  "\"message\":{\"prefix\":\"\",\"content\":\"\"}}");
}

/*
 * The writer keeps the per-transaction part of the source block between
 * events: it must follow every change of transaction, including back to
 * one seen before, and through a non-transactional message.
 */
static void
test_transaction_switch(void)
{
	struct mb	m;
	struct mb	mm;
	struct event_txn t2 = {.xid = 778, .commit_ms = INT64_C(1700000000555), .last_commit_lsn = 250};
	struct event_txn t3 = t2;
	struct event_txn t4 = t2;

	start_change(&m, 'I', 16384);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "1");
	pcol(&m, 'n', NULL);
	pcol(&m, 'n', NULL);
#define AFTER1 "{\"before\":null,\"after\":{\"id\":1,\"name\":null,\"note\":null},"

	CHECK_STR(change(&m, &TXN, 200), AFTER1 SRC_777("200") "\"c\",\"ts_ms\":1700000000999}");
	CHECK_STR(change(&m, &t2, 260),
			  AFTER1 SRC_HEAD "1700000000555" SRC_DB SEQ("250", "260") ITEMS
			  ",\"txId\":778,\"lsn\":260" SRC_END "\"c\",\"ts_ms\":1700000000999}");

	/* a non-transactional message in between */
	build_message(&mm, 0, 265, "p", "x", 1);
	CHECK_INT(decode(&mm), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, NULL, NOW);
	(void) collect(0);
	CHECK(strstr(out.data, "\"txId\":null,\"lsn\":265") != NULL);
	CHECK(strstr(out.data, "\"sequence\":\"[null,\\\"265\\\"]\"") != NULL);

	CHECK_STR(change(&m, &t2, 270),
			  AFTER1 SRC_HEAD "1700000000555" SRC_DB SEQ("250", "270") ITEMS
			  ",\"txId\":778,\"lsn\":270" SRC_END "\"c\",\"ts_ms\":1700000000999}");

	/* the same xid with another commit time or previous LSN */
	t3.commit_ms = 1;
	CHECK_STR(change(&m, &t3, 280),
			  AFTER1 SRC_HEAD "1" SRC_DB SEQ("250", "280") ITEMS
			  ",\"txId\":778,\"lsn\":280" SRC_END "\"c\",\"ts_ms\":1700000000999}");
	t4.last_commit_lsn = 0;
	CHECK_STR(change(&m, &t4, 290),
			  AFTER1 SRC_HEAD "1700000000555" SRC_DB SEQ_FIRST("290") ITEMS
			  ",\"txId\":778,\"lsn\":290" SRC_END "\"c\",\"ts_ms\":1700000000999}");

	/* and back to the first transaction */
	CHECK_STR(change(&m, &TXN, 200), AFTER1 SRC_777("200") "\"c\",\"ts_ms\":1700000000999}");
#undef AFTER1
}

/*
 * Relation details that reach the event: names needing escapes, the
 * pg_catalog namespace sent as "", a relation replaced by a new
 * Relation message, another writer's placeholder and names.
 */
static void
test_relations(void)
{
	struct mb	r;
	struct mb	m;
	struct relcache_rel *rel;
	struct config c;
	struct event_writer w2;

	CHECK(relcache_get(&cache, 99999) == NULL);

	r.n = 0;
	p8(&r, 'R');
	p32(&r, 20000);
	pstr(&r, "");
	pstr(&r, "we\"ird");
	p8(&r, 'f');
	p16(&r, 2);
	p8(&r, 1);
	pstr(&r, "k\\ey");
	p32(&r, 23);
	p32(&r, 0xFFFFFFFF);
	p8(&r, 1);
	pstr(&r, "\xC3\xA9t\xC3\xA9");
	p32(&r, 25);
	p32(&r, 0xFFFFFFFF);
	rel = add_relation(&r);
	if (rel == NULL)
		return;
	CHECK_STR(rel->schema, "pg_catalog");
	CHECK_STR(rel->table, "we\"ird");
	CHECK_INT(rel->ncols, 2);
	CHECK_STR(rel->cols[0].key, "\"k\\\\ey\":");
	CHECK_INT(rel->cols[0].keylen, 8);

	start_change(&m, 'I', 20000);
	p8(&m, 'N');
	p16(&m, 2);
	pcol(&m, 't', "5");
	pcol(&m, 'u', NULL);

	config_init(&c);
	CHECK_INT(config_set(&c, "database.dbname", "d\"b", err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "topic.prefix", "t\\p", err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "unavailable.value.placeholder", "<un\"avail>", err, sizeof(err)), 0);
	CHECK_INT(event_writer_init(&w2, &c, err, sizeof(err)), 0);
	config_free(&c);

	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	CHECK_INT(collect(event_change(&w2, &bt, rel, &msg, &TXN, 200, NOW, err, sizeof(err))), 0);
	CHECK_STR(out.data,
			  "{\"before\":null,\"after\":{\"k\\\\ey\":5,\"\xC3\xA9t\xC3\xA9\":\"<un\\\"avail>\"},"
			  "\"source\":{\"version\":\"" WALCAP_VERSION "\",\"connector\":\"postgresql\","
			  "\"name\":\"t\\\\p\",\"ts_ms\":1700000000123,\"snapshot\":\"false\","
			  "\"db\":\"d\\\"b\",\"sequence\":\"[\\\"100\\\",\\\"200\\\"]\","
			  "\"schema\":\"pg_catalog\",\"table\":\"we\\\"ird\",\"txId\":777,\"lsn\":200"
			  SRC_END "\"c\",\"ts_ms\":1700000000999}");
	event_writer_free(&w2);

	/* ALTER TABLE: a new Relation message for 16384 replaces the entry */
	r.n = 0;
	p8(&r, 'R');
	p32(&r, 16384);
	pstr(&r, "public");
	pstr(&r, "items");
	p8(&r, 'd');
	p16(&r, 2);
	p8(&r, 1);
	pstr(&r, "id");
	p32(&r, 23);
	p32(&r, 0xFFFFFFFF);
	p8(&r, 0);
	pstr(&r, "extra");
	p32(&r, 23);
	p32(&r, 0xFFFFFFFF);
	rel = add_relation(&r);
	CHECK(rel != NULL && rel == relcache_get(&cache, 16384));
	CHECK(rel != NULL && rel->ncols == 2);
	start_change(&m, 'I', 16384);
	p8(&m, 'N');
	p16(&m, 2);
	pcol(&m, 't', "1");
	pcol(&m, 't', "7");
	CHECK_STR(change(&m, &TXN, 200),
			  "{\"before\":null,\"after\":{\"id\":1,\"extra\":7},"
			  SRC_777("200") "\"c\",\"ts_ms\":1700000000999}");
	/* the other relation is still there */
	CHECK(relcache_get(&cache, 20000) != NULL);

	/* many relations: the table grows and keeps every entry */
	{
		int			missing = 0;

		for (uint32_t id = 30000; id < 30300; id++)
		{
			r.n = 0;
			p8(&r, 'R');
			p32(&r, id);
			pstr(&r, "s");
			pstr(&r, "t");
			p8(&r, 'n');
			p16(&r, 0);
			if (decode(&r) != 0 || relcache_update(&cache, &msg, err, sizeof(err)) == NULL)
				missing++;
		}
		for (uint32_t id = 30000; id < 30300; id++)
		{
			rel = relcache_get(&cache, id);
			if (rel == NULL || rel->relid != id || rel->ncols != 0)
				missing++;
		}
		CHECK_INT(missing, 0);
		CHECK(relcache_get(&cache, 16384) != NULL);
		CHECK(relcache_get(&cache, 20000) != NULL);
		CHECK(relcache_get(&cache, 30300) == NULL);
	}
}

/* The routing record in meta as "topic|key|flag" (NULs shown as '|'). */
static const char *
route_text(const struct buf *meta)
{
	static char t[512];
	size_t		n = meta->len < sizeof(t) - 1 ? meta->len : sizeof(t) - 1;

	for (size_t i = 0; i < n; i++)
		t[i] = meta->data[i] ? meta->data[i] : '|';
	t[n] = '\0';
	return t;
}

/* Kafka routing: topic, key and tombstone flag beside each event. */
static void
test_route(void)
{
	struct buf	meta;
	struct mb	m;
	struct relcache_rel *rel = relcache_get(&cache, 16384);

	buf_init(&meta, 0);
	route(&meta);

	start_change(&m, 'I', 16384);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "1");
	pcol(&m, 't', "a");
	pcol(&m, 'n', NULL);
	change(&m, &TXN, 200);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":1}|-");

	/* an update changing the key: the new key */
	buf_reset(&meta);
	start_change(&m, 'U', 16384);
	p8(&m, 'K');
	p16(&m, 3);
	pcol(&m, 't', "2");
	pcol(&m, 'n', NULL);
	pcol(&m, 'n', NULL);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "3");
	pcol(&m, 't', "x");
	pcol(&m, 't', "y");
	CHECK_STR(change(&m, &TXN, 300),
			  "{\"before\":{\"id\":2},\"after\":null," SRC_777("300") "\"d\",\"ts_ms\":1700000000999}\n"
			  "{\"before\":null,\"after\":{\"id\":3,\"name\":\"x\",\"note\":\"y\"}," SRC_777("300")
			  "\"c\",\"ts_ms\":1700000000999}");
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":2}|Ssrv.public.items|{\"id\":3}|-");
	/* ... without tombstones: joined, no tombstone */
	buf_reset(&meta);
	ew.tombstones = 0;
	change(&m, &TXN, 300);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":2}|Jsrv.public.items|{\"id\":3}|-");
	ew.tombstones = 1;

	/* a whole old row (FULL) with the same key: one update */
	buf_reset(&meta);
	start_change(&m, 'U', 16384);
	p8(&m, 'O');
	p16(&m, 3);
	pcol(&m, 't', "3");
	pcol(&m, 't', "old");
	pcol(&m, 'n', NULL);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "3");
	pcol(&m, 't', "new");
	pcol(&m, 'n', NULL);
	CHECK_STR(change(&m, &TXN, 300),
			  "{\"before\":{\"id\":3,\"name\":\"old\",\"note\":null},"
			  "\"after\":{\"id\":3,\"name\":\"new\",\"note\":null},"
			  SRC_777("300") "\"u\",\"ts_ms\":1700000000999}");
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":3}|-");
	/* ... and with another key: split */
	buf_reset(&meta);
	start_change(&m, 'U', 16384);
	p8(&m, 'O');
	p16(&m, 3);
	pcol(&m, 't', "3");
	pcol(&m, 't', "old");
	pcol(&m, 'n', NULL);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "30");
	pcol(&m, 't', "old");
	pcol(&m, 'n', NULL);
	change(&m, &TXN, 300);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":3}|Ssrv.public.items|{\"id\":30}|-");

	/* a delete: the old key, and a tombstone after it */
	buf_reset(&meta);
	start_change(&m, 'D', 16384);
	p8(&m, 'K');
	p16(&m, 3);
	pcol(&m, 't', "7");
	pcol(&m, 'n', NULL);
	pcol(&m, 'n', NULL);
	change(&m, &TXN, 400);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":7}|T");
	/* ... unless tombstones.on.delete=false */
	buf_reset(&meta);
	ew.tombstones = 0;
	change(&m, &TXN, 400);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":7}|-");
	ew.tombstones = 1;

	/* truncate: the table's topic, a null key */
	buf_reset(&meta);
	buf_reset(&out);
	event_truncate(&ew, &bt, rel, &TXN, 500, NOW);
	(void) collect(0);
	CHECK_STR(route_text(&meta), "srv.public.items||-");

	/* messages: <prefix>.message, keyed by their prefix */
	buf_reset(&meta);
	build_message(&m, 1, 600, "audit", "x", 1);
	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, &TXN, NOW);
	(void) collect(0);
	CHECK_STR(route_text(&meta), "srv.message|{\"prefix\":\"audit\"}|-");

	/* two events: two records, in order */
	buf_reset(&meta);
	start_change(&m, 'I', 16384);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "5");
	pcol(&m, 'n', NULL);
	pcol(&m, 'n', NULL);
	change(&m, &TXN, 200);
	change(&m, &TXN, 201);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"id\":5}|-srv.public.items|{\"id\":5}|-");

	/* keyed by the primary key once marked (REPLICA IDENTITY FULL) */
	rel->cols[0].flags = 1;
	rel->cols[1].flags = 1 | 2;
	rel->cols[2].flags = 1;
	rel->keyflag = 2;
	buf_reset(&meta);
	change(&m, &TXN, 200);
	CHECK_STR(route_text(&meta), "srv.public.items|{\"name\":null}|-");
	/* no key column at all: a null key */
	rel->cols[1].flags = 1;
	buf_reset(&meta);
	change(&m, &TXN, 200);
	CHECK_STR(route_text(&meta), "srv.public.items||-");

	rel->cols[0].flags = 1;
	rel->cols[1].flags = rel->cols[2].flags = 0;
	rel->keyflag = 1;
	route(NULL);
	buf_free(&meta);
	CHECK(!buf_failed(&out));
}

/*
 * Relation 16400 public.docs (k text key, n int4, tags text[], bin bytea,
 * nums int4[]), REPLICA IDENTITY DEFAULT.
 */
static void
build_docs(struct mb *m)
{
	static const struct
	{
		const char *name;
		uint32_t	oid;
	}			cols[] = {{"k", 25}, {"n", 23}, {"tags", 1009}, {"bin", 17}, {"nums", 1007}};

	m->n = 0;
	p8(m, 'R');
	p32(m, 16400);
	pstr(m, "public");
	pstr(m, "docs");
	p8(m, 'd');
	p16(m, 5);
	for (int i = 0; i < 5; i++)
	{
		p8(m, i == 0);
		pstr(m, cols[i].name);
		p32(m, cols[i].oid);
		p32(m, 0xFFFFFFFF);
	}
}

#define DOCS_SRC SRC_HEAD "1700000000123" SRC_DB SEQ("100", "300") \
	"\"schema\":\"public\",\"table\":\"docs\",\"txId\":777,\"lsn\":300" SRC_END
#define PH_B64 "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ=="
#define PH_NUMS "[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]"

/*
 * Unchanged TOAST values ('u'): taken from the old tuple of the same
 * message when it carries them, else the placeholder shaped like the
 * column (a text[] array, bytea's bytes in base64, int4[] the bytes as
 * numbers).  A case with a route is run with Kafka routing on, and its
 * routing record must be that (route_text()).
 */
struct toast_case
{
	struct change_case c;
	const char *route;
};

static const struct toast_case toast_cases[] = {
	{{"no old tuple (REPLICA IDENTITY DEFAULT, key unchanged): placeholders",
		{'U', 16400, 0, {NULL},
		{T("a"), T("2"), COL_UNCHANGED, COL_UNCHANGED, COL_UNCHANGED}}, NULL, 300,
		"{\"before\":null,\"after\":{\"k\":\"a\",\"n\":2,"
		"\"tags\":[\"__debezium_unavailable_value\"],\"bin\":\"" PH_B64 "\","
		"\"nums\":" PH_NUMS "}," DOCS_SRC "\"u\",\"ts_ms\":1700000000999}", NULL}, NULL},

	/*
	 * an unchanged out-of-line key column: PostgreSQL logs the old key
	 * ('K'), which fills the key in after and in the message key; the
	 * other columns are not in it ('n'): placeholders
	 */
	{{"unchanged out-of-line key column: the old key fills it in",
		{'U', 16400, 'K', {T("kk"), COL_NULL, COL_NULL, COL_NULL, COL_NULL},
		{COL_UNCHANGED, T("3"), COL_UNCHANGED, COL_NULL, COL_UNCHANGED}}, NULL, 300,
		"{\"before\":{\"k\":\"kk\"},\"after\":{\"k\":\"kk\",\"n\":3,"
		"\"tags\":[\"__debezium_unavailable_value\"],\"bin\":null,"
		"\"nums\":" PH_NUMS "}," DOCS_SRC "\"u\",\"ts_ms\":1700000000999}", NULL},
	"srv.public.docs|{\"k\":\"kk\"}|-"},

	{{"the whole old row ('O', REPLICA IDENTITY FULL) carries every value",
		{'U', 16400, 'O', {T("a"), T("1"), T("{x,\"y z\"}"), T("\\x0102"), T("{1,2}")},
		{T("a"), T("2"), COL_UNCHANGED, COL_UNCHANGED, COL_UNCHANGED}}, NULL, 300,
		"{\"before\":{\"k\":\"a\",\"n\":1,\"tags\":[\"x\",\"y z\"],\"bin\":\"AQI=\",\"nums\":[1,2]},"
		"\"after\":{\"k\":\"a\",\"n\":2,\"tags\":[\"x\",\"y z\"],\"bin\":\"AQI=\",\"nums\":[1,2]},"
		DOCS_SRC "\"u\",\"ts_ms\":1700000000999}", NULL}, NULL},

	{{"... but not a value the old tuple lacks too",
		{'U', 16400, 'O', {T("a"), T("1"), COL_UNCHANGED, COL_NULL, T("{1}")},
		{T("a"), T("2"), COL_UNCHANGED, COL_UNCHANGED, T("{3}")}}, NULL, 300,
		"{\"before\":{\"k\":\"a\",\"n\":1,\"tags\":[\"__debezium_unavailable_value\"],\"bin\":null,\"nums\":[1]},"
		"\"after\":{\"k\":\"a\",\"n\":2,\"tags\":[\"__debezium_unavailable_value\"],\"bin\":\"" PH_B64 "\",\"nums\":[3]},"
		DOCS_SRC "\"u\",\"ts_ms\":1700000000999}", NULL}, NULL},
};

static void
test_toast(void)
{
	struct mb	r;
	struct buf	meta;

	build_docs(&r);
	add_relation(&r);
	buf_init(&meta, 0);
	for (size_t i = 0; i < sizeof(toast_cases) / sizeof(toast_cases[0]); i++)
	{
		const struct toast_case *t = &toast_cases[i];

		if (t->route)
		{
			buf_reset(&meta);
			route(&meta);
		}
		run_case(&t->c);
		if (t->route)
		{
			CHECK_STR(route_text(&meta), t->route);
			route(NULL);
		}
	}
	buf_free(&meta);
}

/* With schemas, values and keys are {"schema":…,"payload":…}. */
static void
test_schemas(void)
{
	struct buf	meta;
	struct mb	m;
	const char *p;

	buf_init(&meta, 0);
	route(&meta);
	ew.value_schemas = ew.key_schemas = 1;
	start_change(&m, 'I', 16384);
	p8(&m, 'N');
	p16(&m, 3);
	pcol(&m, 't', "1");
	pcol(&m, 't', "a");
	pcol(&m, 'n', NULL);
	p = change(&m, &TXN, 200);
	CHECK(strncmp(p, "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\"", 52) == 0);
	CHECK(strstr(p, "\"name\":\"srv.public.items.Envelope\",\"version\":2},\"payload\":{\"before\":null,"
				 "\"after\":{\"id\":1,\"name\":\"a\",\"note\":null},") != NULL);
	CHECK(p[strlen(p) - 1] == '}' && p[strlen(p) - 2] == '}');
	CHECK_STR(route_text(&meta),
			  "srv.public.items|{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}],"
			  "\"optional\":false,\"name\":\"srv.public.items.Key\"},\"payload\":{\"id\":1}}|-");

	/* messages: Debezium's message schemas */
	buf_reset(&meta);
	build_message(&m, 1, 600, "audit", "x", 1);
	CHECK_INT(decode(&m), 0);
	buf_reset(&out);
	event_message(&ew, &bt, &msg, &TXN, NOW);
	(void) collect(0);
	CHECK(strncmp(out.data, "{\"schema\":", 10) == 0 &&
		  strncmp(out.data + 10, SCHEMA_MESSAGE_VALUE, strlen(SCHEMA_MESSAGE_VALUE)) == 0);
	CHECK(strstr(out.data, "\"name\":\"io.debezium.connector.postgresql.MessageValue\",\"version\":1},"
				 "\"payload\":{\"op\":\"m\"") != NULL);
	CHECK(strstr(route_text(&meta), "\"name\":\"io.debezium.connector.postgresql.MessageKey\",\"version\":1},"
				 "\"payload\":{\"prefix\":\"audit\"}}|-") != NULL);
	/* content is a string in the other binary modes, in value and schema */
	ew.conv.binary = CONVERT_BINARY_BASE64;
	buf_reset(&out);
	event_message(&ew, &bt, &msg, &TXN, NOW);
	(void) collect(0);
	CHECK(strncmp(out.data + 10, SCHEMA_MESSAGE_VALUE_STRING, strlen(SCHEMA_MESSAGE_VALUE_STRING)) == 0);
	ew.conv.binary = CONVERT_BINARY_BYTES;

	/* truncate: the table's envelope, a null key */
	buf_reset(&meta);
	buf_reset(&out);
	event_truncate(&ew, &bt, relcache_get(&cache, 16384), &TXN, 500, NOW);
	(void) collect(0);
	CHECK(strstr(out.data, "\"name\":\"srv.public.items.Envelope\",\"version\":2},\"payload\":{\"before\":null,\"after\":null,") != NULL);
	CHECK_STR(route_text(&meta), "srv.public.items||-");

	/* heartbeat values */
	buf_reset(&meta);
	buf_reset(&out);
	event_heartbeat(&ew, &bt, NOW);
	(void) collect(0);
	CHECK_STR(out.data, "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
			  "\"optional\":false,\"name\":\"io.debezium.connector.common.Heartbeat\",\"version\":1},"
			  "\"payload\":{\"ts_ms\":1700000000999}}");

	ew.value_schemas = ew.key_schemas = 0;
	route(NULL);
	buf_free(&meta);
}

/* Topic names keep a-z, A-Z, 0-9, '.', '_', '-'; the rest becomes '_'. */
static void
test_topic_part(void)
{
	struct buf	b;

	buf_init(&b, 0);
	event_topic_part(&b, "My Schema.t-1_x/\xC3\xA9\"");
	CHECK_STR(b.data, "My_Schema.t-1_x___\x5f");
	buf_free(&b);
}

int
main(void)
{
	struct config c;
	struct mb	r;

	log_set_level(LOGL_ERROR);	/* the bad-value warning is expected */
	decoder_init(&dec);
	relcache_init(&cache, NULL, NULL);
	buf_init(&out, 0);
	batch_init(&bt);

	config_init(&c);
	CHECK_INT(config_set(&c, "database.dbname", "shop", err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "topic.prefix", "srv", err, sizeof(err)), 0);
	CHECK_INT(event_writer_init(&ew, &c, err, sizeof(err)), 0);
	config_free(&c);

	build_items(&r);
	add_relation(&r);

	test_insert();
	test_update();
	test_delete();
	test_mismatch();
	test_bad_value();
	test_truncate();
	test_message();
	test_transaction_switch();
	test_topic_part();
	test_route();
	test_toast();
	test_schemas();
	test_relations();

	event_writer_free(&ew);
	relcache_free(&cache);
	decoder_free(&dec);
	buf_free(&out);
	batch_free(&bt);
	return TEST_REPORT("test_event");
}

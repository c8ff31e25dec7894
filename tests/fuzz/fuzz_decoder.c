/*
 * fuzz_decoder.c — libFuzzer target for the pgoutput decoder and what
 * runs on its output: the relation cache, value conversion and the
 * event writer.
 *
 * Input: either one raw pgoutput message (what tests/fuzz/seeds/ holds),
 * or, after the 4-byte magic "WCAP", a sequence of messages each
 * preceded by its length as a big-endian uint16 (so that a Relation and
 * the changes that use it, or Begin/Commit around them, arrive in one
 * input).  Every message goes through decoder_decode() on one decoder
 * that persists across inputs (its column arrays only grow), then:
 *
 *   Relation            relcache_update()
 *   Insert/Update/Delete event_change() with the cached relation, or,
 *                       if none was sent, a relation made up to fit
 *                       the tuple, its column types chosen from the
 *                       relation OID and column number (built-in types
 *                       with assorted typmods, and user types the
 *                       resolver below maps to every conversion kind)
 *   Truncate            event_truncate() for each relation
 *   Message             event_message()
 *   Begin/Commit        the transaction the events belong to
 *
 * Every decoded message must re-encode to exactly the bytes it came from
 * (so the decoder neither skips nor misplaces a field), and every event
 * must be one valid JSON object in valid UTF-8 with no raw control
 * character or DEL (both checkers below are independent of decoder.c and
 * json.c); anything else aborts, which libFuzzer reports as a crash.
 *
 * The relation cache is built and freed per input; the decoder, the
 * event writers (one per option set, chosen from the input's bytes) and
 * the output buffer persist.  The decoder's stream state is reset per
 * input so that every input replays alone.  With FUZZ_DECODER_PRINT set
 * in the environment every event is printed to stdout, to see what an
 * input produces.  See tests/fuzz/README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "convert.h"
#include "decoder.h"
#include "event.h"
#include "log.h"
#include "relcache.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAGIC "WCAP"
#define MAX_TRUNCATE_EVENTS 64

/* ------------------------------------------------------------------ */
/* An independent strict JSON checker (RFC 8259, UTF-8 per RFC 3629).  */

struct jp
{
	const unsigned char *p;
	const unsigned char *end;
};

static void
jv_ws(struct jp *j)
{
	while (j->p < j->end &&
		   (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Length of the UTF-8 character at p by its code point, or 0. */
static size_t
jv_utf8(const unsigned char *p, const unsigned char *end)
{
	uint32_t	cp;
	size_t		n;
	uint32_t	min;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0)
		n = 2, cp = p[0] & 0x1F, min = 0x80;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3, cp = p[0] & 0x0F, min = 0x800;
	else if ((p[0] & 0xF8) == 0xF0)
		n = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if ((size_t) (end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int
jv_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
jv_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return 0;
	j->p++;
	while (j->p < j->end)
	{
		unsigned char c = *j->p;

		if (c == '"')
		{
			j->p++;
			return 1;
		}
		if (c < 0x20 || c == 0x7F)
			return 0;
		if (c == '\\')
		{
			if (j->end - j->p < 2)
				return 0;
			c = j->p[1];
			if (c == 'u')
			{
				if (j->end - j->p < 6 || !jv_hex(j->p[2]) || !jv_hex(j->p[3]) ||
					!jv_hex(j->p[4]) || !jv_hex(j->p[5]))
					return 0;
				j->p += 6;
			}
			else if (c == '"' || c == '\\' || c == '/' || c == 'b' ||
					 c == 'f' || c == 'n' || c == 'r' || c == 't')
				j->p += 2;
			else
				return 0;
			continue;
		}
		{
			size_t		n = jv_utf8(j->p, j->end);

			if (n == 0)
				return 0;
			j->p += n;
		}
	}
	return 0;
}

static int
jv_digits(struct jp *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static int
jv_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return 0;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		jv_digits(j);
	else
		return 0;
	if (j->p < j->end && *j->p == '.')
	{
		j->p++;
		if (!jv_digits(j))
			return 0;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E'))
	{
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jv_digits(j))
			return 0;
	}
	return 1;
}

static int
jv_lit(struct jp *j, const char *lit)
{
	size_t		n = strlen(lit);

	if ((size_t) (j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int
jv_value(struct jp *j, int depth)
{
	if (depth > 64)
		return 0;
	jv_ws(j);
	if (j->p >= j->end)
		return 0;
	switch (*j->p)
	{
		case '{':
			j->p++;
			jv_ws(j);
			if (j->p < j->end && *j->p == '}')
			{
				j->p++;
				return 1;
			}
			for (;;)
			{
				jv_ws(j);
				if (!jv_string(j))
					return 0;
				jv_ws(j);
				if (j->p >= j->end || *j->p != ':')
					return 0;
				j->p++;
				if (!jv_value(j, depth + 1))
					return 0;
				jv_ws(j);
				if (j->p < j->end && *j->p == ',')
				{
					j->p++;
					continue;
				}
				if (j->p < j->end && *j->p == '}')
				{
					j->p++;
					return 1;
				}
				return 0;
			}
		case '[':
			j->p++;
			jv_ws(j);
			if (j->p < j->end && *j->p == ']')
			{
				j->p++;
				return 1;
			}
			for (;;)
			{
				if (!jv_value(j, depth + 1))
					return 0;
				jv_ws(j);
				if (j->p < j->end && *j->p == ',')
				{
					j->p++;
					continue;
				}
				if (j->p < j->end && *j->p == ']')
				{
					j->p++;
					return 1;
				}
				return 0;
			}
		case '"':
			return jv_string(j);
		case 't':
			return jv_lit(j, "true");
		case 'f':
			return jv_lit(j, "false");
		case 'n':
			return jv_lit(j, "null");
		default:
			return jv_number(j);
	}
}

/* FUZZ_DECODER_PRINT=1 in the environment: print every event. */
static int	print_events;

/*
 * Abort unless b holds exactly one record, its value one JSON object
 * framed by the one '\n' after it.
 */
static void
check_event(const struct batch *b, const char *what)
{
	struct jp	j;
	const char *v;
	size_t		len;

	if (batch_failed(b))
	{
		fprintf(stderr, "fuzz_decoder: %s: output buffer failed\n", what);
		abort();
	}
	if (b->nrecs != 1 || b->recs[0].value != 0 ||
		b->recs[0].vlen + 1 != batch_bytes(b) || b->data.data[b->recs[0].vlen] != '\n')
	{
		fprintf(stderr, "fuzz_decoder: %s: not one framed record\n", what);
		abort();
	}
	v = batch_rec_value(b, &b->recs[0]);
	len = b->recs[0].vlen;
	if (len == 0 || v[0] != '{')
	{
		fprintf(stderr, "fuzz_decoder: %s: no JSON object\n", what);
		abort();
	}
	j.p = (const unsigned char *) v;
	j.end = j.p + len;
	if (!jv_value(&j, 0) || j.p != j.end)
	{
		fprintf(stderr, "fuzz_decoder: %s: invalid JSON at byte %zu of %zu:\n%.*s\n",
				what, (size_t) (j.p - (const unsigned char *) v), len,
				(int) len, v);
		abort();
	}
	if (print_events)
		fwrite(v, 1, len + 1, stdout);
}

/* ------------------------------------------------------------------ */
/* Re-encoding: a decoded message must give back exactly its bytes.    */

static void
put8(struct buf *b, unsigned v)
{
	buf_putc(b, (char) (unsigned char) v);
}

static void
put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
	(unsigned char) (v >> 8), (unsigned char) v};

	buf_append(b, x, 4);
}

static void
put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t) (v >> 32));
	put32(b, (uint32_t) v);
}

static void
putstr(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s) + 1);
}

static void
put_tuple(struct buf *b, const struct decoder_tuple *t)
{
	put8(b, ((unsigned) t->ncols >> 8) & 0xFF);
	put8(b, (unsigned) t->ncols & 0xFF);
	for (int i = 0; i < t->ncols; i++)
	{
		put8(b, (unsigned char) t->cols[i].kind);
		if (t->cols[i].kind == DECODER_COL_TEXT || t->cols[i].kind == DECODER_COL_BINARY)
		{
			put32(b, t->cols[i].len);
			buf_append(b, t->cols[i].data, t->cols[i].len);
		}
	}
}

/*
 * The wire form of m, decoded with the decoder inside a streamed block
 * or not: the layouts of docs/protocol.md, written
 * independently of decoder.c.
 */
static void
reencode(struct buf *b, const struct decoder_msg *m, int stream)
{
	put8(b, (unsigned) m->type);
	switch (m->type)
	{
		case DECODER_BEGIN:
			put64(b, m->u.begin.final_lsn);
			put64(b, (uint64_t) m->u.begin.commit_ts);
			put32(b, m->u.begin.xid);
			return;
		case DECODER_STREAM_COMMIT:
			put32(b, m->xid);
			/* FALLTHROUGH */
		case DECODER_COMMIT:
			put8(b, m->u.commit.flags);
			put64(b, m->u.commit.commit_lsn);
			put64(b, m->u.commit.end_lsn);
			put64(b, (uint64_t) m->u.commit.commit_ts);
			return;
		case DECODER_ORIGIN:
			put64(b, m->u.origin.origin_lsn);
			putstr(b, m->u.origin.name);
			return;
		case DECODER_STREAM_START:
			put32(b, m->xid);
			put8(b, m->u.stream_start.first);
			return;
		case DECODER_STREAM_STOP:
			return;
		case DECODER_STREAM_ABORT:
			put32(b, m->xid);
			put32(b, m->u.stream_abort.subxid);
			return;				/* the protocol 4 fields are not kept */
		default:
			break;
	}
	if (stream)
		put32(b, m->xid);
	switch (m->type)
	{
		case DECODER_RELATION:
			put32(b, m->u.relation.relid);
			putstr(b, m->u.relation.nspname);
			putstr(b, m->u.relation.relname);
			put8(b, (unsigned char) m->u.relation.replident);
			put8(b, ((unsigned) m->u.relation.ncols >> 8) & 0xFF);
			put8(b, (unsigned) m->u.relation.ncols & 0xFF);
			for (int i = 0; i < m->u.relation.ncols; i++)
			{
				put8(b, m->u.relation.cols[i].flags);
				putstr(b, m->u.relation.cols[i].name);
				put32(b, m->u.relation.cols[i].typid);
				put32(b, (uint32_t) m->u.relation.cols[i].typmod);
			}
			break;
		case DECODER_TYPE:
			put32(b, m->u.type.typid);
			putstr(b, m->u.type.nspname);
			putstr(b, m->u.type.typname);
			break;
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			put32(b, m->u.change.relid);
			if (m->u.change.old_kind)
			{
				put8(b, (unsigned char) m->u.change.old_kind);
				put_tuple(b, &m->u.change.old);
			}
			if (m->type != DECODER_DELETE)
			{
				put8(b, 'N');
				put_tuple(b, &m->u.change.new);
			}
			break;
		case DECODER_TRUNCATE:
			put32(b, (uint32_t) m->u.truncate.nrels);
			put8(b, m->u.truncate.options);
			buf_append(b, m->u.truncate.relids, (size_t) m->u.truncate.nrels * 4);
			break;
		case DECODER_MESSAGE:
			put8(b, m->u.message.flags);
			put64(b, m->u.message.lsn);
			putstr(b, m->u.message.prefix);
			put32(b, m->u.message.len);
			buf_append(b, m->u.message.content, m->u.message.len);
			break;
		default:
			fprintf(stderr, "fuzz_decoder: decoded an unknown type 0x%02x\n",
					(unsigned) m->type);
			abort();
	}
}

/* The re-encoded bytes; persists, set up in init_once(). */
static struct buf rt;

/* Abort unless m re-encodes to data[0..size). */
static void
check_roundtrip(const struct decoder_msg *m, int stream, const uint8_t *data,
				size_t size)
{
	struct buf *b = &rt;
	size_t		want = size;

	buf_reset(b);
	reencode(b, m, stream);
	/* Stream Abort of protocol 4: 16 more bytes the decoder skips */
	if (m->type == DECODER_STREAM_ABORT && size == 25)
		want = 9;
	if (buf_failed(b) || b->len != want || memcmp(b->data, data, want) != 0)
	{
		fprintf(stderr, "fuzz_decoder: message type 0x%02x of %zu bytes re-encodes to %zu different bytes\n",
				(unsigned) m->type, size, b->len);
		abort();
	}
}

/* ------------------------------------------------------------------ */
/* Column types for made-up relations, and a stand-in catalog.         */

struct coltype
{
	uint32_t	oid;
	int32_t		typmod;
};

/* Built-in types with typmods a column can have; then user-type OIDs. */
static const struct coltype coltypes[] = {
	{16, -1}, {17, -1}, {18, -1}, {19, -1}, {20, -1}, {21, -1}, {23, -1},
	{25, -1}, {26, -1}, {28, -1}, {114, -1}, {142, -1}, {600, -1}, {603, -1},
	{650, -1}, {700, -1}, {701, -1}, {790, -1}, {829, -1}, {869, -1},
	{1000, -1}, {1001, -1}, {1005, -1}, {1007, -1}, {1009, -1}, {1016, -1},
	{1017, -1}, {1020, -1}, {1021, -1}, {1022, -1}, {1028, -1},
	{1042, 8}, {1043, 24}, {1082, -1}, {1083, -1}, {1083, 0}, {1083, 3},
	{1114, -1}, {1114, 0}, {1114, 3}, {1115, 6}, {1182, -1}, {1183, -1},
	{1184, -1}, {1184, 3}, {1185, -1}, {1186, -1}, {1186, 0x7FFF0002},
	{1187, -1}, {1231, -1}, {1231, (10 << 16 | 2) + 4}, {1266, -1},
	{1266, 2}, {1270, -1}, {1560, 1}, {1560, 8}, {1561, 1}, {1561, 3},
	{1562, -1}, {1562, 16}, {1563, -1}, {1700, -1}, {1700, (10 << 16 | 2) + 4},
	{1700, (5 << 16) + 4}, {1700, (38 << 16 | 38) + 4}, {1700, (1000 << 16 | 0) + 4},
	{2950, -1}, {3802, -1}, {3904, -1},
	{601, -1}, {602, -1}, {604, -1}, {628, -1}, {629, -1}, {718, -1}, {719, -1},
	{1018, -1}, {1019, -1}, {1027, -1},
	{16400, -1}, {16401, -1}, {16402, -1}, {16403, -1}, {16404, -1},
	{16405, -1}, {16406, 4}, {16407, -1}, {16408, -1}, {16409, -1},
	{16410, -1}, {16411, -1}, {16412, -1}, {16413, -1}, {16414, 8},
	{16415, -1}, {16416, -1}, {16417, -1},
};

#define NCOLTYPES (sizeof(coltypes) / sizeof(coltypes[0]))
#define NKINDS ((int) CONVERT_ARRAY + 1)

/*
 * The catalog's answer for a non-built-in type, made up from the OID:
 * every conversion kind, arrays of every element kind (also with the
 * ';' delimiter), and some lookups that fail.
 */
static int
fuzz_resolve(void *arg, uint32_t typid, int32_t typmod, struct convert_type *out,
			 char *err, size_t errlen)
{
	(void) arg;
	if (typid % 19 == 7)
	{
		snprintf(err, errlen, "type %u not found", typid);
		return -1;
	}
	out->kind = (enum convert_kind) (typid % NKINDS);
	out->elem_kind = (enum convert_kind) ((typid / NKINDS) % (NKINDS - 1));
	out->typmod = typmod;
	out->delim = (typid / 64) % 2 ? ';' : ',';
	return 0;
}

/* ------------------------------------------------------------------ */

static struct decoder dec;
static struct batch out;

#define NWRITERS 4
static struct event_writer writers[NWRITERS];

static void
init_once(void)
{
	static const struct convert_opts opts[NWRITERS] = {
		/* the last field: a server before 12 (floats shortened) */
		{CONVERT_BINARY_BYTES, CONVERT_DECIMAL_PRECISE, CONVERT_TIME_ADAPTIVE,
		 CONVERT_INTERVAL_NUMERIC, CONVERT_HSTORE_JSON, 0},
		{CONVERT_BINARY_BASE64_URL_SAFE, CONVERT_DECIMAL_DOUBLE,
		 CONVERT_TIME_ADAPTIVE_MICRO, CONVERT_INTERVAL_STRING, CONVERT_HSTORE_MAP, 1},
		{CONVERT_BINARY_HEX, CONVERT_DECIMAL_STRING, CONVERT_TIME_CONNECT,
		 CONVERT_INTERVAL_STRING, CONVERT_HSTORE_JSON, 0},
		{CONVERT_BINARY_BASE64, CONVERT_DECIMAL_PRECISE, CONVERT_TIME_CONNECT,
		 CONVERT_INTERVAL_NUMERIC, CONVERT_HSTORE_MAP, 1},
	};
	char		err[256];

	log_set_level(LOGL_ERROR);	/* conversion warnings are expected */
	print_events = getenv("FUZZ_DECODER_PRINT") != NULL;
	decoder_init(&dec);
	batch_init(&out);
	buf_init(&rt, 0);
	for (int i = 0; i < NWRITERS; i++)
	{
		struct config c;

		memset(&c, 0, sizeof(c));
		c.topic_prefix = i % 2 ? "fuzz" : "f\"u\\zz";
		c.dbname = "db";
		c.unavailable_placeholder = i % 2 ? "__debezium_unavailable_value" : "\x01\x7f";
		c.conv = opts[i];
		if (event_writer_init(&writers[i], &c, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "fuzz_decoder: %s\n", err);
			abort();
		}
	}
}

/* Cache a relation made up to fit a tuple of ncols columns. */
static struct relcache_rel *
made_up_relation(struct relcache *cache, uint32_t relid, int ncols)
{
	static struct decoder_relcol cols[DECODER_MAX_COLUMNS];
	static char names[DECODER_MAX_COLUMNS][8];
	struct decoder_msg m;
	char		err[256];

	memset(&m, 0, sizeof(m));
	m.type = DECODER_RELATION;
	m.u.relation.relid = relid;
	m.u.relation.nspname = relid % 3 ? "public" : "";
	m.u.relation.relname = relid % 5 ? "t" : "t\"\\\x01\xC3\xA9";
	m.u.relation.replident = "dnfi"[relid % 4];
	m.u.relation.ncols = ncols;
	m.u.relation.cols = cols;
	for (int i = 0; i < ncols; i++)
	{
		const struct coltype *t = &coltypes[(relid + (uint32_t) i * 7) % NCOLTYPES];

		snprintf(names[i], sizeof(names[i]), "c%d", i);
		cols[i].flags = i == 0 || ((relid >> (i % 32)) & 1);
		cols[i].name = names[i];
		cols[i].typid = t->oid;
		cols[i].typmod = t->typmod;
	}
	return relcache_update(cache, &m, err, sizeof(err));
}

/* What one input's messages share. */
struct state
{
	struct relcache cache;
	struct event_writer *w;
	struct event_txn txn;
	uint64_t	lsn;
	int64_t		now;
};

static void
handle(struct state *s, const uint8_t *data, size_t size)
{
	struct decoder_msg m;
	char		err[256];
	struct relcache_rel *rel;
	int			stream = dec.in_stream;

	if (decoder_decode(&dec, data, size, &m, err, sizeof(err)) != 0)
		return;
	check_roundtrip(&m, stream, data, size);
	s->lsn += 40;
	switch (m.type)
	{
		case DECODER_BEGIN:
			s->txn.xid = m.u.begin.xid;
			s->txn.commit_ms = event_pg_to_unix_ms(m.u.begin.commit_ts);
			s->lsn = m.u.begin.final_lsn;
			break;
		case DECODER_COMMIT:
		case DECODER_STREAM_COMMIT:
			s->txn.last_commit_lsn = m.u.commit.commit_lsn;
			break;
		case DECODER_RELATION:
			(void) relcache_update(&s->cache, &m, err, sizeof(err));
			break;
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			rel = relcache_get(&s->cache, m.u.change.relid);
			if (rel == NULL)
				rel = made_up_relation(&s->cache, m.u.change.relid,
									   m.type == DECODER_DELETE ?
									   m.u.change.old.ncols : m.u.change.new.ncols);
			if (rel == NULL)
				break;
			batch_reset(&out);
			if (event_change(s->w, &out, rel, &m, &s->txn, s->lsn, s->now,
							 err, sizeof(err)) == 0)
				check_event(&out, "change");
			break;
		case DECODER_TRUNCATE:
			for (int i = 0; i < m.u.truncate.nrels && i < MAX_TRUNCATE_EVENTS; i++)
			{
				uint32_t	relid = decoder_truncate_relid(&m, i);

				rel = relcache_get(&s->cache, relid);
				if (rel == NULL)
					rel = made_up_relation(&s->cache, relid, i % 3);
				if (rel == NULL)
					continue;
				batch_reset(&out);
				event_truncate(s->w, &out, rel, &s->txn, s->lsn, s->now);
				check_event(&out, "truncate");
			}
			break;
		case DECODER_MESSAGE:
			batch_reset(&out);
			event_message(s->w, &out, &m, (m.u.message.flags & 1) ? &s->txn : NULL,
						  s->now);
			check_event(&out, "message");
			break;
		default:
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	ready;
	struct state s;
	unsigned	sum = 0;

	if (!ready)
	{
		init_once();
		ready = 1;
	}
	for (size_t i = 0; i < size; i++)
		sum += data[i];

	memset(&s, 0, sizeof(s));
	relcache_init(&s.cache, fuzz_resolve, NULL);
	s.w = &writers[sum % NWRITERS];
	s.txn.xid = 1000;
	s.txn.commit_ms = INT64_C(1700000000000);
	s.lsn = 0x1000000;
	s.now = INT64_C(1700000000999);
	dec.in_stream = 0;

	if (size >= 4 && memcmp(data, MAGIC, 4) == 0)
	{
		size_t		pos = 4;

		while (pos + 2 <= size)
		{
			size_t		n = (size_t) data[pos] << 8 | data[pos + 1];

			pos += 2;
			if (n > size - pos)
				n = size - pos;
			/* an exact-size copy, so that reads past the end are caught */
			{
				uint8_t    *copy = malloc(n ? n : 1);

				if (copy == NULL)
					break;
				memcpy(copy, data + pos, n);
				handle(&s, copy, n);
				free(copy);
			}
			pos += n;
		}
	}
	else
		handle(&s, data, size);

	relcache_free(&s.cache);
	return 0;
}

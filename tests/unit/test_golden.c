/*
 * test_golden.c — golden fixtures: every tests/fixtures/pgoutput/NAME.hex
 * (real pgoutput messages, one per line as "<LSN> <hex>", the LSN being
 * the message's WAL position) goes through the decoder,
 * relcache, convert and event stages as `walcap run` wires them
 * (apply.c's apply_message), and the event lines must equal
 * tests/fixtures/pgoutput/NAME.jsonl byte for byte.
 *
 * The scenario list below is the contract: a .hex or .jsonl missing for
 * a listed scenario, or a .hex the list does not name, fails the test.
 *
 * The WAL position of a change or truncate, which walcap run takes from
 * the XLogData header, is the line's LSN: the capture keeps it.  One
 * input of an event does not come from the capture, and the test fixes
 * it (tests/fixtures/README.md, "Golden events"): the event's ts_ms
 * (wall clock in walcap run), GOLDEN_NOW_MS.
 * Non-built-in types (enum, domain, hstore, arrays of them) are resolved
 * from the file's Type messages as the catalog would resolve the
 * capture's types, since there is no server to ask.
 *
 * GOLDEN_UPDATE=1 writes the .jsonl files from what the code produces
 * instead of comparing; read every changed line before committing it.
 *
 * Run from the repository root (make unit does).
 */
#include <glob.h>
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
#include "fixture.h"
#include "testhelp.h"

#define FIXDIR "tests/fixtures/pgoutput"
#define GOLDEN_NOW_MS INT64_C(1767225600000)	/* 2026-01-01T00:00:00Z */
#define GOLDEN_DB "fx"			/* the capture's database (pg_start fx) */

static const char *const scenarios[] = {
	"alter_table",
	"enum_type",
	"insert_update_delete",
	"messages",
	"origin",
	"partitioned",
	"replica_identity_default",
	"replica_identity_full",
	"replica_identity_index",
	"replica_identity_nothing",
	"toast",
	"toast_full",
	"truncate",
	"types",
};
#define NSCENARIOS ((int) (sizeof(scenarios) / sizeof(scenarios[0])))

/* A Type message of the file: what the fake catalog knows of typid. */
struct gtype
{
	uint32_t	typid;
	char		nspname[64];
	char		typname[64];
};

/* One scenario's pipeline, as struct apply holds it (apply.h). */
struct golden
{
	struct decoder dec;
	struct relcache rels;
	struct event_writer ew;
	struct event_txn txn;
	uint64_t	txn_final_lsn;
	int			in_txn;
	struct gtype types[32];
	int			ntypes;
};

/* Built-in types a Type message may name (a domain is sent under its base type's name). */
static const struct
{
	const char *name;
	uint32_t	oid;
}			builtin_names[] = {
	{"int2", 21}, {"int4", 23}, {"int8", 20}, {"text", 25}, {"numeric", 1700},
	{"bool", 16}, {"float8", 701}, {"varchar", 1043}, {"date", 1082},
};

/*
 * The catalog of the capture, from its Type messages: a type in
 * pg_catalog ("" namespace) is a domain over that built-in type; hstore
 * is hstore; a name starting with '_' is an array of the type without
 * it (an enum: string elements); any other user type is an enum, written
 * as a string — catalog.c's resolve_scalar() for the capture's schema.
 */
static int
resolve(void *arg, uint32_t typid, int32_t typmod, struct convert_type *out,
		char *err, size_t errlen)
{
	struct golden *g = arg;

	for (int i = 0; i < g->ntypes; i++)
	{
		const struct gtype *t = &g->types[i];

		if (t->typid != typid)
			continue;
		if (t->nspname[0] == '\0')
		{
			for (size_t k = 0; k < sizeof(builtin_names) / sizeof(builtin_names[0]); k++)
				if (strcmp(builtin_names[k].name, t->typname) == 0)
					return convert_builtin(builtin_names[k].oid, typmod, out) == 0 ? 0 : -1;
			snprintf(err, errlen, "type %s: not in the test's built-in list", t->typname);
			return -1;
		}
		memset(out, 0, sizeof(*out));
		out->typmod = typmod;
		out->delim = ',';
		if (strcmp(t->typname, "hstore") == 0)
			out->kind = CONVERT_HSTORE;
		else if (t->typname[0] == '_')
		{
			out->kind = CONVERT_ARRAY;
			out->elem_kind = CONVERT_STRING;
		}
		else
			out->kind = CONVERT_STRING;
		return 0;
	}
	snprintf(err, errlen, "type OID %u: no Type message before its use", typid);
	return -1;
}

static int
golden_init(struct golden *g, char *err, size_t errlen)
{
	struct config c;
	int			rc;

	memset(g, 0, sizeof(*g));
	decoder_init(&g->dec);
	relcache_init(&g->rels, resolve, g);
	config_init(&c);
	rc = config_set(&c, "database.dbname", GOLDEN_DB, err, errlen) != 0 ||
		config_set(&c, "database.user", "streamkap_user", err, errlen) != 0 ||
		config_finish(&c, err, errlen) != 0 ||
		event_writer_init(&g->ew, &c, err, errlen) != 0 ? -1 : 0;
	config_free(&c);
	return rc;
}

static void
golden_free(struct golden *g)
{
	event_writer_free(&g->ew);
	relcache_free(&g->rels);
	decoder_free(&g->dec);
}

/*
 * The events of b as a stream sink writes them: each record's value
 * followed by '\n', read from the records (not the arena as it stands),
 * so that the framing and the records are checked together.
 */
static void
frame_values(const struct batch *b, struct buf *out)
{
	for (size_t i = 0; i < b->nrecs; i++)
	{
		buf_append(out, batch_rec_value(b, &b->recs[i]), b->recs[i].vlen);
		buf_putc(out, '\n');
	}
}

/*
 * One message at WAL position lsn (XLogData's wal_start), as
 * apply_message() in apply.c takes it with the default configuration
 * (stdout sink, no snapshot, no heartbeat, PostgreSQL 15: no partition
 * mapping).  0, or -1 with err.
 */
static int
golden_message(struct golden *g, const unsigned char *data, size_t len,
			   uint64_t lsn, struct batch *out, char *err, size_t errlen)
{
	struct decoder_msg m;
	struct relcache_rel *rel;

	if (decoder_decode(&g->dec, (const char *) data, len, &m, err, errlen) != 0)
		return -1;
	switch (m.type)
	{
		case DECODER_BEGIN:
			if (g->in_txn)
				return snprintf(err, errlen, "Begin inside a transaction"), -1;
			g->txn.xid = m.u.begin.xid;
			g->txn.commit_ms = event_pg_to_unix_ms(m.u.begin.commit_ts);
			g->txn_final_lsn = m.u.begin.final_lsn;
			g->in_txn = 1;
			return 0;
		case DECODER_COMMIT:
			if (!g->in_txn || m.u.commit.commit_lsn != g->txn_final_lsn)
				return snprintf(err, errlen, "Commit without its Begin"), -1;
			g->in_txn = 0;
			g->txn.last_commit_lsn = m.u.commit.commit_lsn;
			return 0;
		case DECODER_RELATION:
			if ((rel = relcache_update(&g->rels, &m, err, errlen)) == NULL)
				return -1;
			rel->included = 1;	/* default table filters: everything */
			return 0;
		case DECODER_TYPE:
			if (g->ntypes == (int) (sizeof(g->types) / sizeof(g->types[0])))
				return snprintf(err, errlen, "too many Type messages"), -1;
			g->types[g->ntypes].typid = m.u.type.typid;
			snprintf(g->types[g->ntypes].nspname, sizeof(g->types[0].nspname), "%s", m.u.type.nspname);
			snprintf(g->types[g->ntypes].typname, sizeof(g->types[0].typname), "%s", m.u.type.typname);
			g->ntypes++;
			return 0;
		case DECODER_ORIGIN:
			return 0;
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			if ((rel = relcache_get(&g->rels, m.u.change.relid)) == NULL)
				return snprintf(err, errlen, "change before its Relation"), -1;
			if (event_change(&g->ew, out, rel, &m, &g->txn, lsn,
							 GOLDEN_NOW_MS, err, errlen) != 0)
				return -1;
			return 0;
		case DECODER_TRUNCATE:
			for (int i = 0; i < m.u.truncate.nrels; i++)
			{
				if ((rel = relcache_get(&g->rels, decoder_truncate_relid(&m, i))) == NULL)
					return snprintf(err, errlen, "truncate before its Relation"), -1;
				event_truncate(&g->ew, out, rel, &g->txn, lsn, GOLDEN_NOW_MS);
			}
			return 0;
		case DECODER_MESSAGE:
			event_message(&g->ew, out, &m, (m.u.message.flags & 1) ? &g->txn : NULL,
						  GOLDEN_NOW_MS);
			return 0;
		default:
			return snprintf(err, errlen, "unexpected message '%c'", m.type), -1;
	}
}

/* The whole file at path, NUL-terminated, in a malloc'd string; NULL if unreadable. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	struct buf	b;
	char		chunk[8192];
	size_t		n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	buf_putc(&b, '\0');
	if (buf_failed(&b))
	{
		buf_free(&b);
		return NULL;
	}
	*len = b.len - 1;
	return buf_take(&b);
}

/*
 * Run the scenario's .hex through the pipeline into out.  0, or -1 with
 * the line and the reason printed.
 */
static int
run_scenario(const char *name, const char *hex, struct buf *out)
{
	struct golden g;
	char		err[512];
	const char *p = hex;
	int			lineno = 0;
	int			rc = 0;
	unsigned char *bytes = NULL;
	struct batch b;

	if (golden_init(&g, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "test_golden: %s: setup: %s\n", name, err);
		return -1;
	}
	batch_init(&b);
	while (*p && rc == 0)
	{
		const char *nl = strchr(p, '\n');
		size_t		n = nl ? (size_t) (nl - p) : strlen(p);
		uint64_t	lsn = 0;
		size_t		nb = 0;
		const char *why = "";

		lineno++;
		free(bytes);
		bytes = malloc(n / 2 + 1);
		if (bytes == NULL)
			abort();
		if (fixture_line(p, n, &lsn, bytes, &nb, &why) != 0)
			rc = -1, snprintf(err, sizeof(err), "%s", why);
		if (rc == 0)
			rc = golden_message(&g, bytes, nb, lsn, &b, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "test_golden: %s.hex:%d: %s\n", name, lineno, err);
		p = nl ? nl + 1 : p + n;
	}
	free(bytes);
	frame_values(&b, out);
	/* the arena is the same bytes: what the stdout and file sinks write */
	if (rc == 0 && !batch_failed(&b) &&
		(b.data.len != out->len || (out->len && memcmp(b.data.data, out->data, out->len) != 0)))
	{
		fprintf(stderr, "test_golden: %s: the batch's arena is not its framed values\n", name);
		rc = -1;
	}
	if (rc == 0 && (buf_failed(out) || batch_failed(&b)))
	{
		fprintf(stderr, "test_golden: %s: output buffer failed\n", name);
		rc = -1;
	}
	batch_free(&b);
	golden_free(&g);
	return rc;
}

/* Print the first line where got and want differ, diff -u style. */
static void
print_first_difference(const char *name, const char *want, size_t wantlen,
					   const char *got, size_t gotlen)
{
	size_t		i = 0;
	size_t		ls = 0;			/* start of the line holding offset i */
	int			line = 1;
	const char *we,
			   *ge;

	while (i < wantlen && i < gotlen && want[i] == got[i])
	{
		if (want[i] == '\n')
			ls = i + 1, line++;
		i++;
	}
	we = memchr(want + ls, '\n', wantlen - ls);
	ge = memchr(got + ls, '\n', gotlen - ls);
	fprintf(stderr, "--- " FIXDIR "/%s.jsonl\n+++ %s (produced)\n@@ line %d, byte %zu of the line @@\n",
			name, name, line, i - ls + 1);
	if (ls < wantlen)
		fprintf(stderr, "-%.*s\n", (int) ((we ? (size_t) (we - want) : wantlen) - ls), want + ls);
	else
		fprintf(stderr, "-(end of file)\n");
	if (ls < gotlen)
		fprintf(stderr, "+%.*s\n", (int) ((ge ? (size_t) (ge - got) : gotlen) - ls), got + ls);
	else
		fprintf(stderr, "+(no more events)\n");
	fprintf(stderr, "(GOLDEN_UPDATE=1 make unit rewrites the .jsonl files; check every changed line)\n");
}

static void
check_scenario(const char *name, int update)
{
	char		hexpath[256];
	char		jsonpath[256];
	char	   *hex;
	char	   *want;
	size_t		hexlen;
	size_t		wantlen = 0;
	struct buf	out;

	snprintf(hexpath, sizeof(hexpath), FIXDIR "/%s.hex", name);
	snprintf(jsonpath, sizeof(jsonpath), FIXDIR "/%s.jsonl", name);
	if ((hex = slurp(hexpath, &hexlen)) == NULL)
	{
		fprintf(stderr, "test_golden: %s is missing (run from the repository root)\n", hexpath);
		CHECK(!"scenario's .hex present");
		return;
	}
	buf_init(&out, 0);
	if (run_scenario(name, hex, &out) != 0)
		CHECK(!"scenario runs");
	else if (update)
	{
		FILE	   *f = fopen(jsonpath, "wb");

		CHECK(f != NULL && fwrite(out.data, 1, out.len, f) == out.len && fclose(f) == 0);
		printf("test_golden: wrote %s\n", jsonpath);
	}
	else if ((want = slurp(jsonpath, &wantlen)) == NULL)
	{
		fprintf(stderr, "test_golden: %s is missing (GOLDEN_UPDATE=1 writes it)\n", jsonpath);
		CHECK(!"scenario's .jsonl present");
	}
	else
	{
		int			same = wantlen == out.len && memcmp(want, out.data, out.len) == 0;

		if (!same)
			print_first_difference(name, want, wantlen, out.data, out.len);
		CHECK(same);
		free(want);
	}
	buf_free(&out);
	free(hex);
}

/* Every .hex and .jsonl in the directory is a listed scenario's. */
static void
check_unlisted(const char *pattern, const char *ext)
{
	glob_t		gl;

	if (glob(pattern, 0, NULL, &gl) != 0)
		gl.gl_pathc = 0;
	for (size_t i = 0; i < gl.gl_pathc; i++)
	{
		const char *base = strrchr(gl.gl_pathv[i], '/') + 1;
		size_t		n = strlen(base) - strlen(ext);
		int			listed = 0;

		for (int k = 0; k < NSCENARIOS; k++)
			if (strlen(scenarios[k]) == n && strncmp(scenarios[k], base, n) == 0)
				listed = 1;
		if (!listed)
			fprintf(stderr, "test_golden: %s is not in test_golden.c's scenario list\n",
					gl.gl_pathv[i]);
		CHECK(listed);
	}
	if (gl.gl_pathc > 0)
		globfree(&gl);
}

int
main(void)
{
	const char *u = getenv("GOLDEN_UPDATE");
	int			update = u != NULL && strcmp(u, "1") == 0;

	/*
	 * The captures ran with walcap's session settings, so no value should
	 * make walcap warn; if one does, the warning shows in the output
	 */
	log_set_level(LOGL_WARNING);
	check_unlisted(FIXDIR "/*.hex", ".hex");
	check_unlisted(FIXDIR "/*.jsonl", ".jsonl");
	for (int k = 0; k < NSCENARIOS; k++)
		check_scenario(scenarios[k], update);
	return TEST_REPORT("test_golden");
}

/*
 * test_snapshot_dedup.c — unit tests for snapshot_dedup.c, without a
 * database: the buffered chunk's index by key (hash, slots, an empty
 * chunk) and snapshot_change dropping the chunk's row whose key a
 * streamed change has, only while the window is open (or, read.only,
 * in a transaction the chunk's snapshot did not see), only for the
 * table being read (or one of its partitions, whose columns may be in
 * another order), comparing the key's bytes, not its hash.
 *
 * The chunk is a PGresult built in memory (PQmakeEmptyPGresult,
 * PQsetResultAttrs, PQsetvalue), as the chunk query would return it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "snapshot.h"
#include "snapshot_int.h"
#include "testhelp.h"

#define TABLE_OID 16400

static struct config cfg;
static struct snapshot s;

/* The table being read: (id, val, region); its columns as the chunk has them. */
static struct relcache_col tcols[3] = {{.name = "id"}, {.name = "val"}, {.name = "region"}};
static struct relcache_rel table = {.relid = TABLE_OID, .root_relid = TABLE_OID,
.ncols = 3, .cols = tcols};

/* A fresh snapshot reading table by the key columns keys[0..nkeys). */
static void
setup(const int *keys, int nkeys)
{
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	s.table.rel = &table;
	s.table.nkeys = nkeys;
	s.table.keyidx = calloc((size_t) nkeys, sizeof(int));
	s.table.keytypes = calloc((size_t) nkeys, sizeof(char *));
	for (int j = 0; j < nkeys; j++)
		s.table.keyidx[j] = keys[j];
	/* an incremental snapshot of it is queued */
	s.queue.items = calloc(1, sizeof(*s.queue.items));
	s.queue.capitems = s.nitems = 1;
}

static void
teardown(void)
{
	s.table.rel = NULL;
	snapshot_free(&s);
}

/*
 * Make the chunk: nrows rows of table's 3 columns, vals row by row
 * (NULL a null value), indexed; the window open.
 */
static int
set_chunk(int nrows, const char *const *vals)
{
	PGresAttDesc att[3];
	PGresult   *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	memset(att, 0, sizeof(att));
	for (int i = 0; i < 3; i++)
	{
		att[i].name = tcols[i].name;
		att[i].typid = 25;
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	if (res == NULL || !PQsetResultAttrs(res, 3, att))
		return -1;
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < 3; c++)
		{
			const char *v = vals[r * 3 + c];

			if (!PQsetvalue(res, r, c, (char *) v, v ? (int) strlen(v) : -1))
				return -1;
		}
	snap_drop_chunk(&s);
	s.chunk.res = res;
	s.chunk.nrows = PQntuples(res);
	s.phase = SNAP_OPEN;
	return snap_build_hash(&s);
}

/* The chunk's gone flags as a string of '0'/'1', one per row. */
static const char *
gone(void)
{
	static char out[64];
	int			i;

	for (i = 0; i < s.chunk.nrows && i < 63; i++)
		out[i] = s.chunk.gone[i] ? '1' : '0';
	out[i] = '\0';
	return out;
}

static struct decoder_column ocols[3], ncols_[3];

/* Fill a tuple of n text columns (NULL: a null value). */
static void
tuple(struct decoder_tuple *t, struct decoder_column *cols, int n, const char *const *vals)
{
	for (int i = 0; i < n; i++)
	{
		cols[i].kind = vals[i] ? DECODER_COL_TEXT : DECODER_COL_NULL;
		cols[i].data = vals[i];
		cols[i].len = vals[i] ? (uint32_t) strlen(vals[i]) : 0;
	}
	t->ncols = n;
	t->cols = cols;
}

/* A streamed change of rel: type I/U/D, old key tuple (or NULL), new. */
static void
change(const struct relcache_rel *rel, int type, const char *const *old,
	   const char *const *new)
{
	struct decoder_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (old)
	{
		m.u.change.old_kind = 'K';
		tuple(&m.u.change.old, ocols, rel->ncols, old);
	}
	if (new)
		tuple(&m.u.change.new, ncols_, rel->ncols, new);
	snapshot_change(&s, rel, &m);
}

static void
test_hash(void)
{
	static const int key[1] = {0};
	static const int key2[2] = {0, 1};
	const char *rows[] = {"1", "a", "eu", "2", "b", "eu", "3", "c", "us"};
	const char *rows2[] = {"1", "23", "x", "12", "3", "x"};

	setup(key, 1);
	CHECK_INT(set_chunk(3, rows), 0);
	/* FNV-1a over each key column's bytes, then 0xff after each */
	CHECK_INT(snap_row_hash(&s, 0), 3538700889u);
	CHECK_INT(snap_row_hash(&s, 1), 3539039006u);
	CHECK_INT(snap_row_hash(&s, 2), 3538995079u);
	/* 16 slots at least, twice the rows; each row at its hash's slot */
	CHECK_INT(s.chunk.nhash, 16);
	CHECK_INT(s.chunk.hash[3538700889u & 15], 1);
	CHECK_INT(s.chunk.hash[3539039006u & 15], 2);
	CHECK_INT(s.chunk.hash[3538995079u & 15], 3);
	CHECK_STR(gone(), "000");
	teardown();

	/* the separator: ("1", "23") and ("12", "3") differ */
	setup(key2, 2);
	CHECK_INT(set_chunk(2, rows2), 0);
	CHECK_INT(snap_row_hash(&s, 0), 32432731u);
	CHECK_INT(snap_row_hash(&s, 1), 68263761u);
	teardown();

	/* 9 rows: 32 slots */
	{
		const char *nine[27];
		char		ids[9][4];

		for (int i = 0; i < 9; i++)
		{
			snprintf(ids[i], sizeof(ids[i]), "%d", i);
			nine[i * 3] = ids[i];
			nine[i * 3 + 1] = "v";
			nine[i * 3 + 2] = NULL;
		}
		setup(key, 1);
		CHECK_INT(set_chunk(9, nine), 0);
		CHECK_INT(s.chunk.nhash, 32);
		teardown();
	}
}

static void
test_change(void)
{
	static const int key[1] = {0};
	const char *rows[] = {"1", "a", "eu", "2", "b", "eu", "3", "c", "us"};

	setup(key, 1);
	CHECK_INT(set_chunk(3, rows), 0);

	/* a key not in the chunk: nothing */
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"99", "z", "eu"});
	CHECK_STR(gone(), "000");
	/* an update of row 2's key: only row 2 */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "B", "eu"});
	CHECK_STR(gone(), "010");
	CHECK(s.chunk.mapped == &table);
	CHECK_INT(s.chunk.map[0], 0);
	/* a prefix of a key is another key */
	CHECK_INT(set_chunk(3, rows), 0);
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"", "z", "eu"});
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"11", "z", "eu"});
	CHECK_STR(gone(), "000");
	/* a delete: its old key */
	change(&table, DECODER_DELETE, (const char *[]) {"3", NULL, NULL}, NULL);
	CHECK_STR(gone(), "001");
	/* an update that moves row 1's key to a key of the chunk: both */
	CHECK_INT(set_chunk(3, rows), 0);
	change(&table, DECODER_UPDATE, (const char *[]) {"1", NULL, NULL},
		   (const char *[]) {"2", "a", "eu"});
	CHECK_STR(gone(), "110");
	/* a null key value is no key: nothing */
	CHECK_INT(set_chunk(3, rows), 0);
	change(&table, DECODER_INSERT, NULL, (const char *[]) {NULL, "a", "eu"});
	CHECK_STR(gone(), "000");

	/* the window not open yet, or idle: changes are older than the chunk */
	s.phase = SNAP_WAIT_OPEN;
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "a", "eu"});
	s.phase = SNAP_IDLE;
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "a", "eu"});
	s.phase = SNAP_EMIT;
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"3", "a", "eu"});
	CHECK_STR(gone(), "000");
	teardown();
}

static void
test_collisions(void)
{
	static const int key[1] = {0};
	/*
	 * "40189" and "797186" have the same 32-bit hash (slot 12 of 16); "18"
	 * the slot of "1" (9)
	 */
	const char *rows[] = {"40189", "a", NULL, "797186", "b", NULL, "1", "c", NULL,
	"18", "d", NULL};

	setup(key, 1);
	CHECK_INT(set_chunk(4, rows), 0);
	CHECK_INT(snap_row_hash(&s, 0), 337909596u);
	CHECK_INT(snap_row_hash(&s, 1), 337909596u);
	CHECK_INT(snap_row_hash(&s, 2) & 15, 9);
	CHECK_INT(snap_row_hash(&s, 3) & 15, 9);
	CHECK_INT(snap_row_hash(&s, 3), 2921277865u);
	/* linear probing: the second of each pair in the next free slot */
	CHECK_INT(s.chunk.hash[337909596u & 15], 1);
	CHECK_INT(s.chunk.hash[(337909596u + 1) & 15], 2);
	CHECK_INT(s.chunk.hash[9], 3);
	CHECK_INT(s.chunk.hash[10], 4);

	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"797186", "x", NULL});
	CHECK_STR(gone(), "0100");
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"18", "x", NULL});
	CHECK_STR(gone(), "0101");
	/* not in the chunk, its slot that of "40189": probed past both */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"15", "x", NULL});
	CHECK_STR(gone(), "0101");
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"40189", "x", NULL});
	CHECK_STR(gone(), "1101");
	teardown();
}

static void
test_relations(void)
{
	static const int key2[2] = {0, 2};
	const char *rows[] = {"1", "a", "eu", "1", "b", "us", "2", "c", "eu"};
	/* another table; a partition of the table, its columns in another order */
	struct relcache_col ocols_[3] = {{.name = "id"}, {.name = "val"}, {.name = "region"}};
	struct relcache_rel other = {.relid = 16500, .root_relid = 16500, .ncols = 3, .cols = ocols_};
	struct relcache_col pcols[3] = {{.name = "region"}, {.name = "id"}, {.name = "val"}};
	struct relcache_rel part = {.relid = 16401, .root_relid = TABLE_OID, .ncols = 3, .cols = pcols};
	struct relcache_col bcols[2] = {{.name = "id"}, {.name = "val"}};
	struct relcache_rel nokey = {.relid = 16402, .root_relid = TABLE_OID, .ncols = 2, .cols = bcols};

	setup(key2, 2);
	CHECK_INT(set_chunk(3, rows), 0);
	change(&other, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", "us"});
	CHECK_STR(gone(), "000");
	CHECK(s.chunk.mapped == NULL);
	/* the partition's tuple is (region, id, val) */
	change(&part, DECODER_UPDATE, NULL, (const char *[]) {"us", "1", "x"});
	CHECK_STR(gone(), "010");
	CHECK(s.chunk.mapped == &part);
	CHECK_INT(s.chunk.map[0], 1);
	CHECK_INT(s.chunk.map[1], 0);
	/* back to the table itself: mapped anew */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "x", "eu"});
	CHECK_STR(gone(), "011");
	CHECK(s.chunk.mapped == &table);
	CHECK_INT(s.chunk.map[0], 0);
	CHECK_INT(s.chunk.map[1], 2);
	/* a relation without one of the key columns: nothing */
	change(&nokey, DECODER_UPDATE, NULL, (const char *[]) {"1", "x"});
	CHECK_STR(gone(), "011");
	CHECK(s.chunk.mapped == NULL);
	teardown();
}

/*
 * The chunk's snapshot: a transaction it does not show (running when it
 * was taken, or begun after) is newer than the rows, whether streamed
 * before the window opened (a commit written before it left the
 * ProcArray) or, read.only, before the query's position.
 */
static void
test_snapshot_visibility(void)
{
	static const int key[1] = {0};
	const char *rows[] = {"1", "a", NULL, "2", "b", NULL, "3", "c", NULL, "4", "d", NULL};

	setup(key, 1);
	CHECK_INT(set_chunk(4, rows), 0);
	/* "xmin:xmax:xip,..." as pg_current_snapshot() writes it */
	CHECK_INT(snap_set_snapshot(&s, "100:200:150,170"), 0);
	CHECK_INT(s.win.snap_known, 1);
	CHECK_INT(s.win.snap_xmin, 100);
	CHECK_INT(s.win.snap_xmax, 200);
	CHECK_INT(s.win.snap_nxip, 2);
	CHECK_INT(s.win.snap_xip[1], 170);
	s.phase = SNAP_RO_WAIT;

	/* shown by the chunk's snapshot: older than xmin, or done before xmax */
	snapshot_begin(&s, 50);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	snapshot_begin(&s, 120);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	CHECK_STR(gone(), "0000");
	/* in progress then, or begun after: newer */
	snapshot_begin(&s, 150);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "x", NULL});
	snapshot_begin(&s, 200);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"3", "x", NULL});
	CHECK_STR(gone(), "0110");
	/* the window not open yet: the same rule */
	CHECK_INT(set_chunk(4, rows), 0);
	CHECK_INT(snap_set_snapshot(&s, "100:200:150,170"), 0);
	s.phase = SNAP_WAIT_OPEN;
	snapshot_begin(&s, 120);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	snapshot_begin(&s, 170);
	change(&table, DECODER_DELETE, (const char *[]) {"4", NULL, NULL}, NULL);
	CHECK_STR(gone(), "0001");
	/* emitting: the rows are out before the stream goes on */
	s.phase = SNAP_EMIT;
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "x", NULL});
	CHECK_STR(gone(), "0001");
	/* no snapshot known (a chunk without one): only the open window drops */
	CHECK_INT(set_chunk(4, rows), 0);
	CHECK_INT(s.win.snap_known, 0);
	s.phase = SNAP_WAIT_OPEN;
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"4", "x", NULL});
	CHECK_STR(gone(), "0000");

	/* xids wrap around: compared modulo 2^32 (xid8s: their low 32 bits) */
	CHECK_INT(snap_set_snapshot(&s, "4294967200:4294967306:"), 0);
	CHECK_INT(s.win.snap_xmax, 10);
	CHECK_INT(s.win.snap_nxip, 0);
	snapshot_begin(&s, 4294967100u);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	snapshot_begin(&s, 5);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"2", "x", NULL});
	CHECK_STR(gone(), "0000");
	snapshot_begin(&s, 10);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"4", "x", NULL});
	CHECK_STR(gone(), "0001");

	/* not a snapshot: unknown, nothing dropped by it */
	CHECK_INT(snap_set_snapshot(&s, "100"), -1);
	CHECK_INT(s.win.snap_known, 0);
	CHECK_INT(snap_set_snapshot(&s, "100:200"), -1);
	CHECK_INT(snap_set_snapshot(&s, NULL), -1);
	snapshot_begin(&s, 300);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"3", "x", NULL});
	CHECK_STR(gone(), "0001");
	teardown();
}

/* The records of win.recent as "xid:key xid:key ...", one key column. */
static const char *
recent(void)
{
	static char out[256];
	size_t		at = 0,
				o = 0;

	out[0] = '\0';
	while (at < s.win.recent.len && o < sizeof(out) - 40)
	{
		uint32_t	xid,
					n;

		memcpy(&xid, s.win.recent.data + at, 4);
		memcpy(&n, s.win.recent.data + at + 4, 4);
		o += (size_t) snprintf(out + o, sizeof(out) - o, "%s%u:%.*s", o ? " " : "",
							   xid, (int) n, s.win.recent.data + at + 8);
		at += 8 + n;
	}
	return out;
}

/*
 * Changes streamed while no chunk takes them are kept with their xid; a
 * chunk taken drops the rows of those its snapshot does not show and
 * forgets those it shows; the rest wait for the next chunk.
 */
static void
test_recent(void)
{
	static const int key[1] = {0};
	const char *rows[] = {"1", "a", NULL, "2", "b", NULL, "3", "c", NULL};
	const char *rows2[] = {"7", "a", NULL, "8", "b", NULL};

	setup(key, 1);
	s.phase = SNAP_IDLE;
	snapshot_begin(&s, 120);
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	snapshot_begin(&s, 150);
	change(&table, DECODER_UPDATE, (const char *[]) {"2", NULL, NULL},
		   (const char *[]) {"8", "x", NULL});
	snapshot_begin(&s, 160);
	change(&table, DECODER_DELETE, (const char *[]) {"3", NULL, NULL}, NULL);
	CHECK_STR(recent(), "120:1 150:2 150:8 160:3");
	/* other tables are not kept */
	{
		struct relcache_col oc[3] = {{.name = "id"}, {.name = "val"}, {.name = "region"}};
		struct relcache_rel other = {.relid = 16500, .root_relid = 16500, .ncols = 3, .cols = oc};

		change(&other, DECODER_UPDATE, NULL, (const char *[]) {"1", "x", NULL});
	}
	CHECK_STR(recent(), "120:1 150:2 150:8 160:3");

	/* a chunk taken: 150 still running for it, 120 and 160 shown */
	CHECK_INT(set_chunk(3, rows), 0);
	CHECK_INT(snap_set_snapshot(&s, "140:170:150"), 0);
	snap_apply_recent(&s);
	CHECK_STR(gone(), "010");
	CHECK_STR(recent(), "150:2 150:8");
	/* the next chunk sees 150: forgotten, nothing dropped */
	CHECK_INT(set_chunk(2, rows2), 0);
	CHECK_INT(snap_set_snapshot(&s, "151:180:"), 0);
	snap_apply_recent(&s);
	CHECK_STR(gone(), "00");
	CHECK_STR(recent(), "");
	/* no snapshot known: kept as they are */
	snapshot_begin(&s, 190);
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"7", "x", NULL});
	CHECK_INT(set_chunk(2, rows2), 0);
	snap_apply_recent(&s);
	CHECK_STR(gone(), "00");
	CHECK_STR(recent(), "190:7");

	/* a blocking snapshot holds the stream: nothing to keep */
	s.queue.items[0].blocking = 1;
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"8", "x", NULL});
	CHECK_STR(recent(), "190:7");
	s.queue.items[0].blocking = 0;

	/* bounded: past SNAP_RECENT_MAX the older half goes */
	{
		char		id[16];
		size_t		peak = 0;

		for (uint32_t i = 0; i < 200000; i++)
		{
			snprintf(id, sizeof(id), "%u", 1000000 + i);
			snapshot_begin(&s, 1000 + i);
			change(&table, DECODER_INSERT, NULL, (const char *[]) {id, "x", NULL});
			if (s.win.recent.len > peak)
				peak = s.win.recent.len;
		}
		CHECK(peak <= SNAP_RECENT_MAX);
		CHECK(peak > SNAP_RECENT_MAX - 15);
		CHECK(s.win.recent.len >= SNAP_RECENT_MAX / 2 - 15);
		/* 15 bytes a record (xid, length, 7 digits): whole ones, the newest last */
		CHECK_INT(s.win.recent.len % 15, 0);
		{
			const char *last = s.win.recent.data + s.win.recent.len - 15;
			uint32_t	xid;

			memcpy(&xid, last, 4);
			CHECK_INT(xid, 1000 + 199999);
			CHECK(memcmp(last + 8, "1199999", 7) == 0);
			/* ... and the oldest kept the one after those that went */
			memcpy(&xid, s.win.recent.data, 4);
			CHECK_INT(xid, 1000 + 200000 - s.win.recent.len / 15);
		}
	}
	/* a new table forgets them */
	snap_clear_table(&s);
	CHECK_INT((int) s.win.recent.len, 0);
	teardown();
}

static void
test_empty(void)
{
	static const int key[1] = {0};
	int			used = 0;

	setup(key, 1);
	CHECK_INT(set_chunk(0, NULL), 0);
	CHECK_INT(s.chunk.nrows, 0);
	CHECK_INT(s.chunk.nhash, 16);
	for (int i = 0; i < 16; i++)
		used += s.chunk.hash[i] != 0;
	CHECK_INT(used, 0);
	CHECK_INT(s.chunk.gone[0], 0);
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"1", "x", NULL});
	CHECK_INT(s.chunk.gone[0], 0);
	/* no chunk at all: nothing to look at */
	snap_drop_chunk(&s);
	CHECK(s.chunk.res == NULL);
	CHECK(s.chunk.hash == NULL);
	CHECK_INT(s.chunk.nhash, 0);
	change(&table, DECODER_INSERT, NULL, (const char *[]) {"1", "x", NULL});
	CHECK(s.chunk.gone == NULL);
	teardown();
}

/*
 * The chunk read ahead: its window can open in the stream while the last
 * chunk's rows still go out.  Changes inside it are kept by key, and
 * drop its rows once it is the current chunk; changes before it opened
 * or after it closed do not.  Keys of binary-mode changes are compared
 * by their text.
 */
static void
test_ahead(void)
{
	static const int key[1] = {0};
	const char *cur[] = {"1", "a", "eu", "2", "b", "eu"};
	const char *next[] = {"3", "c", "eu", "4", "d", "eu", "5", "e", "eu", "6", "f", "us"};
	struct decoder_msg m;
	struct decoder_column bcols[3];

	setup(key, 1);
	tcols[0].conv.bin = CONVERT_BIN_INT4;	/* id: int4, for the binary change below */
	tcols[0].conv.kind = CONVERT_INT;
	CHECK_INT(set_chunk(2, cur), 0);
	s.phase = SNAP_EMIT;		/* the current chunk's window closed */
	s.win.ahead = 1;
	/* before the read-ahead's window opens: not kept */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"3", "C", "eu"});
	s.win.ahead_opened = 1;
	/* inside it: kept; the current chunk is not touched */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"4", "D", "eu"});
	change(&table, DECODER_DELETE, (const char *[]) {"6", NULL, NULL}, NULL);
	/* a binary-mode insert of id 5: int4 0x00000005 */
	memset(&m, 0, sizeof(m));
	m.type = DECODER_INSERT;
	bcols[0] = (struct decoder_column) {.kind = DECODER_COL_BINARY, .len = 4, .data = "\0\0\0\5"};
	bcols[1] = (struct decoder_column) {.kind = DECODER_COL_BINARY, .len = 1, .data = "E"};
	bcols[2] = (struct decoder_column) {.kind = DECODER_COL_NULL};
	m.u.change.new.ncols = 3;
	m.u.change.new.cols = bcols;
	snapshot_change(&s, &table, &m);
	CHECK_STR(gone(), "00");
	s.win.ahead_closed = 1;
	/* after it closed: not kept */
	change(&table, DECODER_UPDATE, NULL, (const char *[]) {"3", "C2", "eu"});
	/* the read-ahead becomes the current chunk */
	CHECK_INT(set_chunk(4, next), 0);
	snap_apply_ahead_keys(&s);
	CHECK_STR(gone(), "0111");
	CHECK_INT((int) s.win.ahead_keys.len, 0);
	tcols[0].conv.bin = 0;
	tcols[0].conv.kind = 0;
	teardown();
}

/*
 * Chunk sizes (snapshot_window.c): a table's first chunk asks for
 * SNAP_FIRST_ROWS; each chunk read then sizes the next from its rows'
 * width, to about SNAP_CHUNK_BYTES, within [SNAP_MIN_ROWS, chunk.size].
 */
static void
test_chunk_size(void)
{
	static char wide[100001];
	const char *narrow[] = {"1", "abcdefghij", "eu", "2", "abcdefghij", "eu"};
	const char *big[] = {"1", wide, "eu"};
	int			key[1] = {0};

	memset(wide, 'x', sizeof(wide) - 1);
	setup(key, 1);
	cfg.chunk_size = 4096;
	CHECK_INT((int) snap_chunk_limit(&s), 64);
	/* rows of 1 + 10 + 2 bytes and 3 values: 61 bytes a row, 2 MiB / 62 */
	CHECK_INT(set_chunk(2, narrow), 0);
	snap_size_chunks(&s);
	CHECK_INT((int) s.table.chunk_rows, 2097152 / 62);
	CHECK_INT((int) snap_chunk_limit(&s), 4096);	/* chunk.size caps it */
	cfg.chunk_size = 10;
	CHECK_INT((int) snap_chunk_limit(&s), 10);
	cfg.chunk_size = 4096;
	/* 100,000-byte values: 2 MiB holds 20 rows */
	CHECK_INT(set_chunk(1, big), 0);
	snap_size_chunks(&s);
	CHECK_INT((int) snap_chunk_limit(&s), 2097152 / 100052);
	/* wider still (200,000 bytes: 2 MiB holds 10): never under SNAP_MIN_ROWS */
	{
		static char wider[200001];
		const char *huge[] = {"1", wider, "eu"};

		memset(wider, 'y', sizeof(wider) - 1);
		CHECK_INT(set_chunk(1, huge), 0);
		snap_size_chunks(&s);
		CHECK_INT((int) snap_chunk_limit(&s), 16);
	}
	/* an empty chunk says nothing: the size stays */
	s.table.chunk_rows = 777;
	CHECK_INT(set_chunk(0, narrow), 0);
	snap_size_chunks(&s);
	CHECK_INT((int) s.table.chunk_rows, 777);
	/* a new table starts small again */
	snap_clear_table(&s);
	CHECK_INT((int) snap_chunk_limit(&s), 64);
	teardown();
	cfg.chunk_size = 4096;
}

int
main(void)
{
	config_init(&cfg);
	test_hash();
	test_change();
	test_collisions();
	test_relations();
	test_snapshot_visibility();
	test_recent();
	test_empty();
	test_ahead();
	test_chunk_size();
	config_free(&cfg);
	return TEST_REPORT("test_snapshot_dedup");
}

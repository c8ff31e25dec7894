/*
 * test_snapshot_state.c — unit tests for snapshot_state.c, without a
 * database: the progress state's JSON (queued tables with their
 * signals, the current table's chunk position, the finished signals),
 * its round trip through snapshot_restore, states from before tables
 * carried their signal, malformed states (an error, never a crash),
 * and the pending states handed out once durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sigdone.h"
#include "snapshot.h"
#include "snapshot_int.h"
#include "testhelp.h"

static struct config cfg;

/* snap_serialize() in a static buffer ("(oom)" if it failed) */
static const char *
state_of(const struct snapshot *s)
{
	static char out[4096];
	char	   *st = snap_serialize(s);

	snprintf(out, sizeof(out), "%s", st ? st : "(oom)");
	free(st);
	return out;
}

static char **
keys(const char *a, const char *b)
{
	char	  **k = calloc(2, sizeof(char *));

	k[0] = strdup(a);
	k[1] = b ? strdup(b) : NULL;
	return k;
}

static void
queue(struct snapshot *s, const char *schema, const char *table, const char *filter,
	  const char *surrogate_key, const char *signal, int blocking)
{
	struct snapshot_item it = {(char *) schema, (char *) table, (char *) filter,
	(char *) surrogate_key, (char *) signal, blocking};

	CHECK_INT(snap_push_item(s, &it), 0);
}

#define FULL_STATE \
	"{\"id\":\"sig-1\",\"paused\":true,\"chunk\":4,\"rows\":2000," \
	"\"last_key\":[\"500\"],\"max_key\":[\"9000\"],\"tables\":[" \
	"{\"schema\":\"public\",\"table\":\"orders\",\"filter\":\"id > 10\",\"surrogate_key\":null,\"signal\":\"sig-1\",\"blocking\":false}," \
	"{\"schema\":\"public\",\"table\":\"lines\",\"filter\":null,\"surrogate_key\":\"line_no\",\"signal\":\"sig-1\",\"blocking\":false}," \
	"{\"schema\":\"audit\",\"table\":\"log\",\"filter\":null,\"surrogate_key\":null,\"signal\":null,\"blocking\":true}]," \
	"\"done\":[{\"id\":\"sig-0\",\"lsn\":\"0/16B3748\"},{\"id\":\"sig-2\",\"lsn\":null}]}"

static void
test_round_trip(void)
{
	struct snapshot s, r;
	char		err[256] = "";

	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_STR(state_of(&s), "");	/* idle */
	queue(&s, "public", "orders", "id > 10", NULL, "sig-1", 0);
	queue(&s, "public", "lines", NULL, "line_no", "sig-1", 0);
	queue(&s, "audit", "log", NULL, NULL, NULL, 1);
	CHECK_INT(s.nitems, 3);
	CHECK_INT(s.dirty, 1);
	/* the current table's position, before the table is loaded (rel NULL) */
	s.queue.paused = 1;
	s.table.chunk_no = 4;
	s.table.table_rows = 2000;
	s.table.last_key = keys("500", NULL);
	s.table.max_key = keys("9000", NULL);
	s.table.restored_nkeys = 1;
	sigdone_add(&s.queue.done, "sig-0");
	sigdone_place(&s.queue.done, 0x16B3748);
	sigdone_add(&s.queue.done, "sig-2");
	CHECK_STR(state_of(&s), FULL_STATE);

	snapshot_init(&r, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&r, FULL_STATE, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(state_of(&r), FULL_STATE);
	CHECK_INT(r.dirty, 0);
	CHECK_INT(r.nitems, 3);
	CHECK_STR(r.queue.items[0].schema, "public");
	CHECK_STR(r.queue.items[0].table, "orders");
	CHECK_STR(r.queue.items[0].filter, "id > 10");
	CHECK(r.queue.items[0].surrogate_key == NULL);
	CHECK_STR(r.queue.items[0].signal, "sig-1");
	CHECK_INT(r.queue.items[0].blocking, 0);
	CHECK_STR(r.queue.items[1].table, "lines");
	CHECK(r.queue.items[1].filter == NULL);
	CHECK_STR(r.queue.items[1].surrogate_key, "line_no");
	CHECK_STR(r.queue.items[1].signal, "sig-1");
	CHECK_STR(r.queue.items[2].schema, "audit");
	CHECK(r.queue.items[2].signal == NULL);
	CHECK_INT(r.queue.items[2].blocking, 1);
	CHECK_INT(r.queue.paused, 1);
	CHECK_INT(r.table.chunk_no, 4);
	CHECK_INT(r.table.table_rows, 2000);
	CHECK_INT(r.table.restored_nkeys, 1);
	CHECK_STR(r.table.last_key[0], "500");
	CHECK_STR(r.table.max_key[0], "9000");
	CHECK_INT(r.queue.done.n, 2);
	CHECK_STR(r.queue.done.e[0].id, "sig-0");
	CHECK_INT(r.queue.done.e[0].lsn, 0x16B3748);
	CHECK_STR(r.queue.done.e[1].id, "sig-2");
	CHECK(r.queue.done.e[1].lsn == SIGDONE_UNPLACED);
	snapshot_free(&r);
	snapshot_free(&s);

	/* a key of two columns, with characters JSON escapes */
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	queue(&s, "s", "t\"ab", NULL, NULL, "x", 0);
	s.table.chunk_no = 1;
	s.table.table_rows = 10;
	s.table.last_key = keys("a\"b\\c", "7\n");
	s.table.max_key = keys("zz", "9");
	s.table.restored_nkeys = 2;
	{
		const char *want =
			"{\"id\":\"x\",\"paused\":false,\"chunk\":1,\"rows\":10,"
			"\"last_key\":[\"a\\\"b\\\\c\",\"7\\n\"],\"max_key\":[\"zz\",\"9\"],\"tables\":["
			"{\"schema\":\"s\",\"table\":\"t\\\"ab\",\"filter\":null,\"surrogate_key\":null,\"signal\":\"x\",\"blocking\":false}],"
			"\"done\":[]}";

		CHECK_STR(state_of(&s), want);
		snapshot_init(&r, &cfg, NULL, NULL, NULL);
		CHECK_INT(snapshot_restore(&r, want, err, sizeof(err)), 0);
		CHECK_STR(state_of(&r), want);
		CHECK_STR(r.queue.items[0].table, "t\"ab");
		CHECK_INT(r.table.restored_nkeys, 2);
		CHECK_STR(r.table.last_key[0], "a\"b\\c");
		CHECK_STR(r.table.last_key[1], "7\n");
		CHECK_STR(r.table.max_key[1], "9");
		snapshot_free(&r);
	}
	/* last_key NULL (from the start): max_key is left out too */
	snap_free_keys(s.table.last_key, 2);
	s.table.last_key = NULL;
	CHECK_STR(state_of(&s),
			  "{\"id\":\"x\",\"paused\":false,\"chunk\":1,\"rows\":10,"
			  "\"last_key\":null,\"max_key\":null,\"tables\":["
			  "{\"schema\":\"s\",\"table\":\"t\\\"ab\",\"filter\":null,\"surrogate_key\":null,\"signal\":\"x\",\"blocking\":false}],"
			  "\"done\":[]}");
	snapshot_free(&s);

	/* only finished signals left: still a state, so they are kept */
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	sigdone_add(&s.queue.done, "sig-0");
	CHECK_STR(state_of(&s),
			  "{\"id\":\"\",\"paused\":false,\"chunk\":0,\"rows\":0,"
			  "\"last_key\":null,\"max_key\":null,\"tables\":[],"
			  "\"done\":[{\"id\":\"sig-0\",\"lsn\":null}]}");
	snapshot_free(&s);
}

static void
test_restore_variants(void)
{
	struct snapshot s;
	char		err[256] = "";

	/* nothing to resume */
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&s, NULL, err, sizeof(err)), 0);
	CHECK_INT(snapshot_restore(&s, "", err, sizeof(err)), 0);
	CHECK_INT(s.nitems, 0);
	CHECK_STR(state_of(&s), "");
	snapshot_free(&s);

	/* before tables carried their signal: the id was the first's, for all */
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&s, "{\"id\":\"old\",\"tables\":[{\"schema\":\"p\",\"table\":\"a\"},"
							   "{\"schema\":\"p\",\"table\":\"b\",\"signal\":null}]}",
							   err, sizeof(err)), 0);
	CHECK_INT(s.nitems, 2);
	CHECK_STR(s.queue.items[0].signal, "old");
	CHECK(s.queue.items[1].signal == NULL);
	CHECK_INT(s.queue.items[0].blocking, 0);
	CHECK_INT(s.queue.paused, 0);
	CHECK_INT(s.table.chunk_no, 0);
	CHECK(s.table.last_key == NULL);
	CHECK_INT(s.queue.done.n, 0);
	snapshot_free(&s);

	/* last_key and max_key not of one length: read from the start */
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&s, "{\"tables\":[{\"schema\":\"p\",\"table\":\"a\"}],\"chunk\":3,"
							   "\"rows\":30,\"last_key\":[\"1\"],\"max_key\":[\"1\",\"2\"]}",
							   err, sizeof(err)), 0);
	CHECK(s.table.last_key == NULL);
	CHECK(s.table.max_key == NULL);
	CHECK_INT(s.table.chunk_no, 0);
	CHECK_INT(s.table.table_rows, 0);
	snapshot_free(&s);
	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&s, "{\"tables\":[{\"schema\":\"p\",\"table\":\"a\"}],\"chunk\":3,"
							   "\"rows\":30,\"last_key\":[\"1\"]}", err, sizeof(err)), 0);
	CHECK(s.table.last_key == NULL);
	CHECK_INT(s.table.chunk_no, 0);
	CHECK_INT(s.table.table_rows, 0);
	snapshot_free(&s);
}

/* snapshot_restore(text) must fail with exactly want. */
static void
malformed(const char *text, const char *want)
{
	struct snapshot s;
	char		err[256] = "";

	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	CHECK_INT(snapshot_restore(&s, text, err, sizeof(err)), -1);
	CHECK_STR(err, want);
	snapshot_free(&s);
}

static void
test_malformed(void)
{
	malformed("not json", "not valid JSON at offset 0: expected a value");
	malformed("{\"tables\":[{\"schema\":\"a\"", "not valid JSON at offset 24: expected ',' or '}'");
	malformed("{}", "snapshot state: no \"tables\"");
	malformed("[1,2]", "snapshot state: no \"tables\"");
	malformed("{\"tables\":{}}", "snapshot state: no \"tables\"");
	malformed("{\"tables\":[{\"table\":\"t\"}]}", "snapshot state: a table entry is malformed");
	malformed("{\"tables\":[{\"schema\":\"s\"}]}", "snapshot state: a table entry is malformed");
	malformed("{\"tables\":[{\"schema\":\"s\",\"table\":\"t\"},5]}",
			  "snapshot state: a table entry is malformed");
	malformed("{\"tables\":[],\"done\":{}}", "snapshot state: \"done\" is not an array");
	malformed("{\"tables\":[],\"done\":[{\"lsn\":\"0/1\"}]}", "snapshot state: an entry of \"done\" is malformed");
}

static void
test_pending(void)
{
	struct snapshot s;
	const char *st;
	char		want[4096];

	snapshot_init(&s, &cfg, NULL, NULL, NULL);
	queue(&s, "p", "a", NULL, NULL, "sig", 0);
	snprintf(want, sizeof(want), "%s", state_of(&s));

	/* a change is recorded with its position and event count */
	snap_push_state(&s, 100, 5);
	CHECK_INT(s.dirty, 0);
	CHECK_INT(s.state.npending, 1);
	CHECK_INT(s.state.pending[0].lsn, 100);
	CHECK_INT(s.state.pending[0].nevents, 5);
	CHECK_STR(s.state.pending[0].state, want);
	/* nothing changed: nothing more */
	snap_push_state(&s, 150, 6);
	CHECK_INT(s.state.npending, 1);
	/* durable once both the position and the events are */
	CHECK_INT(snapshot_unsaved(&s, 99, 5), 0);
	CHECK_INT(snapshot_unsaved(&s, 100, 4), 0);
	CHECK_INT(snapshot_unsaved(&s, 100, 5), 1);
	CHECK(snapshot_state_at(&s, 99, 10) == NULL);
	CHECK(snapshot_state_at(&s, 100, 4) == NULL);
	st = snapshot_state_at(&s, 100, 5);
	CHECK_STR(st, want);
	CHECK_INT(s.state.npending, 0);
	CHECK(snapshot_state_at(&s, 1000, 1000) == NULL);

	/* several pending: the newest durable one, the older dropped */
	s.queue.paused = 1;
	s.dirty = 1;
	snap_push_state(&s, 200, 7);
	s.queue.paused = 0;
	s.dirty = 1;
	snap_push_state(&s, 300, 9);
	queue(&s, "p", "b", NULL, NULL, "sig2", 0);
	snap_push_state(&s, 400, 12);
	CHECK_INT(s.state.npending, 3);
	st = snapshot_state_at(&s, 350, 100);
	CHECK_STR(st, want);			/* the one at 300: paused again false */
	CHECK_INT(s.state.npending, 1);
	CHECK_INT(s.state.pending[0].lsn, 400);
	st = snapshot_state_at(&s, 400, 12);
	CHECK_STR(st, "{\"id\":\"sig\",\"paused\":false,\"chunk\":0,\"rows\":0,"
			  "\"last_key\":null,\"max_key\":null,\"tables\":["
			  "{\"schema\":\"p\",\"table\":\"a\",\"filter\":null,\"surrogate_key\":null,\"signal\":\"sig\",\"blocking\":false},"
			  "{\"schema\":\"p\",\"table\":\"b\",\"filter\":null,\"surrogate_key\":null,\"signal\":\"sig2\",\"blocking\":false}],"
			  "\"done\":[]}");
	CHECK_INT(s.state.npending, 0);

	/* each position places the signals finished before it */
	sigdone_add(&s.queue.done, "sig-9");
	CHECK(s.queue.done.e[0].lsn == SIGDONE_UNPLACED);
	snap_push_state(&s, 0x500, 13);
	CHECK_INT(s.queue.done.e[0].lsn, 0x500);
	CHECK_INT(s.state.npending, 0);	/* dirty was not set */
	/* the server confirmed it: forgotten, and the state records that */
	snapshot_confirmed(&s, 0x4FF);
	CHECK_INT(s.queue.done.n, 1);
	CHECK_INT(s.dirty, 0);
	snapshot_confirmed(&s, 0x500);
	CHECK_INT(s.queue.done.n, 0);
	CHECK_INT(s.dirty, 1);
	snapshot_free(&s);
}

int
main(void)
{
	config_init(&cfg);
	test_round_trip();
	test_restore_variants();
	test_malformed();
	test_pending();
	config_free(&cfg);
	return TEST_REPORT("test_snapshot_state");
}

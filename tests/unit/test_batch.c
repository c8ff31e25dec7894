/*
 * test_batch.c — unit tests for batch.c: records over the arena, the
 * framing batch_end() adds, routing fields, commit marks, growth of the
 * record array and reuse of the memory across batches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "testhelp.h"

static struct batch_rec *
add(struct batch *b, const char *value)
{
	buf_puts(batch_value(b), value);
	return batch_end(b);
}

static void
test_framing(void)
{
	struct batch b;
	struct batch_rec *r;

	batch_init(&b);
	CHECK(batch_bytes(&b) == 0 && b.nrecs == 0 && !batch_failed(&b));
	r = add(&b, "{\"a\":1}");
	CHECK(r != NULL && r->value == 0 && r->vlen == 7 && r->flags == 0 && r->klen == 0);
	add(&b, "{}");
	/* an empty value is still one framed record */
	add(&b, "");
	CHECK(b.nrecs == 3);
	CHECK(batch_bytes(&b) == 12);
	CHECK(memcmp(b.data.data, "{\"a\":1}\n{}\n\n", 12) == 0);
	CHECK(b.recs[1].value == 8 && b.recs[1].vlen == 2);
	CHECK(memcmp(batch_rec_value(&b, &b.recs[1]), "{}", 2) == 0);
	CHECK(b.recs[2].value == 11 && b.recs[2].vlen == 0);
	/* nothing routed: meta untouched */
	CHECK(b.meta.len == 0);
	batch_free(&b);
}

static void
test_routing(void)
{
	struct batch b;
	struct batch_rec *r;

	batch_init(&b);
	r = add(&b, "{\"before\":1}");
	batch_topic(&b, r, "srv.public.items", 16);
	buf_lit(batch_key(&b, r), "{\"id\":1}");
	batch_key_end(&b, r);
	r->flags = BATCH_TOMBSTONE | BATCH_CONTINUES;
	r = add(&b, "{\"after\":2}");
	batch_topic(&b, r, "srv.public.items", 16);
	batch_key(&b, r);
	batch_key_end(&b, r);

	CHECK(b.nrecs == 2);
	CHECK_STR(batch_rec_topic(&b, &b.recs[0]), "srv.public.items");
	CHECK(b.recs[0].klen == 8 && memcmp(batch_rec_key(&b, &b.recs[0]), "{\"id\":1}", 8) == 0);
	CHECK(b.recs[0].flags == (BATCH_TOMBSTONE | BATCH_CONTINUES));
	CHECK_STR(batch_rec_topic(&b, &b.recs[1]), "srv.public.items");
	CHECK(b.recs[1].klen == 0 && b.recs[1].flags == 0);
	/* the values stay a contiguous framed stream */
	CHECK(batch_bytes(&b) == 25 &&
		  memcmp(b.data.data, "{\"before\":1}\n{\"after\":2}\n", 25) == 0);
	batch_free(&b);
}

static void
test_growth_and_reuse(void)
{
	struct batch b;
	char		v[32];
	size_t		cap;
	char	   *recs;
	char	   *data;

	batch_init(&b);
	for (int i = 0; i < 5000; i++)
	{
		snprintf(v, sizeof(v), "%d", i);
		add(&b, v);
	}
	CHECK(b.nrecs == 5000 && b.caprecs >= 5000 && !batch_failed(&b));
	CHECK(memcmp(batch_rec_value(&b, &b.recs[4321]), "4321", 4) == 0 &&
		  b.recs[4321].vlen == 4);
	CHECK(b.data.data[b.recs[4999].value + b.recs[4999].vlen] == '\n');
	CHECK(b.recs[4999].value + b.recs[4999].vlen + 1 == batch_bytes(&b));

	/* reset keeps the memory: a batch of the same size allocates nothing */
	cap = b.caprecs;
	recs = (char *) b.recs;
	data = b.data.data;
	batch_reset(&b);
	CHECK(b.nrecs == 0 && batch_bytes(&b) == 0 && b.meta.len == 0);
	for (int i = 0; i < 5000; i++)
	{
		snprintf(v, sizeof(v), "%d", i);
		add(&b, v);
	}
	CHECK(b.caprecs == cap && (char *) b.recs == recs && b.data.data == data);
	CHECK(b.recs[0].value == 0 && memcmp(b.data.data, "0\n1\n", 4) == 0);
	batch_free(&b);
	CHECK(b.recs == NULL && b.nrecs == 0);
}

/*
 * Commit marks: a transaction's last record carries its end LSN; a
 * transaction without records here marks nothing (not the rows before
 * it); a flushed batch's rest of an open transaction is marked in the
 * next batch.
 */
static void
test_commit_marks(void)
{
	struct batch b;

	batch_init(&b);
	batch_txn_begin(&b);
	add(&b, "t1-a");
	add(&b, "t1-b");
	batch_commit(&b, 0x100);
	CHECK(b.recs[0].commit == 0 && b.recs[1].commit == 0x100);
	/* rows between transactions (a snapshot chunk), delivered like a commit */
	add(&b, "row");
	batch_commit(&b, 0x200);
	CHECK(b.nrecs == 3 && b.recs[2].commit == 0x200);
	/* a transaction whose changes were all filtered out marks nothing */
	batch_txn_begin(&b);
	batch_commit(&b, 0x250);
	CHECK(b.nrecs == 3 && b.recs[2].commit == 0x200 && b.recs[1].commit == 0x100);
	/* a transaction cut by a flush: its last record lands in the next batch */
	batch_txn_begin(&b);
	add(&b, "t3-a");
	CHECK(b.recs[3].commit == 0);
	batch_reset(&b);
	add(&b, "t3-b");
	batch_commit(&b, 0x300);
	CHECK(b.nrecs == 1 && b.recs[0].commit == 0x300);
	/* batch_end clears a reused record's mark */
	batch_reset(&b);
	add(&b, "x");
	CHECK(b.recs[0].commit == 0);
	batch_free(&b);
}

int
main(void)
{
	test_framing();
	test_routing();
	test_growth_and_reuse();
	test_commit_marks();
	return TEST_REPORT("test_batch");
}

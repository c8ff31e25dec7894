/*
 * test_txn.c — unit tests for txn.c: Begin/Commit order, skipping what
 * was delivered before a restart or a reconnect (txn.h), and that the
 * transaction's open state is the ack's.
 */
#include <stdint.h>
#include <string.h>

#include "ack.h"
#include "testhelp.h"
#include "txn.h"

/* Begin and Commit in order: the ack follows; events are written. */
static void
test_order(void)
{
	struct txn	t;
	struct ack	a;
	char		err[256];

	ack_init(&a, 100);
	txn_init(&t, 0);
	CHECK_INT(txn_begin(&t, &a, 7, 0, 500, 400, 0, err, sizeof(err)), 0);
	CHECK_INT(ack_in_txn(&a), 1);
	CHECK_INT((int) t.ev.xid, 7);
	CHECK_INT(t.skipping, 0);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT((int) t.events, 2);
	CHECK_INT(txn_commit(&t, &a, 500, 510, 500, err, sizeof(err)), 1);
	CHECK_INT(ack_in_txn(&a), 0);
	CHECK(ack_appended(&a) == 510);
	CHECK(t.ev.last_commit_lsn == 500);

	/* a second Begin inside an open transaction */
	CHECK_INT(txn_begin(&t, &a, 8, 0, 600, 520, 0, err, sizeof(err)), 0);
	CHECK_INT(txn_begin(&t, &a, 9, 0, 700, 0x10000000aULL, 0, err, sizeof(err)), -1);
	CHECK_STR(err, "Begin at 1/A inside an open transaction");
	CHECK_INT(ack_in_txn(&a), 1);
	/* a Commit that does not match its Begin */
	CHECK_INT(txn_commit(&t, &a, 650, 660, 650, err, sizeof(err)), -1);
	CHECK(strstr(err, "does not match its Begin") != NULL);
	CHECK_INT(ack_in_txn(&a), 1);
	CHECK_INT(txn_commit(&t, &a, 600, 610, 600, err, sizeof(err)), 1);
	/* a Commit without Begin */
	CHECK_INT(txn_commit(&t, &a, 600, 610, 0x20, err, sizeof(err)), -1);
	CHECK_STR(err, "Commit at 0/20 without Begin");
}

/* A transaction committing past --endpos is not begun. */
static void
test_endpos(void)
{
	struct txn	t;
	struct ack	a;
	char		err[256];

	ack_init(&a, 0);
	txn_init(&t, 0);
	CHECK_INT(txn_begin(&t, &a, 1, 0, 1000, 900, 1000, err, sizeof(err)), 0);
	CHECK_INT(txn_commit(&t, &a, 1000, 1010, 1000, err, sizeof(err)), 1);
	CHECK_INT(txn_begin(&t, &a, 2, 0, 1001, 1010, 1000, err, sizeof(err)), 1);
	CHECK_INT(ack_in_txn(&a), 0);
}

/* After a restart: transactions committed before skip_before are skipped. */
static void
test_skip_before(void)
{
	struct txn	t;
	struct ack	a;
	char		err[256];

	ack_init(&a, 1000);
	txn_init(&t, 1000);
	CHECK_INT(txn_delivered(&t, 999), 1);
	CHECK_INT(txn_delivered(&t, 1000), 0);
	CHECK_INT(txn_begin(&t, &a, 1, 0, 900, 800, 0, err, sizeof(err)), 0);
	CHECK_INT(t.skipping, 1);
	CHECK_INT(ack_in_txn(&a), 1);
	CHECK_INT(txn_already_written(&t), 1);
	/* skipped: the transaction closes, nothing is appended */
	CHECK_INT(txn_commit(&t, &a, 900, 910, 900, err, sizeof(err)), 0);
	CHECK_INT(ack_in_txn(&a), 0);
	CHECK(ack_appended(&a) == 1000);
	CHECK(t.ev.last_commit_lsn == 900);
	/* the one committed at skip_before itself is new */
	CHECK_INT(txn_begin(&t, &a, 2, 0, 1000, 950, 0, err, sizeof(err)), 0);
	CHECK_INT(t.skipping, 0);
	CHECK_INT(txn_already_written(&t), 0);
}

/* A reconnect cuts a transaction: its events written so far are not written again. */
static void
test_cut_resume(void)
{
	struct txn	t;
	struct ack	a;
	char		err[256];

	ack_init(&a, 0);
	txn_init(&t, 0);
	CHECK_INT(txn_begin(&t, &a, 1, 0, 500, 400, 0, err, sizeof(err)), 0);
	CHECK_INT(txn_commit(&t, &a, 500, 510, 500, err, sizeof(err)), 1);
	CHECK_INT(txn_begin(&t, &a, 2, 0, 800, 600, 0, err, sizeof(err)), 0);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT(txn_already_written(&t), 0);
	txn_cut(&t, &a);
	CHECK_INT(ack_in_txn(&a), 0);
	CHECK(t.resume_final_lsn == 800);
	CHECK_INT((int) t.resume_skip, 3);
	CHECK(t.skip_before == 510);

	/* sent again: the first one, committed at 500, is skipped whole */
	CHECK_INT(txn_begin(&t, &a, 1, 0, 500, 400, 0, err, sizeof(err)), 0);
	CHECK_INT(t.skipping, 1);
	CHECK_INT(txn_commit(&t, &a, 500, 510, 500, err, sizeof(err)), 0);
	/* the cut one: its first three events were written */
	CHECK_INT(txn_begin(&t, &a, 2, 0, 800, 600, 0, err, sizeof(err)), 0);
	CHECK_INT(t.skipping, 0);
	CHECK_INT(txn_already_written(&t), 1);
	CHECK_INT(txn_already_written(&t), 1);
	CHECK_INT(txn_already_written(&t), 1);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT(txn_already_written(&t), 0);
	CHECK_INT(txn_commit(&t, &a, 800, 810, 800, err, sizeof(err)), 1);
	CHECK(ack_appended(&a) == 810);

	/* a transaction cut while skipping has nothing of its own written */
	txn_init(&t, 2000);
	CHECK_INT(txn_begin(&t, &a, 3, 0, 1500, 1400, 0, err, sizeof(err)), 0);
	CHECK_INT(txn_already_written(&t), 1);
	txn_cut(&t, &a);
	CHECK(t.resume_final_lsn == 1500);
	CHECK_INT((int) t.resume_skip, 0);
	CHECK(t.skip_before == 2000);

	/* cut between transactions: only skip_before moves */
	txn_init(&t, 0);
	txn_cut(&t, &a);
	CHECK(t.resume_final_lsn == 0);
	CHECK(t.skip_before == 810);

	/* a new slot: nothing is skipped any more */
	txn_forget(&t);
	CHECK(t.skip_before == 0);
	CHECK(t.resume_final_lsn == 0);
	CHECK_INT((int) t.resume_skip, 0);
}

int
main(void)
{
	test_order();
	test_endpos();
	test_skip_before();
	test_cut_resume();
	return TEST_REPORT("test_txn");
}

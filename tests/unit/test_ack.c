/*
 * test_ack.c — unit tests for ack.c: which flush LSN may be reported,
 * by the rules in ack.h.
 */
#include <stdint.h>

#include "ack.h"
#include "testhelp.h"

/* The starting position is reported until something moves it. */
static void
test_initial(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	CHECK(a.appended == 1000);
	CHECK(a.written == 1000);
	CHECK(a.durable == 1000);
	CHECK(a.confirmed == 1000);
	CHECK(a.server_end == 0);
	CHECK_INT(a.in_txn, 0);
	CHECK_INT(a.unwritten, 0);
	CHECK_INT(ack_idle(&a), 1);
	CHECK(ack_flush_lsn(&a) == 1000);
	CHECK(ack_flush_lsn(&a) == 1000);

	ack_init(&a, 0);
	CHECK(ack_flush_lsn(&a) == 0);
	/* a keepalive below the start does not lower it */
	ack_init(&a, 1000);
	ack_server_end(&a, 500);
	CHECK(ack_flush_lsn(&a) == 1000);
}

/* Idle: nothing open, nothing unwritten: the server's WAL end is confirmed. */
static void
test_idle_server_end(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_server_end(&a, 5000);
	CHECK_INT(ack_idle(&a), 1);
	CHECK(ack_flush_lsn(&a) == 5000);
	CHECK(a.confirmed == 5000);
	ack_server_end(&a, 6000);
	CHECK(ack_flush_lsn(&a) == 6000);
}

/*
 * One transaction through every stage: flush stays at the durable
 * position while it is open, while its events are unwritten and while
 * they are written but not durable; then its end LSN is confirmed.
 */
static void
test_one_transaction(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_begin(&a);
	CHECK_INT(ack_idle(&a), 0);
	ack_server_end(&a, 9000);	/* keepalive during the transaction */
	CHECK(ack_flush_lsn(&a) == 1000);
	ack_event(&a);
	CHECK(ack_flush_lsn(&a) == 1000);
	ack_event(&a);
	ack_commit(&a, 2000);
	CHECK(a.appended == 2000);
	CHECK_INT(a.in_txn, 0);
	CHECK_INT(ack_idle(&a), 0);		/* events not written */
	CHECK(ack_flush_lsn(&a) == 1000);

	ack_written(&a);
	CHECK(a.written == 2000);
	CHECK_INT(a.unwritten, 0);
	CHECK_INT(ack_idle(&a), 0);		/* written, not durable */
	CHECK(ack_flush_lsn(&a) == 1000);
	CHECK(a.confirmed == 1000);

	ack_durable(&a);
	CHECK(a.durable == 2000);
	CHECK_INT(ack_idle(&a), 1);
	/* idle again: the keepalive's end (past the commit) is confirmed */
	CHECK(ack_flush_lsn(&a) == 9000);
}

/* Without a keepalive past it, the commit end itself is confirmed. */
static void
test_commit_end_confirmed(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_begin(&a);
	ack_event(&a);
	ack_commit(&a, 2000);
	ack_written(&a);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 2000);

	/* the next transaction open: its own commit is not confirmed yet */
	ack_begin(&a);
	ack_event(&a);
	CHECK(ack_flush_lsn(&a) == 2000);
	ack_commit(&a, 3000);
	CHECK(ack_flush_lsn(&a) == 2000);
	ack_written(&a);
	CHECK(ack_flush_lsn(&a) == 2000);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 3000);
}

/*
 * A keepalive that arrives while events are pending does not get
 * confirmed until they are durable, even after the transaction closed.
 */
static void
test_pending_blocks_server_end(void)
{
	struct ack	a;

	ack_init(&a, 100);
	ack_begin(&a);
	ack_event(&a);
	ack_commit(&a, 200);
	ack_server_end(&a, 300);
	CHECK(ack_flush_lsn(&a) == 100);	/* unwritten */
	ack_written(&a);
	CHECK(ack_flush_lsn(&a) == 100);	/* not durable */
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 300);

	/* a non-transactional event alone also blocks the keepalive */
	ack_event(&a);
	ack_server_end(&a, 400);
	CHECK_INT(ack_idle(&a), 0);
	CHECK(ack_flush_lsn(&a) == 300);
	ack_written(&a);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 400);

	/* an open transaction with no events yet blocks it too */
	ack_begin(&a);
	ack_server_end(&a, 500);
	CHECK(ack_flush_lsn(&a) == 400);
	ack_commit(&a, 450);
	/* its commit (450) was appended with no event: nothing to write */
	ack_written(&a);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 500);
}

/* The reported position never goes backwards. */
static void
test_monotonic(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_server_end(&a, 5000);
	CHECK(ack_flush_lsn(&a) == 5000);

	/* a lower keepalive is ignored */
	ack_server_end(&a, 4000);
	CHECK(a.server_end == 5000);
	CHECK(ack_flush_lsn(&a) == 5000);

	/*
	 * A transaction below the confirmed position (the server resends
	 * from the slot's older position after a reconnect): even once it is
	 * durable, and with another transaction open so that durable alone
	 * counts, the answer stays at 5000.
	 */
	ack_begin(&a);
	ack_event(&a);
	ack_commit(&a, 3000);
	ack_written(&a);
	ack_durable(&a);
	CHECK(a.durable == 3000);
	ack_begin(&a);
	CHECK(ack_flush_lsn(&a) == 5000);
	CHECK(a.confirmed == 5000);
	ack_commit(&a, 3500);
	ack_written(&a);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 5000);

	/* a commit with a lower end LSN does not lower appended */
	ack_init(&a, 0);
	ack_commit(&a, 700);
	ack_commit(&a, 600);
	CHECK(a.appended == 700);
}

/*
 * Stage updates out of order: durable before written only makes
 * durable what was written before; written covers only what was
 * appended at the time.
 */
static void
test_out_of_order(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_begin(&a);
	ack_event(&a);
	ack_commit(&a, 2000);
	ack_durable(&a);			/* nothing new was written yet */
	CHECK(a.durable == 1000);
	CHECK(ack_flush_lsn(&a) == 1000);

	ack_written(&a);
	ack_begin(&a);				/* a second transaction, appended after */
	ack_event(&a);
	ack_commit(&a, 3000);
	CHECK(a.written == 2000);
	ack_durable(&a);
	CHECK(a.durable == 2000);
	CHECK(ack_flush_lsn(&a) == 2000);	/* 3000 is not written */

	ack_durable(&a);			/* again: still only what was written */
	CHECK(ack_flush_lsn(&a) == 2000);
	ack_written(&a);
	CHECK(ack_flush_lsn(&a) == 2000);	/* 3000 written, not durable */
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 3000);

	/* a keepalive that arrived between the stages is held back */
	ack_init(&a, 1000);
	ack_begin(&a);
	ack_event(&a);
	ack_commit(&a, 2000);
	ack_written(&a);
	ack_server_end(&a, 2500);
	ack_written(&a);			/* repeated: nothing new */
	CHECK(ack_flush_lsn(&a) == 1000);
	ack_durable(&a);
	CHECK(ack_flush_lsn(&a) == 2500);
}

/* One transaction of n events committed at end. */
static void
txn(struct ack *a, int n, uint64_t end)
{
	ack_begin(a);
	for (int i = 0; i < n; i++)
		ack_event(a);
	ack_commit(a, end);
}

/* Delivery one event at a time: the durable LSN follows whole commits. */
static void
test_delivered(void)
{
	struct ack	a;

	ack_init(&a, 100);
	txn(&a, 2, 200);			/* events 1-2 */
	txn(&a, 1, 300);			/* event 3 */
	txn(&a, 0, 350);			/* nothing captured */
	txn(&a, 3, 400);			/* events 4-6 */
	ack_written(&a);
	CHECK_INT((int) a.nmarks, 3);	/* 350 moved the mark of 300 on */
	ack_delivered(&a, 1);
	CHECK(a.durable == 100);
	CHECK(ack_flush_lsn(&a) == 100);
	ack_delivered(&a, 2);
	CHECK(a.durable == 200);
	ack_delivered(&a, 3);
	CHECK(a.durable == 350);	/* the empty commit after event 3 too */
	ack_delivered(&a, 5);
	CHECK(a.durable == 350);
	CHECK(a.ndurable == 5);
	CHECK_INT(ack_idle(&a), 0);
	ack_delivered(&a, 6);
	CHECK(a.durable == 400);
	CHECK_INT((int) a.nmarks, 0);
	CHECK_INT(ack_idle(&a), 1);
	/* never past what was written, never backwards */
	txn(&a, 1, 500);
	ack_delivered(&a, 7);		/* not written yet: ignored */
	CHECK(a.durable == 400);
	CHECK(a.ndurable == 6);
	ack_delivered(&a, 2);
	CHECK(a.durable == 400);
	CHECK(a.ndurable == 6);
	ack_written(&a);
	ack_delivered(&a, 7);
	CHECK(a.durable == 500);
}

/*
 * The transaction each position ends with follows it through the
 * stages: by marks for a counting sink, at once for one that syncs; a
 * unit without a transaction (snapshot rows) keeps the last one.
 */
static void
test_txn_identity(void)
{
	struct ack	a;

	ack_init(&a, 100);
	ack_begin(&a);
	ack_event(&a);
	ack_commit_txn(&a, 200, 7, 1000);
	ack_begin(&a);
	ack_event(&a);
	ack_commit_txn(&a, 300, 8, 2000);
	ack_event(&a);				/* snapshot rows at 350, no transaction */
	ack_commit(&a, 350);
	CHECK(ack_written_txn(&a).xid == 0);
	ack_written(&a);
	CHECK(ack_written_txn(&a).xid == 8 && ack_written_txn(&a).commit_us == 2000);
	ack_delivered(&a, 1);
	CHECK(a.durable == 200);
	CHECK(ack_durable_txn(&a).xid == 7 && ack_durable_txn(&a).commit_us == 1000);
	ack_delivered(&a, 3);
	CHECK(a.durable == 350);
	CHECK(ack_durable_txn(&a).xid == 8);
	/* an older commit passed again changes nothing */
	ack_begin(&a);
	ack_commit_txn(&a, 250, 9, 3000);
	ack_written(&a);
	CHECK(ack_written_txn(&a).xid == 8);
	/* a sink that syncs: durable takes written's */
	ack_begin(&a);
	ack_event(&a);
	ack_commit_txn(&a, 400, 10, 4000);
	ack_written(&a);
	ack_durable(&a);
	CHECK(ack_durable_txn(&a).xid == 10 && ack_durable_txn(&a).commit_us == 4000);
}

/* A full ring of marks moves its newest mark on: later, never wrong. */
static void
test_marks_full(void)
{
	struct ack	a;

	ack_init(&a, 0);
	for (int i = 1; i <= ACK_MARKS + 10; i++)
		txn(&a, 1, (uint64_t) i * 10);
	ack_written(&a);
	CHECK_INT((int) a.nmarks, ACK_MARKS);
	ack_delivered(&a, ACK_MARKS - 1);
	CHECK(a.durable == (uint64_t) (ACK_MARKS - 1) * 10);
	/* commit ACK_MARKS and the 10 after it share the last mark */
	ack_delivered(&a, ACK_MARKS);
	CHECK(a.durable == (uint64_t) (ACK_MARKS - 1) * 10);
	ack_delivered(&a, ACK_MARKS + 10);
	CHECK(a.durable == (uint64_t) (ACK_MARKS + 10) * 10);
	/* ack_durable() drops every mark it covers */
	txn(&a, 1, 999999);
	ack_written(&a);
	ack_durable(&a);
	CHECK(a.durable == 999999);
	CHECK_INT((int) a.nmarks, 0);
}

/*
 * A new slot: positions start over (also below the old ones), pending
 * marks are forgotten, the event counts go on with the sink's.
 */
static void
test_restart(void)
{
	struct ack	a;

	ack_init(&a, 0);
	txn(&a, 2, 5000);
	txn(&a, 1, 6000);
	ack_written(&a);
	ack_delivered(&a, 2);
	ack_server_end(&a, 7000);
	CHECK(a.durable == 5000);
	ack_restart(&a, 3000);
	CHECK(a.appended == 3000 && a.written == 3000 && a.durable == 3000);
	CHECK(ack_flush_lsn(&a) == 3000);	/* not 6000 or 7000: that was the old slot */
	CHECK_INT((int) a.nmarks, 0);
	CHECK(a.nwritten == 3 && a.ndurable == 2);
	/* the old slot's last event is delivered: nothing of the new is yet */
	txn(&a, 1, 3500);			/* event 4 */
	ack_written(&a);
	ack_delivered(&a, 3);
	CHECK(a.durable == 3000);
	ack_delivered(&a, 4);
	CHECK(a.durable == 3500);
	CHECK(ack_flush_lsn(&a) == 3500);
}

/* The peek says what ack_flush_lsn would, without recording it. */
static void
test_peek(void)
{
	struct ack	a;

	ack_init(&a, 1000);
	ack_server_end(&a, 1500);
	CHECK(ack_flush_peek(&a) == 1500);
	CHECK(a.confirmed == 1000);
	ack_begin(&a);
	CHECK_INT(ack_in_txn(&a), 1);
	CHECK(ack_flush_peek(&a) == 1000);
	/* reported another way: never lower again */
	ack_note_confirmed(&a, 1500);
	CHECK(ack_confirmed(&a) == 1500);
	ack_note_confirmed(&a, 1200);
	CHECK(ack_confirmed(&a) == 1500);
	CHECK(ack_flush_peek(&a) == 1500);
	CHECK(ack_flush_lsn(&a) == 1500);
	/* left without a commit: nothing appended */
	ack_end_txn(&a);
	CHECK_INT(ack_in_txn(&a), 0);
	CHECK(ack_appended(&a) == 1000);
	ack_event(&a);
	ack_commit(&a, 2000);
	ack_written(&a);
	CHECK_INT(ack_unsynced(&a), 1);
	CHECK(ack_undurable(&a) == 1);
	CHECK(ack_written_lsn(&a) == 2000);
	ack_durable(&a);
	CHECK_INT(ack_unsynced(&a), 0);
	CHECK(ack_durable_lsn(&a) == 2000 && ack_ndurable(&a) == 1 && ack_nappended(&a) == 1);
}

int
main(void)
{
	test_peek();
	test_initial();
	test_restart();
	test_idle_server_end();
	test_one_transaction();
	test_commit_end_confirmed();
	test_pending_blocks_server_end();
	test_monotonic();
	test_out_of_order();
	test_delivered();
	test_txn_identity();
	test_marks_full();
	return TEST_REPORT("test_ack");
}

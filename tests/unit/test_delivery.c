/*
 * test_delivery.c — unit tests for delivery.c with the file sink: the
 * batch written, the file length that goes with each commit, what the
 * offset file records, and a restart cutting the file back to it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "delivery.h"
#include "log.h"
#include "offset_store.h"
#include "testhelp.h"

static void
event(struct delivery *d, const char *text)
{
	buf_puts(batch_value(&d->batch), text);
	(void) batch_end(&d->batch);
	delivery_end_event(d);
}

static long
file_size(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n;
}

static void
test_file_sink(void)
{
	char		dir[] = "/tmp/walcap_test_delivery_XXXXXX";
	char		out[300], offs[300], err[512];
	struct config c;
	struct delivery d;
	struct offset o;
	struct offset_store store;
	struct delivery_wait w = {0, 0};

	if (mkdtemp(dir) == NULL)
	{
		CHECK(0);
		return;
	}
	snprintf(out, sizeof(out), "%s/out.jsonl", dir);
	snprintf(offs, sizeof(offs), "%s/walcap.offsets", dir);
	config_init(&c);
	CHECK_INT(config_set(&c, "sink.type", "file", err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "sink.file.path", out, err, sizeof(err)), 0);
	CHECK_INT(config_set(&c, "offset.storage.file.filename", offs, err, sizeof(err)), 0);
	offset_store_init(&store, &c, NULL, NULL);

	/* a first start records the file's length before anything is written */
	delivery_init(&d, &c);
	d.store = &store;
	snprintf(d.off.sink_path, sizeof(d.off.sink_path), "%s", out);
	CHECK_INT(delivery_open(&d, UINT64_MAX, err, sizeof(err)), 0);
	CHECK_INT(offset_load(offs, &o, err, sizeof(err)), 1);
	CHECK(o.lsn == 0 && o.sink_size == 0);
	offset_clear(&o);

	/* two events and their commit, then one of an open transaction */
	ack_begin(&d.ack);
	event(&d, "a");
	event(&d, "b");
	ack_commit(&d.ack, 100);
	delivery_note_commit(&d, 100);
	CHECK(d.appended_size == 4);
	/* the commit mark is on the transaction's last record only */
	CHECK(d.batch.nrecs == 2 && d.batch.recs[0].commit == 0 && d.batch.recs[1].commit == 100);
	ack_begin(&d.ack);
	event(&d, "c");
	CHECK_INT(delivery_write(&d, err, sizeof(err)), 1);
	CHECK(batch_bytes(&d.batch) == 0 && d.written_size == 4);
	CHECK(ack_written_lsn(&d.ack) == 100);
	CHECK_INT((int) file_size(out), 6);

	/* durable and recorded: the position and the length at its commit */
	CHECK_INT(delivery_make_durable(&d, err, sizeof(err)), 0);
	CHECK_INT(delivery_record(&d, NULL, err, sizeof(err)), 0);
	CHECK(ack_durable_lsn(&d.ack) == 100);
	CHECK_INT(offset_load(offs, &o, err, sizeof(err)), 1);
	CHECK(o.lsn == 100 && o.sink_size == 4);
	offset_clear(&o);
	/* nothing new: the file is not written again */
	unlink(offs);
	CHECK_INT(delivery_make_durable(&d, err, sizeof(err)), 0);
	CHECK_INT(delivery_record(&d, NULL, err, sizeof(err)), 0);
	CHECK_INT((int) file_size(offs), -1);
	CHECK(delivery_flush_peek(&d) == 100);

	/*
	 * Events durable but not recorded yet: the flush position stays at
	 * the record (a crash would cut them from the file), and not below
	 * what was reported before.
	 */
	ack_begin(&d.ack);
	event(&d, "x");
	ack_commit(&d.ack, 200);
	delivery_note_commit(&d, 200);
	CHECK_INT(delivery_write(&d, err, sizeof(err)), 1);
	CHECK_INT(delivery_make_durable(&d, err, sizeof(err)), 0);
	CHECK(ack_durable_lsn(&d.ack) == 200 && ack_flush_peek(&d.ack) == 200);
	CHECK(delivery_flush_peek(&d) == 100);
	ack_note_confirmed(&d.ack, 150);
	CHECK(delivery_flush_peek(&d) == 150);
	CHECK_INT(delivery_record(&d, NULL, err, sizeof(err)), 0);
	CHECK(delivery_flush_peek(&d) == 200);
	/* a transaction without events moves it past the record: nothing to cut */
	ack_begin(&d.ack);
	ack_commit(&d.ack, 250);
	CHECK_INT(delivery_write(&d, err, sizeof(err)), 1);
	CHECK_INT(delivery_make_durable(&d, err, sizeof(err)), 0);
	CHECK(d.off.lsn == 200 && delivery_flush_peek(&d) == 250);

	/* the file sink is never full, and confirms nothing one by one */
	event(&d, "d");
	CHECK_INT(delivery_drain(&d, 0, &w, err, sizeof(err)), 0);
	CHECK_INT((int) file_size(out), 10);
	CHECK(delivery_undelivered(&d) == 0);
	CHECK_INT(delivery_finish(&d, 0, 0, &w, err, sizeof(err)), 0);
	delivery_free(&d);

	/* a restart cuts what was written after the recorded commit */
	delivery_init(&d, &c);
	d.store = &store;
	d.off.lsn = 100;
	CHECK_INT(delivery_open(&d, 4, err, sizeof(err)), 0);
	CHECK_INT((int) file_size(out), 4);
	CHECK(ack_appended(&d.ack) == 100 && ack_durable_lsn(&d.ack) == 100);
	CHECK(d.appended_size == 4 && d.written_size == 4);
	delivery_free(&d);
	offset_store_close(&store);

	config_free(&c);
	unlink(out);
	unlink(offs);
	rmdir(dir);
}

int
main(void)
{
	log_set_level(LOGL_WARNING);	/* the restart's INFO line about cutting the file */
	test_file_sink();
	return TEST_REPORT("test_delivery");
}

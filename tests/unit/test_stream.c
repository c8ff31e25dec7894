/*
 * test_stream.c — unit tests for stream.c: spilling streamed
 * transactions and reading them back.
 *
 * Checks: messages come back in order, framed by a Begin and a Commit
 * with the Stream Commit's fields (big-endian, as pgoutput writes them);
 * a rolled-back subtransaction's messages are left out, a rolled-back
 * transaction's file is deleted; interleaved transactions keep apart;
 * messages larger than the read buffer; stale files of the same slot
 * (and only those) are deleted by stream_init; reset deletes the open
 * ones; a Stream Start that continues an unknown transaction is an error.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream.h"
#include "testhelp.h"

static char dir[256];
static char err[512];

static int
nfiles(void)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
touch(const char *name)
{
	char		path[512];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

static uint64_t
be(const char *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | (unsigned char) p[i];
	return v;
}

/* Read back everything: the messages as "type:rest" lines (rest up to 40 bytes). */
static const char *
replay_all(struct stream *s, char *out, size_t cap)
{
	const char *m;
	size_t		len;
	uint64_t	lsn;
	int			rc;

	out[0] = '\0';
	while ((rc = stream_replay_next(s, &m, &len, &lsn, err, sizeof(err))) == 1)
	{
		size_t		at = strlen(out);

		if (m[0] == 'B' || m[0] == 'C')
			snprintf(out + at, cap - at, "%c@%llu ", m[0], (unsigned long long) lsn);
		else
			snprintf(out + at, cap - at, "%c%.*s@%llu ", m[0], (int) (len - 1 > 40 ? 40 : len - 1),
					 m + 1, (unsigned long long) lsn);
	}
	CHECK_INT(rc, 0);
	return out;
}

static void
spill(struct stream *s, uint32_t subxid, uint64_t lsn, const char *text)
{
	CHECK_INT(stream_spill(s, subxid, lsn, text[0], text + 1, strlen(text) - 1, err, sizeof(err)), 0);
}

int
main(void)
{
	struct stream s;
	char		out[4096];
	const char *m;
	size_t		len;
	uint64_t	lsn;

	snprintf(dir, sizeof(dir), "/tmp/walcap-test-stream-%d", (int) getpid());
	mkdir(dir, 0700);
	/* stale files of this slot go; another slot's and other names stay */
	touch("myslot.77.spill");
	touch("myslot.x.spill");
	touch("other.77.spill");
	CHECK_INT(stream_init(&s, dir, "myslot", err, sizeof(err)), 0);
	CHECK_INT(nfiles(), 2);

	/* two interleaved transactions, a subtransaction rolled back */
	CHECK_INT(stream_start(&s, 10, 1, err, sizeof(err)), 0);
	spill(&s, 10, 100, "Ia");
	spill(&s, 11, 101, "Ib-sub");
	CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
	CHECK_INT(stream_start(&s, 20, 1, err, sizeof(err)), 0);
	spill(&s, 20, 102, "Ix");
	CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
	CHECK_INT(stream_start(&s, 10, 0, err, sizeof(err)), 0);
	spill(&s, 12, 103, "Ic-sub2");
	spill(&s, 10, 104, "Id");
	CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
	CHECK_INT(nfiles(), 4);
	CHECK_INT(stream_abort(&s, 10, 11, err, sizeof(err)), 0);
	CHECK(!stream_replaying(&s));
	CHECK_INT(stream_replay_begin(&s, 10, 0x500, 0x510, 777, 105, err, sizeof(err)), 0);
	CHECK(stream_replaying(&s));
	/* the Begin and Commit as pgoutput writes them */
	CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 1);
	CHECK_INT((int) len, 21);
	CHECK_INT(m[0], 'B');
	CHECK(be(m + 1, 8) == 0x500 && be(m + 9, 8) == 777 && be(m + 17, 4) == 10);
	CHECK_STR(replay_all(&s, out, sizeof(out)), "Ia@100 Ic-sub2@103 Id@104 C@105 ");
	CHECK(!stream_replaying(&s));
	CHECK_INT(nfiles(), 3);		/* 10's file is gone */

	/* the other one, then its file too */
	CHECK_INT(stream_replay_begin(&s, 20, 0x600, 0x610, 888, 106, err, sizeof(err)), 0);
	CHECK_STR(replay_all(&s, out, sizeof(out)), "B@106 Ix@102 C@106 ");
	CHECK_INT(nfiles(), 2);

	/* a commit message's fields */
	CHECK_INT(stream_start(&s, 30, 1, err, sizeof(err)), 0);
	CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
	CHECK_INT(stream_replay_begin(&s, 30, 0x700, 0x710, 999, 107, err, sizeof(err)), 0);
	CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 1);
	CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 1);
	CHECK_INT((int) len, 26);
	CHECK(m[0] == 'C' && m[1] == 0 && be(m + 2, 8) == 0x700 && be(m + 10, 8) == 0x710 && be(m + 18, 8) == 999);
	CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 0);

	/* a whole transaction rolled back: its file goes */
	CHECK_INT(stream_start(&s, 40, 1, err, sizeof(err)), 0);
	spill(&s, 40, 200, "Iy");
	CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
	CHECK_INT(nfiles(), 3);
	CHECK_INT(stream_abort(&s, 40, 40, err, sizeof(err)), 0);
	CHECK_INT(nfiles(), 2);
	/* an abort of what was never streamed: nothing to do */
	CHECK_INT(stream_abort(&s, 41, 41, err, sizeof(err)), 0);

	/* many messages, some larger than a read: all back, in order */
	{
		char	   *bigmsg = malloc(200001);
		int			ok = 1;
		int			n = 0;

		memset(bigmsg, 'z', 200000);
		bigmsg[0] = 'I';
		bigmsg[200000] = '\0';
		CHECK_INT(stream_start(&s, 50, 1, err, sizeof(err)), 0);
		for (int i = 0; i < 30000; i++)
		{
			char		small[32];

			snprintf(small, sizeof(small), "I%d", i);
			spill(&s, 50, (uint64_t) i, i % 10000 == 5 ? bigmsg : small);
		}
		CHECK_INT(stream_stop(&s, err, sizeof(err)), 0);
		CHECK_INT(stream_replay_begin(&s, 50, 1, 2, 3, 4, err, sizeof(err)), 0);
		CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 1);
		while (stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)) == 1 && m[0] == 'I')
		{
			char		want[32];

			if (n % 10000 == 5)
				ok = ok && len == 200000 && m[199999] == 'z';
			else
			{
				snprintf(want, sizeof(want), "I%d", n);
				ok = ok && len == strlen(want) && memcmp(m, want, len) == 0;
			}
			ok = ok && lsn == (uint64_t) n;
			n++;
		}
		CHECK(ok);
		CHECK_INT(n, 30000);
		CHECK_INT(stream_replay_next(&s, &m, &len, &lsn, err, sizeof(err)), 0);
		free(bigmsg);
	}

	/* protocol violations */
	CHECK_INT(stream_start(&s, 60, 0, err, sizeof(err)), -1);
	CHECK(strstr(err, "continued streamed transaction 60") != NULL);
	CHECK_INT(stream_replay_begin(&s, 61, 1, 2, 3, 4, err, sizeof(err)), -1);
	CHECK(strstr(err, "never streamed") != NULL);
	CHECK_INT(stream_spill(&s, 1, 1, 'I', "x", 1, err, sizeof(err)), -1);

	/* a reset (a new session) deletes what is open */
	CHECK_INT(stream_start(&s, 70, 1, err, sizeof(err)), 0);
	spill(&s, 70, 1, "Iq");
	CHECK_INT(nfiles(), 3);
	stream_reset(&s);
	CHECK_INT(nfiles(), 2);
	stream_free(&s);

	{
		char		cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			CHECK(0);
	}
	return TEST_REPORT("test_stream");
}

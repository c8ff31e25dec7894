/*
 * test_sigdone.c — unit tests for sigdone.c: the ids of finished
 * execute-snapshot signals, placed at a position, forgotten once the
 * server has confirmed past it, bounded, and their JSON round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonread.h"
#include "sigdone.h"
#include "testhelp.h"

static struct sigdone d;

/* d as JSON, in a static buffer */
static const char *
as_json(void)
{
	static char out[4096];
	struct buf	b;

	buf_init(&b, 0);
	sigdone_json(&d, &b);
	snprintf(out, sizeof(out), "%s", buf_failed(&b) ? "(oom)" : b.data);
	buf_free(&b);
	return out;
}

/* Parse text into d; the return code, err into errout */
static int
from(const char *text, char *errout, size_t errlen)
{
	struct jsonread_doc doc;
	int			rc;

	if (jsonread_parse(&doc, text, errout, errlen) != 0)
		return -2;
	rc = sigdone_from_json(&d, jsonread_root(&doc), errout, errlen);
	jsonread_free(&doc);
	return rc;
}

static void
test_lifecycle(void)
{
	sigdone_init(&d);
	CHECK_STR(as_json(), "[]");
	CHECK(!sigdone_has(&d, "a"));

	/* done inside a transaction: no position until the next one is recorded */
	sigdone_add(&d, "a");
	CHECK(sigdone_has(&d, "a"));
	CHECK_STR(as_json(), "[{\"id\":\"a\",\"lsn\":null}]");
	CHECK_INT(sigdone_forget(&d, UINT64_C(0xFFFFFFFF00000000)), 0);
	CHECK(sigdone_has(&d, "a"));

	sigdone_place(&d, UINT64_C(0x16B374D848));
	CHECK_STR(as_json(), "[{\"id\":\"a\",\"lsn\":\"16/B374D848\"}]");
	/* a later position does not move an id already placed */
	sigdone_add(&d, "b");
	sigdone_place(&d, UINT64_C(0x16B3750000));
	CHECK_STR(as_json(), "[{\"id\":\"a\",\"lsn\":\"16/B374D848\"},{\"id\":\"b\",\"lsn\":\"16/B3750000\"}]");

	/* confirmed before a's end: both kept; at a's end: a goes */
	CHECK_INT(sigdone_forget(&d, UINT64_C(0x16B374D847)), 0);
	CHECK_INT(sigdone_forget(&d, UINT64_C(0x16B374D848)), 1);
	CHECK(!sigdone_has(&d, "a"));
	CHECK(sigdone_has(&d, "b"));

	/* added again: moves to the newest, unplaced */
	sigdone_add(&d, "c");
	sigdone_place(&d, 100);
	sigdone_add(&d, "b");
	CHECK_STR(as_json(), "[{\"id\":\"c\",\"lsn\":\"0/64\"},{\"id\":\"b\",\"lsn\":null}]");
	CHECK_INT(sigdone_forget(&d, UINT64_MAX - 1), 1);
	CHECK_STR(as_json(), "[{\"id\":\"b\",\"lsn\":null}]");
}

static void
test_bound(void)
{
	char		id[32];

	sigdone_init(&d);
	for (int i = 0; i < SIGDONE_MAX + 5; i++)
	{
		snprintf(id, sizeof(id), "s%d", i);
		sigdone_add(&d, id);
	}
	CHECK_INT(d.n, SIGDONE_MAX);
	CHECK_INT(d.unplaced, SIGDONE_MAX);
	/* the oldest went first */
	CHECK(!sigdone_has(&d, "s0"));
	CHECK(!sigdone_has(&d, "s4"));
	CHECK(sigdone_has(&d, "s5"));
	snprintf(id, sizeof(id), "s%d", SIGDONE_MAX + 4);
	CHECK(sigdone_has(&d, id));
	sigdone_place(&d, 7);
	CHECK_INT(d.unplaced, 0);
	CHECK_INT(sigdone_forget(&d, 7), SIGDONE_MAX);
	CHECK_INT(d.n, 0);
}

static void
test_json(void)
{
	char		err[256];

	sigdone_init(&d);
	sigdone_add(&d, "q\"uote\\");
	sigdone_place(&d, UINT64_C(0x100000001));
	sigdone_add(&d, "walcap-cli-1");
	CHECK_STR(as_json(), "[{\"id\":\"q\\\"uote\\\\\",\"lsn\":\"1/1\"},{\"id\":\"walcap-cli-1\",\"lsn\":null}]");
	{
		char		text[4096];

		snprintf(text, sizeof(text), "%s", as_json());
		CHECK_INT(from(text, err, sizeof(err)), 0);
		CHECK_STR(as_json(), text);
		CHECK_INT(d.unplaced, 1);
		CHECK(sigdone_has(&d, "q\"uote\\"));
	}
	CHECK_INT(from("null", err, sizeof(err)), 0);
	CHECK_INT(d.n, 0);
	/* an entry without lsn: unplaced */
	CHECK_INT(from("[{\"id\":\"x\"}]", err, sizeof(err)), 0);
	CHECK_STR(as_json(), "[{\"id\":\"x\",\"lsn\":null}]");

	CHECK_INT(from("{}", err, sizeof(err)), -1);
	CHECK_STR(err, "\"done\" is not an array");
	CHECK_INT(from("[{\"id\":1}]", err, sizeof(err)), -1);
	CHECK_STR(err, "an entry of \"done\" is malformed");
	CHECK_INT(d.n, 0);
	CHECK_INT(from("[{\"id\":\"x\",\"lsn\":\"nope\"}]", err, sizeof(err)), -1);
	CHECK_INT(from("[{\"id\":\"x\",\"lsn\":5}]", err, sizeof(err)), -1);
	CHECK_INT(from("[\"x\"]", err, sizeof(err)), -1);
	{
		char		text[600];

		memset(text, 0, sizeof(text));
		strcpy(text, "[{\"id\":\"");
		memset(text + 8, 'a', SIGDONE_ID_LEN);
		strcat(text, "\"}]");
		CHECK_INT(from(text, err, sizeof(err)), -1);
	}
}

int
main(void)
{
	test_lifecycle();
	test_bound();
	test_json();
	return TEST_REPORT("test_sigdone");
}

/*
 * test_lsn_offset.c — unit tests for lsn.c (the "%X/%X" form) and
 * offset.c (the offset file: round trip, atomic replacement, missing
 * and corrupt files; the record of the other stores: exact key and
 * value, round trip, Debezium's own value, bad values).  Files go to a fresh directory from mkdtemp().
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lsn.h"
#include "offset.h"
#include "testhelp.h"

static char dir[64];
static char path[128];

/* Parse s; return the value, or a marker that no LSN can have here. */
#define BAD UINT64_C(0xDEADBEEFDEADBEEF)

static uint64_t
parse(const char *s)
{
	uint64_t	v = BAD;

	if (lsn_parse(s, &v) != 0)
		return BAD;
	return v;
}

static void
test_lsn(void)
{
	char		txt[64];

	CHECK(parse("0/0") == 0);
	CHECK(parse("16/B374D848") == UINT64_C(0x16B374D848));
	CHECK(parse("16/b374d848") == UINT64_C(0x16B374D848));
	CHECK(parse("FFFFFFFF/FFFFFFFF") == UINT64_MAX);
	CHECK(parse("0/1") == 1);
	CHECK(parse("1/0") == UINT64_C(0x100000000));
	CHECK(parse("00000000/00000001") == 1);

	CHECK(parse("") == BAD);
	CHECK(parse("1") == BAD);
	CHECK(parse("1/") == BAD);
	CHECK(parse("/1") == BAD);
	CHECK(parse("/") == BAD);
	CHECK(parse("G/1") == BAD);
	CHECK(parse("1/G") == BAD);
	CHECK(parse("1/2/3") == BAD);
	CHECK(parse("100000000/0") == BAD);
	CHECK(parse("0/100000000") == BAD);
	CHECK(parse("000000001/0") == BAD);	/* more than 8 digits */
	CHECK(parse(" 1/2") == BAD);
	CHECK(parse("1/ 2") == BAD);
	CHECK(parse("1 /2") == BAD);
	CHECK(parse("1/2 ") == BAD);
	CHECK(parse("-1/2") == BAD);
	CHECK(parse("+1/2") == BAD);
	CHECK(parse("1/-2") == BAD);
	CHECK(parse("1/+2") == BAD);
	CHECK(parse("1.5/2") == BAD);
	/* PostgreSQL's pg_lsn_in takes hex digits only, no 0x prefix */
	CHECK(parse("0x1/2") == BAD);
	CHECK(parse("1/0x2") == BAD);

	/* LSN_FMT and lsn_parse agree */
	snprintf(txt, sizeof(txt), LSN_FMT, LSN_ARGS(UINT64_C(0x16B374D848)));
	CHECK_STR(txt, "16/B374D848");
	CHECK(parse(txt) == UINT64_C(0x16B374D848));
	snprintf(txt, sizeof(txt), LSN_FMT, LSN_ARGS(UINT64_MAX));
	CHECK_STR(txt, "FFFFFFFF/FFFFFFFF");
}

/* Write text to path as a whole file. */
static void
write_file(const char *p, const char *text)
{
	FILE	   *f = fopen(p, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* Names in dir other than . and .., joined with spaces, sorted by readdir. */
static void
list_dir(char *outs, size_t outlen)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;

	outs[0] = '\0';
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (outs[0])
			strncat(outs, " ", outlen - strlen(outs) - 1);
		strncat(outs, e->d_name, outlen - strlen(outs) - 1);
	}
	closedir(d);
}

static void
test_roundtrip(void)
{
	struct offset o;
	struct offset in;
	char		err[512];
	char		names[256];
	struct stat st;

	memset(&o, 0, sizeof(o));
	strcpy(o.systemid, "7301234567890123456");
	strcpy(o.dbname, "shop");
	strcpy(o.slot, "streamkap_pgoutput_slot");
	o.lsn = UINT64_C(0x16B374D848);
	strcpy(o.sink_path, "/var/lib/walcap/out=1.jsonl");
	o.sink_size = UINT64_C(12345678901234);

	err[0] = '\0';
	CHECK_INT(offset_save(path, &o, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	memset(&in, 0x55, sizeof(in));
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
	CHECK_STR(in.systemid, "7301234567890123456");
	CHECK_STR(in.dbname, "shop");
	CHECK_STR(in.slot, "streamkap_pgoutput_slot");
	CHECK(in.lsn == UINT64_C(0x16B374D848));
	CHECK_STR(in.sink_path, "/var/lib/walcap/out=1.jsonl");
	CHECK(in.sink_size == UINT64_C(12345678901234));

	/* only the file itself is left: the temporary was renamed over it */
	list_dir(names, sizeof(names));
	CHECK_STR(names, "offsets");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);

	/* replacing it: the new contents win, the file stays alone */
	strcpy(o.dbname, "other");
	o.lsn = UINT64_MAX;
	o.sink_path[0] = '\0';		/* stdout sink: no size recorded */
	o.sink_size = 99;
	CHECK_INT(offset_save(path, &o, err, sizeof(err)), 0);
	memset(&in, 0x55, sizeof(in));
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
	CHECK_STR(in.dbname, "other");
	CHECK_STR(in.systemid, "7301234567890123456");
	CHECK(in.lsn == UINT64_MAX);
	CHECK_STR(in.sink_path, "");
	CHECK(in.sink_size == 0);
	list_dir(names, sizeof(names));
	CHECK_STR(names, "offsets");

	/* the lowest position round-trips as well */
	o.lsn = 0;
	CHECK_INT(offset_save(path, &o, err, sizeof(err)), 0);
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
	CHECK(in.lsn == 0);

	/* a stale temporary from a crash is overwritten, not left behind */
	{
		char		tmp[160];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		write_file(tmp, "garbage\n");
		o.lsn = 42;
		CHECK_INT(offset_save(path, &o, err, sizeof(err)), 0);
		CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
		CHECK(in.lsn == 42);
		list_dir(names, sizeof(names));
		CHECK_STR(names, "offsets");
	}

	/* a directory that does not exist: an error naming the file */
	{
		char		bad[160];

		snprintf(bad, sizeof(bad), "%s/nodir/offsets", dir);
		err[0] = '\0';
		CHECK_INT(offset_save(bad, &o, err, sizeof(err)), -1);
		CHECK(strstr(err, "nodir/offsets.tmp") != NULL);
	}
}

static void
test_missing_and_corrupt(void)
{
	struct offset in;
	char		err[512];
	char		want[256];

	unlink(path);
	memset(&in, 0x55, sizeof(in));
	err[0] = '\0';
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(in.lsn == 0);
	CHECK_STR(in.dbname, "");

	/* a bad LSN on line 3: the message names the file and the line */
	write_file(path, "# comment\nsystem=1\nlsn=zz\n");
	err[0] = '\0';
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3", path);
	CHECK(strstr(err, want) != NULL);

	/* a line without '=' */
	write_file(path, "lsn=0/10\n\njunk\n");
	err[0] = '\0';
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3", path);
	CHECK(strstr(err, want) != NULL);

	/* a value too long for its field */
	{
		char		text[400];

		strcpy(text, "lsn=0/1\ndatabase=");
		memset(text + strlen(text), 'd', 200);
		text[17 + 200] = '\0';
		strcat(text, "\n");
		write_file(path, text);
		err[0] = '\0';
		CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:2", path);
		CHECK(strstr(err, want) != NULL);
	}

	/* a size that is not a number */
	write_file(path, "lsn=0/1\nsink.file.path=/x\nsink.file.size=12k\n");
	err[0] = '\0';
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3", path);
	CHECK(strstr(err, want) != NULL);
	write_file(path, "lsn=0/1\nsink.file.size=-1\n");
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);

	/* no lsn line at all */
	write_file(path, "system=1\ndatabase=shop\n");
	err[0] = '\0';
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "no lsn") != NULL);

	/* an empty file has no lsn either */
	write_file(path, "");
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), -1);

	/* unknown keys are ignored, known ones still read */
	write_file(path, "# walcap offset file\nfuture.key=whatever\nlsn=A/B\n"
			   "slot=s1\nanother=1=2\n");
	err[0] = '\0';
	memset(&in, 0x55, sizeof(in));
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
	CHECK_STR(err, "");
	CHECK(in.lsn == UINT64_C(0xA0000000B));
	CHECK_STR(in.slot, "s1");
	CHECK_STR(in.systemid, "");
	CHECK(in.sink_size == 0);

	/* the last line need not end with a newline */
	write_file(path, "lsn=1/2");
	CHECK_INT(offset_load(path, &in, err, sizeof(err)), 1);
	CHECK(in.lsn == UINT64_C(0x100000002));

	/* a path that is a directory cannot be read */
	err[0] = '\0';
	CHECK_INT(offset_load(dir, &in, err, sizeof(err)), -1);
	CHECK(strstr(err, dir) != NULL);
	unlink(path);
}

/* offset_record_parse(text): its error, or "" */
static const char *
record_err(const char *text, struct offset *o)
{
	static char err[512];

	err[0] = '\0';
	if (offset_record_parse(text, o, err, sizeof(err)) == 0)
		CHECK_STR(err, "");
	return err;
}

static void
test_record(void)
{
	struct offset o;
	struct offset in;
	struct buf	b;

	buf_init(&b, 0);
	offset_record_key(&b, "inventory-connector", "db\"1");
	CHECK_STR(b.data, "[\"inventory-connector\",{\"server\":\"db\\\"1\"}]");

	memset(&o, 0, sizeof(o));
	strcpy(o.systemid, "7301234567890123456");
	strcpy(o.dbname, "shop");
	strcpy(o.slot, "streamkap_pgoutput_slot");
	o.lsn = UINT64_C(0x16B374D848);
	buf_reset(&b);
	offset_record_value(&b, &o);
	CHECK_STR(b.data, "{\"lsn_proc\":97500059720,\"lsn_commit\":97500059720,\"lsn\":97500059720,"
			  "\"walcap_system\":\"7301234567890123456\",\"walcap_database\":\"shop\","
			  "\"walcap_slot\":\"streamkap_pgoutput_slot\"}");
	memset(&in, 0x55, sizeof(in));
	CHECK_STR(record_err(b.data, &in), "");
	CHECK(in.lsn == o.lsn);
	CHECK_STR(in.systemid, o.systemid);
	CHECK_STR(in.dbname, "shop");
	CHECK_STR(in.slot, "streamkap_pgoutput_slot");
	CHECK_STR(in.sink_path, "");
	CHECK(in.sink_size == 0);
	CHECK(in.snapshot == NULL);

	/* a file sink's length and a snapshot's progress (JSON in a string) */
	strcpy(o.sink_path, "/data/out \"1\".jsonl");
	o.sink_size = UINT64_C(12345678901234);
	o.snapshot = "{\"v\":1,\"tables\":[\"public.t\"]}";
	o.lsn = UINT64_MAX;
	buf_reset(&b);
	offset_record_value(&b, &o);
	CHECK_STR(b.data, "{\"lsn_proc\":18446744073709551615,\"lsn_commit\":18446744073709551615,"
			  "\"lsn\":18446744073709551615,\"walcap_system\":\"7301234567890123456\","
			  "\"walcap_database\":\"shop\",\"walcap_slot\":\"streamkap_pgoutput_slot\","
			  "\"walcap_sink_path\":\"/data/out \\\"1\\\".jsonl\",\"walcap_sink_size\":12345678901234,"
			  "\"walcap_snapshot\":\"{\\\"v\\\":1,\\\"tables\\\":[\\\"public.t\\\"]}\"}");
	CHECK_STR(record_err(b.data, &in), "");
	CHECK(in.lsn == UINT64_MAX);
	CHECK_STR(in.sink_path, "/data/out \"1\".jsonl");
	CHECK(in.sink_size == UINT64_C(12345678901234));
	CHECK(in.snapshot != NULL && strcmp(in.snapshot, o.snapshot) == 0);
	offset_clear(&in);
	CHECK(in.snapshot == NULL);

	/* what Debezium writes: its fields read, the others ignored, walcap's absent */
	CHECK_STR(record_err("{\"transaction_id\":null,\"lsn_proc\":63619219552,\"lsn_commit\":63619219552,"
						 "\"lsn\":63619219552,\"txId\":1650,\"ts_usec\":1666268220374889}", &in), "");
	CHECK(in.lsn == UINT64_C(63619219552));
	CHECK(in.txid == 1650);
	CHECK(in.ts_usec == INT64_C(1666268220374889));
	CHECK_STR(in.systemid, "");
	CHECK_STR(in.slot, "");
	/* the transaction that ends at lsn, as Debezium records it */
	memset(&o, 0, sizeof(o));
	strcpy(o.systemid, "7301234567890123456");
	o.lsn = 4096;
	o.txid = 1650;
	o.ts_usec = INT64_C(1666268220374889);
	buf_reset(&b);
	offset_record_value(&b, &o);
	CHECK_STR(b.data, "{\"lsn_proc\":4096,\"lsn_commit\":4096,\"lsn\":4096,\"txId\":1650,"
			  "\"ts_usec\":1666268220374889,\"walcap_system\":\"7301234567890123456\","
			  "\"walcap_database\":\"\",\"walcap_slot\":\"\"}");
	CHECK_STR(record_err(b.data, &in), "");
	CHECK(in.txid == 1650 && in.ts_usec == INT64_C(1666268220374889));
	/* lsn_commit stands in for a missing lsn */
	CHECK_STR(record_err("{\"lsn_commit\":4096}", &in), "");
	CHECK(in.lsn == 4096);

	/* bad values: the field and what is wrong with it */
	CHECK_STR(record_err("[1]", &in), "the offset record is not valid: it is not a JSON object");
	CHECK_STR(record_err("{\"txId\":1}", &in), "the offset record is not valid: it has neither lsn nor lsn_commit");
	CHECK_STR(record_err("{\"lsn\":\"0/10\"}", &in), "the offset record is not valid: lsn is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":-1}", &in), "the offset record is not valid: lsn is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":1.5}", &in), "the offset record is not valid: lsn is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":99999999999999999999}", &in), "the offset record is not valid: lsn is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":1,\"txId\":-3}", &in), "the offset record is not valid: txId is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":1,\"ts_usec\":9223372036854775808}", &in),
			  "the offset record is not valid: ts_usec is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":1,\"walcap_slot\":7}", &in),
			  "the offset record is not valid: walcap_slot is not a string of at most 127 bytes");
	CHECK_STR(record_err("{\"lsn\":1,\"walcap_sink_size\":\"12\"}", &in),
			  "the offset record is not valid: walcap_sink_size is not a non-negative integer");
	CHECK_STR(record_err("{\"lsn\":1,\"walcap_snapshot\":{}}", &in),
			  "the offset record is not valid: walcap_snapshot is not a string");
	CHECK(strncmp(record_err("{\"lsn\":1", &in), "the offset record is not JSON: ", 31) == 0);
	CHECK(in.snapshot == NULL);
	buf_free(&b);
}

int
main(void)
{
	char		tmp[160];

	test_lsn();
	test_record();

	strcpy(dir, "/tmp/walcap-test-offset-XXXXXX");
	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/offsets", dir);
	test_roundtrip();
	test_missing_and_corrupt();

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	unlink(path);
	CHECK_INT(rmdir(dir), 0);
	return TEST_REPORT("test_lsn_offset");
}

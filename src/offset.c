/*
 * offset.c — the offset file; see offset.h.
 */
#include "offset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "lsn.h"

#define OFFSET_MAGIC "# walcap offset file, version 1: written by walcap, do not edit"

/* Copy the value into a fixed field; -1 if it does not fit. */
static int
set_field(char *dst, size_t dstlen, const char *v)
{
	size_t		n = strlen(v);

	if (n >= dstlen)
		return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
parse_u64(const char *v, uint64_t *out)
{
	char	   *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

int
offset_load(const char *path, struct offset *o, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	int			lineno = 0;
	int			have_lsn = 0;

	memset(o, 0, sizeof(*o));
	if (f == NULL)
	{
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "could not open offset file %s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0)
	{
		char	   *eq;
		char	   *v;
		int			bad = 0;
		size_t		n = strlen(line);

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			bad = 1;
		else
		{
			*eq = '\0';
			v = eq + 1;
			if (strcmp(line, "system") == 0)
				bad = set_field(o->systemid, sizeof(o->systemid), v);
			else if (strcmp(line, "database") == 0)
				bad = set_field(o->dbname, sizeof(o->dbname), v);
			else if (strcmp(line, "slot") == 0)
				bad = set_field(o->slot, sizeof(o->slot), v);
			else if (strcmp(line, "lsn") == 0)
				bad = lsn_parse(v, &o->lsn), have_lsn = 1;
			else if (strcmp(line, "sink.file.path") == 0)
				bad = set_field(o->sink_path, sizeof(o->sink_path), v);
			else if (strcmp(line, "sink.file.size") == 0)
				bad = parse_u64(v, &o->sink_size);
			else if (strcmp(line, "snapshot") == 0)
			{
				free(o->snapshot);
				o->snapshot = strdup(v);
				bad = o->snapshot == NULL;
			}
			/* unknown keys are left for newer versions */
		}
		if (bad)
		{
			snprintf(err, errlen, "offset file %s:%d is not valid; move it away to start from the slot's position",
					 path, lineno);
			fclose(f);
			free(line);
			offset_clear(o);
			return -1;
		}
	}
	fclose(f);
	free(line);
	if (!have_lsn)
	{
		offset_clear(o);
		snprintf(err, errlen, "offset file %s has no lsn line; move it away to start from the slot's position",
				 path);
		return -1;
	}
	return 1;
}

int
offset_save(const char *path, const struct offset *o, char *err, size_t errlen)
{
	struct buf	body;
	int			rc;

	buf_init(&body, 0);
	buf_printf(&body, OFFSET_MAGIC "\nsystem=%s\ndatabase=%s\nslot=%s\nlsn=" LSN_FMT "\n",
			   o->systemid, o->dbname, o->slot, LSN_ARGS(o->lsn));
	if (o->sink_path[0])
		buf_printf(&body, "sink.file.path=%s\nsink.file.size=%llu\n",
				   o->sink_path, (unsigned long long) o->sink_size);
	if (o->snapshot && o->snapshot[0])
		buf_printf(&body, "snapshot=%s\n", o->snapshot);
	if (buf_failed(&body))
		rc = errbuf_fail(err, errlen, "out of memory");
	else
		rc = file_replace(path, body.data, body.len, 0600, err, errlen);
	buf_free(&body);
	return rc;
}

void
offset_clear(struct offset *o)
{
	free(o->snapshot);
	o->snapshot = NULL;
}

void
offset_record_key(struct buf *b, const char *name, const char *server)
{
	buf_putc(b, '[');
	json_cstring(b, name);
	buf_lit(b, ",{\"server\":");
	json_cstring(b, server);
	buf_lit(b, "}]");
}

void
offset_record_value(struct buf *b, const struct offset *o)
{
	buf_lit(b, "{\"lsn_proc\":");
	json_uint64(b, o->lsn);
	buf_lit(b, ",\"lsn_commit\":");
	json_uint64(b, o->lsn);
	buf_lit(b, ",\"lsn\":");
	json_uint64(b, o->lsn);
	if (o->txid != 0)
	{
		buf_lit(b, ",\"txId\":");
		json_uint64(b, o->txid);
		buf_lit(b, ",\"ts_usec\":");
		json_uint64(b, (uint64_t) o->ts_usec);
	}
	buf_lit(b, ",\"walcap_system\":");
	json_cstring(b, o->systemid);
	buf_lit(b, ",\"walcap_database\":");
	json_cstring(b, o->dbname);
	buf_lit(b, ",\"walcap_slot\":");
	json_cstring(b, o->slot);
	if (o->sink_path[0])
	{
		buf_lit(b, ",\"walcap_sink_path\":");
		json_cstring(b, o->sink_path);
		buf_lit(b, ",\"walcap_sink_size\":");
		json_uint64(b, o->sink_size);
	}
	if (o->snapshot && o->snapshot[0])
	{
		buf_lit(b, ",\"walcap_snapshot\":");
		json_cstring(b, o->snapshot);
	}
	buf_putc(b, '}');
}

/* An optional string member into a fixed field: 0, or -1 if not a string or too long. */
static int
record_string(const struct jsonread_value *root, const char *key, char *dst, size_t dstlen)
{
	const struct jsonread_value *v = jsonread_get(root, key);

	if (v == NULL || v->type == JSONREAD_NULL)
		return 0;
	if (v->type != JSONREAD_STRING)
		return -1;
	return set_field(dst, dstlen, v->str);
}

/* An optional non-negative integer member: 1 read, 0 absent, -1 not one. */
static int
record_u64(const struct jsonread_value *root, const char *key, uint64_t *out)
{
	const struct jsonread_value *v = jsonread_get(root, key);

	if (v == NULL || v->type == JSONREAD_NULL)
		return 0;
	if (v->type != JSONREAD_NUMBER || parse_u64(v->str, out) != 0)
		return -1;
	return 1;
}

int
offset_record_parse(const char *value, struct offset *o, char *err, size_t errlen)
{
	struct jsonread_doc doc;
	const struct jsonread_value *root;
	const struct jsonread_value *snap;
	const char *bad = NULL;
	char		jerr[256];
	int			have;
	uint64_t	ts = 0;

	memset(o, 0, sizeof(*o));
	if (jsonread_parse(&doc, value, jerr, sizeof(jerr)) != 0)
	{
		snprintf(err, errlen, "the offset record is not JSON: %s", jerr);
		return -1;
	}
	root = jsonread_root(&doc);
	if (root->type != JSONREAD_OBJECT)
		bad = "it is not a JSON object";
	else if ((have = record_u64(root, "lsn", &o->lsn)) < 0)
		bad = "lsn is not a non-negative integer";
	else if (have == 0 && record_u64(root, "lsn_commit", &o->lsn) != 1)
		bad = "it has neither lsn nor lsn_commit";
	else if (record_u64(root, "txId", &o->txid) < 0)
		bad = "txId is not a non-negative integer";
	else if (record_u64(root, "ts_usec", &ts) < 0 || ts > INT64_MAX)
		bad = "ts_usec is not a non-negative integer";
	else if (record_string(root, "walcap_system", o->systemid, sizeof(o->systemid)) != 0)
		bad = "walcap_system is not a string of at most 31 bytes";
	else if (record_string(root, "walcap_database", o->dbname, sizeof(o->dbname)) != 0)
		bad = "walcap_database is not a string of at most 127 bytes";
	else if (record_string(root, "walcap_slot", o->slot, sizeof(o->slot)) != 0)
		bad = "walcap_slot is not a string of at most 127 bytes";
	else if (record_string(root, "walcap_sink_path", o->sink_path, sizeof(o->sink_path)) != 0)
		bad = "walcap_sink_path is not a string of at most 511 bytes";
	else if (record_u64(root, "walcap_sink_size", &o->sink_size) < 0)
		bad = "walcap_sink_size is not a non-negative integer";
	else if ((snap = jsonread_get(root, "walcap_snapshot")) != NULL && snap->type != JSONREAD_NULL)
	{
		if (snap->type != JSONREAD_STRING)
			bad = "walcap_snapshot is not a string";
		else if (snap->str[0] && (o->snapshot = strdup(snap->str)) == NULL)
			bad = "out of memory";
	}
	jsonread_free(&doc);
	o->ts_usec = (int64_t) ts;
	if (bad)
	{
		offset_clear(o);
		snprintf(err, errlen, "the offset record is not valid: %s", bad);
		return -1;
	}
	return 0;
}

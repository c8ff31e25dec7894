/*
 * metrics_parse.c — a child's report line back into a struct
 * metrics_snap (metrics_parse_line; see metrics.h), with jansson.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "metrics_int.h"

#define fields metrics_fields
#define NFIELDS metrics_nfields

/* An integer member of a JSON object: 1 set, 0 absent, -1 not an integer. */
static int
get_int(json_t *o, const char *key, int64_t *v)
{
	json_t	   *j = json_object_get(o, key);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j))
		return -1;
	*v = (int64_t) json_integer_value(j);
	return 1;
}

static int
parse_tables(json_t *arr, struct metrics_snap *s, char *err, size_t errlen)
{
	size_t		i;
	json_t	   *e;

	if (!json_is_array(arr))
	{
		snprintf(err, errlen, "\"tables\" is not an array");
		return -1;
	}
	json_array_foreach(arr, i, e)
	{
		json_t	   *name = json_object_get(e, "name");
		struct metrics_table *t;

		if (!json_is_object(e) || !json_is_string(name) ||
			json_string_length(name) >= METRICS_TABLE_NAME)
		{
			snprintf(err, errlen, "\"tables\"[%zu] has no name of at most %d bytes", i,
					 METRICS_TABLE_NAME - 1);
			return -1;
		}
		if (s->ntables >= METRICS_MAX_TABLES)
			continue;
		t = &s->tables[s->ntables++];
		memcpy(t->name, json_string_value(name), json_string_length(name) + 1);
		t->total_rows = -1;
		if (get_int(e, "total_rows", &t->total_rows) < 0 ||
			get_int(e, "rows_scanned", &t->rows_scanned) < 0)
		{
			snprintf(err, errlen, "\"tables\"[%zu]: a row count is not an integer", i);
			return -1;
		}
	}
	return 0;
}

int
metrics_parse_line(const char *line, size_t len, struct metrics_snap *s,
				   char *err, size_t errlen)
{
	json_error_t jerr;
	json_t	   *root;
	json_t	   *j;
	char	   *base = (char *) s;
	int			rc = -1;

	metrics_init(s);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(root))
	{
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	for (int f = 0; f < NFIELDS; f++)
	{
		if (fields[f].key == NULL || (j = json_object_get(root, fields[f].key)) == NULL)
			continue;
		if (fields[f].kind == MK_DBL ? !json_is_number(j) : !json_is_integer(j))
		{
			snprintf(err, errlen, "\"%s\" is not a%s number", fields[f].key,
					 fields[f].kind == MK_DBL ? "" : "n integer");
			goto out;
		}
		switch (fields[f].kind)
		{
			case MK_INT:
				*(int *) (base + fields[f].off) = (int) json_integer_value(j);
				break;
			case MK_I64:
				*(int64_t *) (base + fields[f].off) = (int64_t) json_integer_value(j);
				break;
			case MK_U64:
				/* jansson's integers are signed: LSNs past 2^63 do not occur */
				*(uint64_t *) (base + fields[f].off) = (uint64_t) json_integer_value(j);
				break;
			case MK_DBL:
				*(double *) (base + fields[f].off) = json_number_value(j);
				break;
			default:
				break;
		}
	}
	if ((j = json_object_get(root, "tables")) != NULL && parse_tables(j, s, err, errlen) != 0)
		goto out;
	if ((j = json_object_get(root, "last_error")) != NULL)
	{
		if (!json_is_string(j))
		{
			snprintf(err, errlen, "\"last_error\" is not a string");
			goto out;
		}
		snprintf(s->last_error, sizeof(s->last_error), "%s", json_string_value(j));
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}


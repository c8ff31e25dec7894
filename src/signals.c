/*
 * signals.c — signal-table rows as commands; see signals.h.
 */
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonread.h"

/*
 * At most 60 bytes of s for a message, control characters as '?', so a
 * signal row cannot forge log lines.
 */
static const char *
shown(const char *s, char *out)
{
	size_t		i;

	for (i = 0; s[i] && i < 60; i++)
		out[i] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

int
signal_split_name(const char *name, char **schema, char **table,
				  char *err, size_t errlen)
{
	char	   *parts[2] = {NULL, NULL};
	int			np = 0;
	const char *p = name;
	char		sh[64];

	*schema = *table = NULL;
	for (;;)
	{
		size_t		len = strlen(p);
		char	   *out = malloc(len + 1);
		char	   *o = out;

		if (out == NULL)
			goto oom;
		if (*p == '"')
		{
			for (p++;; p++)
			{
				if (*p == '\0')
				{
					free(out);
					snprintf(err, errlen, "data collection \"%s\": unterminated quote", shown(name, sh));
					goto bad;
				}
				if (*p == '"')
				{
					if (p[1] != '"')
						break;
					p++;
				}
				*o++ = *p;
			}
			p++;
			if (*p != '.' && *p != '\0')
			{
				free(out);
				snprintf(err, errlen, "data collection \"%s\": text after a closing quote", shown(name, sh));
				goto bad;
			}
		}
		else
			while (*p && (*p != '.' || np == 1))
				*o++ = *p++;
		*o = '\0';
		if (out[0] == '\0')
		{
			free(out);
			snprintf(err, errlen, "data collection \"%s\": an empty name", shown(name, sh));
			goto bad;
		}
		parts[np++] = out;
		if (*p == '\0')
			break;
		if (np == 2)
		{
			snprintf(err, errlen, "data collection \"%s\": more than schema.table", shown(name, sh));
			goto bad;
		}
		p++;					/* the dot */
	}
	if (np == 1)
	{
		parts[1] = parts[0];
		if ((parts[0] = strdup("public")) == NULL)
			goto oom;
	}
	*schema = parts[0];
	*table = parts[1];
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
bad:
	free(parts[0]);
	free(parts[1]);
	return -1;
}

void
signal_free(struct signal *s)
{
	for (int i = 0; i < s->ncollections; i++)
	{
		free(s->collections[i].schema);
		free(s->collections[i].table);
		free(s->collections[i].filter);
	}
	free(s->collections);
	free(s->surrogate_key);
	free(s->message);
	memset(s, 0, sizeof(*s));
}

static const struct
{
	const char *name;
	enum signal_kind kind;
}			kinds[] = {
	{"execute-snapshot", SIGNAL_EXECUTE_SNAPSHOT},
	{"stop-snapshot", SIGNAL_STOP_SNAPSHOT},
	{"pause-snapshot", SIGNAL_PAUSE_SNAPSHOT},
	{"resume-snapshot", SIGNAL_RESUME_SNAPSHOT},
	{"log", SIGNAL_LOG},
	{"snapshot-window-open", SIGNAL_WINDOW_OPEN},
	{"snapshot-window-close", SIGNAL_WINDOW_CLOSE},
};

static int
snapshot_type(const struct jsonread_value *root, const char *what, struct signal *out,
			  char *err, size_t errlen)
{
	const struct jsonread_value *v = jsonread_get(root, "type");

	if (v == NULL || v->type == JSONREAD_NULL)
		return 0;
	if (v->type != JSONREAD_STRING)
	{
		snprintf(err, errlen, "%s: \"type\" must be a string", what);
		return -1;
	}
	if (strcasecmp(v->str, "incremental") == 0)
		out->snapshot_type = SIGNAL_INCREMENTAL;
	else if (strcasecmp(v->str, "blocking") == 0)
		out->snapshot_type = SIGNAL_BLOCKING;
	else
	{
		char		sh[64];

		snprintf(err, errlen, "%s: \"type\" is \"%.40s\", not \"incremental\" or \"blocking\"",
				 what, shown(v->str, sh));
		return -1;
	}
	return 0;
}

/* "data-collections" into out->collections, duplicates collapsed. */
static int
collections(const struct jsonread_value *root, const char *what, int required,
			struct signal *out, char *err, size_t errlen)
{
	const struct jsonread_value *v = jsonread_get(root, "data-collections");
	size_t		n = jsonread_array_len(v);

	if (v == NULL || v->type == JSONREAD_NULL || (v->type == JSONREAD_ARRAY && n == 0))
	{
		if (!required)
			return 0;
		snprintf(err, errlen, "%s: \"data-collections\" is missing or empty", what);
		return -1;
	}
	if (v->type != JSONREAD_ARRAY)
	{
		snprintf(err, errlen, "%s: \"data-collections\" must be an array of names", what);
		return -1;
	}
	if ((out->collections = calloc(n, sizeof(*out->collections))) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
	{
		const char *name = jsonread_string(jsonread_array_get(v, i));
		struct signal_collection *c = &out->collections[out->ncollections];
		int			dup = 0;

		if (name == NULL || jsonread_array_get(v, i)->type != JSONREAD_STRING)
		{
			snprintf(err, errlen, "%s: \"data-collections\" must be an array of names", what);
			return -1;
		}
		if (signal_split_name(name, &c->schema, &c->table, err, errlen) != 0)
			return -1;
		for (int j = 0; j < out->ncollections && !dup; j++)
			dup = strcmp(out->collections[j].schema, c->schema) == 0 &&
				strcmp(out->collections[j].table, c->table) == 0;
		if (dup)
		{
			free(c->schema);
			free(c->table);
			c->schema = c->table = NULL;
		}
		else
			out->ncollections++;
	}
	return 0;
}

static int
set_filter(struct signal *out, const char *schema, const char *table, const char *filter,
		   char *err, size_t errlen)
{
	for (int i = 0; i < out->ncollections; i++)
	{
		struct signal_collection *c = &out->collections[i];

		if (schema && (strcmp(c->schema, schema) != 0 || strcmp(c->table, table) != 0))
			continue;
		free(c->filter);
		if ((c->filter = strdup(filter)) == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (schema)
			return 0;
	}
	if (schema)
	{
		char		s1[64], s2[64];

		snprintf(err, errlen,
				 "execute-snapshot: an additional condition names \"%.40s.%.40s\", which is not in \"data-collections\"",
				 shown(schema, s1), shown(table, s2));
		return -1;
	}
	return 0;
}

static int
conditions(const struct jsonread_value *root, struct signal *out, char *err, size_t errlen)
{
	const struct jsonread_value *v = jsonread_get(root, "additional-condition");
	const struct jsonread_value *list = jsonread_get(root, "additional-conditions");

	if (v && v->type != JSONREAD_NULL)
	{
		if (v->type != JSONREAD_STRING)
		{
			snprintf(err, errlen, "execute-snapshot: \"additional-condition\" must be a string");
			return -1;
		}
		if (v->str[0] && set_filter(out, NULL, NULL, v->str, err, errlen) != 0)
			return -1;
	}
	if (list == NULL || list->type == JSONREAD_NULL)
		return 0;
	if (list->type != JSONREAD_ARRAY)
	{
		snprintf(err, errlen, "execute-snapshot: \"additional-conditions\" must be an array");
		return -1;
	}
	for (size_t i = 0; i < list->n; i++)
	{
		const struct jsonread_value *c = &list->kids[i];
		const struct jsonread_value *dc = jsonread_get(c, "data-collection");
		const struct jsonread_value *f = jsonread_get(c, "filter");
		char	   *schema, *table;
		int			rc;

		if (dc == NULL || dc->type != JSONREAD_STRING || f == NULL || f->type != JSONREAD_STRING)
		{
			snprintf(err, errlen,
					 "execute-snapshot: each additional condition needs string \"data-collection\" and \"filter\"");
			return -1;
		}
		if (signal_split_name(dc->str, &schema, &table, err, errlen) != 0)
			return -1;
		rc = f->str[0] ? set_filter(out, schema, table, f->str, err, errlen) : 0;
		free(schema);
		free(table);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
signal_parse(const char *type, const char *data, struct signal *out,
			 char *err, size_t errlen)
{
	struct jsonread_doc doc = {NULL};
	const struct jsonread_value *root = NULL, *v;
	size_t		k;
	int			rc = -1;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(type, kinds[k].name) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
	{
		char		sh[64];

		snprintf(err, errlen, "unknown signal type \"%s\"", shown(type, sh));
		return -1;
	}
	out->kind = kinds[k].kind;
	if (out->kind == SIGNAL_PAUSE_SNAPSHOT || out->kind == SIGNAL_RESUME_SNAPSHOT ||
		out->kind == SIGNAL_WINDOW_OPEN || out->kind == SIGNAL_WINDOW_CLOSE)
		return 0;
	if (data != NULL)
	{
		char		jerr[200];

		if (jsonread_parse(&doc, data, jerr, sizeof(jerr)) != 0)
		{
			snprintf(err, errlen, "%s: data is %s", type, jerr);
			return -1;
		}
		root = jsonread_root(&doc);
		if (root->type != JSONREAD_OBJECT)
		{
			snprintf(err, errlen, "%s: data must be a JSON object", type);
			goto out;
		}
	}
	switch (out->kind)
	{
		case SIGNAL_LOG:
			v = jsonread_get(root, "message");
			if (v == NULL || v->type != JSONREAD_STRING)
			{
				snprintf(err, errlen, "log: \"message\" is missing or not a string");
				goto out;
			}
			if ((out->message = strdup(v->str)) == NULL)
			{
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			break;
		case SIGNAL_EXECUTE_SNAPSHOT:
			if (root == NULL)
			{
				snprintf(err, errlen, "execute-snapshot: data is missing");
				goto out;
			}
			if (snapshot_type(root, type, out, err, errlen) != 0 ||
				collections(root, type, 1, out, err, errlen) != 0 ||
				conditions(root, out, err, errlen) != 0)
				goto out;
			v = jsonread_get(root, "surrogate-key");
			if (v && v->type != JSONREAD_NULL)
			{
				if (v->type != JSONREAD_STRING || v->str[0] == '\0')
				{
					snprintf(err, errlen, "execute-snapshot: \"surrogate-key\" must be a column name");
					goto out;
				}
				if ((out->surrogate_key = strdup(v->str)) == NULL)
				{
					snprintf(err, errlen, "out of memory");
					goto out;
				}
			}
			break;
		case SIGNAL_STOP_SNAPSHOT:
			if (root && (snapshot_type(root, type, out, err, errlen) != 0 ||
						 collections(root, type, 0, out, err, errlen) != 0))
				goto out;
			break;
		default:
			break;
	}
	rc = 0;
out:
	jsonread_free(&doc);
	if (rc != 0)
		signal_free(out);
	return rc;
}

/*
 * transform.c — the transforms key and its transforms.* properties; see
 * transform.h.
 */
#include "transform.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static int
failf(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
transforms_set(struct transforms *t, const char *key, const char *value,
			   char *err, size_t errlen)
{
	char	  **nk,
			  **nv;
	char	   *v;

	if (strchr(key + strlen("transforms."), '.') == NULL)
		return failf(err, errlen, "%s: a transform's property is transforms.<alias>.<property>", key);
	if ((v = strdup(value)) == NULL)
		return failf(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < t->npairs; i++)
		if (strcmp(t->keys[i], key) == 0)
		{
			free(t->values[i]);
			t->values[i] = v;
			return 0;
		}
	nk = realloc(t->keys, sizeof(char *) * (size_t) (t->npairs + 1));
	if (nk)
		t->keys = nk;
	nv = nk ? realloc(t->values, sizeof(char *) * (size_t) (t->npairs + 1)) : NULL;
	if (nv)
		t->values = nv;
	if (nk == NULL || nv == NULL || (nk[t->npairs] = strdup(key)) == NULL)
	{
		free(v);
		return failf(err, errlen, "%s: out of memory", key);
	}
	nv[t->npairs++] = v;
	return 0;
}

/* The value of transforms.<alias>.<prop>, or NULL. */
static const char *
prop(const struct transforms *t, const char *alias, size_t alen, const char *name)
{
	size_t		nlen = strlen(name);

	for (int i = 0; i < t->npairs; i++)
	{
		const char *k = t->keys[i] + strlen("transforms.");

		if (strncmp(k, alias, alen) == 0 && k[alen] == '.' && strcmp(k + alen + 1, name) == 0 &&
			strlen(k + alen + 1) == nlen)
			return t->values[i];
	}
	return NULL;
}

/* A boolean property: 0/1, or -1 with a message. */
static int
boolean(const char *v, int def, const char *alias, size_t alen, const char *name,
		char *err, size_t errlen)
{
	if (v == NULL)
		return def;
	if (strcmp(v, "true") == 0)
		return 1;
	if (strcmp(v, "false") == 0)
		return 0;
	return failf(err, errlen, "transforms.%.*s.%s: \"%s\" is not one of false, true",
				 (int) alen, alias, name, v);
}

/* Every field add.fields can name, where it is read from. */
static const struct
{
	enum unwrap_from from;
	const char *name;
	enum unwrap_fid id;
}			known_fields[] = {
	{UNWRAP_FROM_TOP, "op", UF_OP}, {UNWRAP_FROM_TOP, "ts_ms", UF_TS_MS},
	{UNWRAP_FROM_SOURCE, "version", UF_VERSION}, {UNWRAP_FROM_SOURCE, "connector", UF_CONNECTOR},
	{UNWRAP_FROM_SOURCE, "name", UF_NAME}, {UNWRAP_FROM_SOURCE, "ts_ms", UF_SOURCE_TS_MS},
	{UNWRAP_FROM_SOURCE, "snapshot", UF_SNAPSHOT}, {UNWRAP_FROM_SOURCE, "db", UF_DB},
	{UNWRAP_FROM_SOURCE, "sequence", UF_SEQUENCE}, {UNWRAP_FROM_SOURCE, "schema", UF_SCHEMA},
	{UNWRAP_FROM_SOURCE, "table", UF_TABLE}, {UNWRAP_FROM_SOURCE, "txId", UF_TXID},
	{UNWRAP_FROM_SOURCE, "lsn", UF_LSN}, {UNWRAP_FROM_SOURCE, "xmin", UF_XMIN},
	{UNWRAP_FROM_TRANSACTION, "id", UF_TXN_ID},
	{UNWRAP_FROM_TRANSACTION, "total_order", UF_TOTAL_ORDER},
	{UNWRAP_FROM_TRANSACTION, "data_collection_order", UF_COLLECTION_ORDER},
};

/* The entry of field in struct from, or -1. */
static int
known_field(enum unwrap_from from, const char *field)
{
	for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
		if (known_fields[i].from == from && strcmp(known_fields[i].name, field) == 0)
			return (int) i;
	return -1;
}

/* add.fields: "field", "struct.field" or either with ":newname". */
static int
add_fields(struct transforms *t, const char *list, const char *prefix,
		   const char *alias, size_t alen, char *err, size_t errlen)
{
	const char *p = list,
			   *item;
	size_t		n;

	while (filter_list_next(&p, &item, &n))
	{
		char		name[128];
		char	   *colon,
				   *dot,
				   *field = name;
		enum unwrap_from from;
		struct unwrap_field *grown;
		int			k;

		if (n >= sizeof(name))
			return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\" is too long", (int) alen, alias, (int) n, item);
		memcpy(name, item, n);
		name[n] = '\0';
		if ((colon = strchr(name, ':')) != NULL)
			*colon = '\0';
		if ((dot = strchr(name, '.')) != NULL)
		{
			*dot = '\0';
			field = dot + 1;
			if (strcmp(name, "source") == 0)
				from = UNWRAP_FROM_SOURCE;
			else if (strcmp(name, "transaction") == 0)
				from = UNWRAP_FROM_TRANSACTION;
			else
				return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\": only fields of source and transaction can be named with a dot",
							 (int) alen, alias, (int) n, item);
		}
		/* Debezium's determineStruct for an unqualified name */
		else if (known_field(UNWRAP_FROM_TOP, name) >= 0)
			from = UNWRAP_FROM_TOP;
		else if (known_field(UNWRAP_FROM_TRANSACTION, name) >= 0)
			from = UNWRAP_FROM_TRANSACTION;
		else
			from = UNWRAP_FROM_SOURCE;
		if ((k = known_field(from, field)) < 0)
			return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\" is not a field of walcap's events",
						 (int) alen, alias, (int) n, item);
		if ((grown = realloc(t->fields, sizeof(*grown) * (size_t) (t->nfields + 1))) == NULL)
			return failf(err, errlen, "out of memory");
		t->fields = grown;
		grown = &t->fields[t->nfields];
		grown->from = from;
		grown->id = known_fields[k].id;
		if ((grown->out = malloc(strlen(prefix) + sizeof(name) + 2)) == NULL)
			return failf(err, errlen, "out of memory");
		t->nfields++;
		if (colon)
			sprintf(grown->out, "%s%s", prefix, colon + 1);
		else if (dot)
			sprintf(grown->out, "%s%s_%s", prefix, name, field);
		else
			sprintf(grown->out, "%s%s", prefix, field);
	}
	return 0;
}

static int
check_props(const struct transforms *t, const char *alias, size_t alen,
			const char *const *known, const char *type, char *err, size_t errlen)
{
	for (int i = 0; i < t->npairs; i++)
	{
		const char *k = t->keys[i] + strlen("transforms.");
		int			ok = 0;

		if (strncmp(k, alias, alen) != 0 || k[alen] != '.')
			continue;
		for (int j = 0; known[j]; j++)
			ok |= strcmp(k + alen + 1, known[j]) == 0;
		if (!ok)
			return failf(err, errlen, "%s: %s has no property \"%s\" that walcap knows",
						 t->keys[i], type, k + alen + 1);
	}
	return 0;
}

static int
setup_unwrap(struct transforms *t, const char *alias, size_t alen, char *err, size_t errlen)
{
	static const char *const known[] = {"type", "delete.handling.mode", "drop.tombstones",
	"delete.tombstone.handling.mode", "add.fields", "add.fields.prefix", NULL};
	const char *mode = prop(t, alias, alen, "delete.handling.mode");
	const char *newmode = prop(t, alias, alen, "delete.tombstone.handling.mode");
	const char *fields = prop(t, alias, alen, "add.fields");
	const char *prefix = prop(t, alias, alen, "add.fields.prefix");
	int			drop;

	if (t->unwrap)
		return failf(err, errlen, "transforms.%.*s: ExtractNewRecordState is configured twice", (int) alen, alias);
	if (check_props(t, alias, alen, known, "ExtractNewRecordState", err, errlen) != 0)
		return -1;
	t->unwrap = 1;
	if ((drop = boolean(prop(t, alias, alen, "drop.tombstones"), 1, alias, alen,
						"drop.tombstones", err, errlen)) < 0)
		return -1;
	t->keep_tombstones = !drop;
	if (mode == NULL || strcmp(mode, "drop") == 0)
		t->del = UNWRAP_DELETE_DROP;
	else if (strcmp(mode, "none") == 0)
		t->del = UNWRAP_DELETE_NULL;
	else if (strcmp(mode, "rewrite") == 0)
		t->del = UNWRAP_DELETE_REWRITE;
	else
		return failf(err, errlen, "transforms.%.*s.delete.handling.mode: \"%s\" is not one of drop, rewrite, none",
					 (int) alen, alias, mode);
	/* Debezium 2.5's replacement of the two keys above wins over them */
	if (newmode != NULL)
	{
		static const char *const modes[] = {"drop", "tombstone", "rewrite", "rewrite-with-tombstone",
		"delete-to-tombstone", NULL};
		static const enum unwrap_delete del[] = {UNWRAP_DELETE_DROP, UNWRAP_DELETE_NULL,
			UNWRAP_DELETE_REWRITE, UNWRAP_DELETE_REWRITE, UNWRAP_DELETE_DROP};
		static const int keep[] = {0, 0, 0, 1, 1};
		int			i;

		for (i = 0; modes[i] && strcmp(modes[i], newmode) != 0; i++)
			;
		if (modes[i] == NULL)
			return failf(err, errlen, "transforms.%.*s.delete.tombstone.handling.mode: \"%s\" is not one of drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone",
						 (int) alen, alias, newmode);
		t->del = del[i];
		t->keep_tombstones = keep[i];
	}
	t->rewrite = t->del == UNWRAP_DELETE_REWRITE;
	return fields ? add_fields(t, fields, prefix ? prefix : "__", alias, alen, err, errlen) : 0;
}

static int
setup_route(struct transforms *t, const char *alias, size_t alen, char *err, size_t errlen)
{
	static const char *const known[] = {"type", "regex", "replacement", NULL};
	const char *re = prop(t, alias, alen, "regex");
	const char *rep = prop(t, alias, alen, "replacement");
	char	   *anchored;
	int			rc;

	if (t->route)
		return failf(err, errlen, "transforms.%.*s: RegexRouter is configured twice", (int) alen, alias);
	if (check_props(t, alias, alen, known, "RegexRouter", err, errlen) != 0)
		return -1;
	if (re == NULL || rep == NULL)
		return failf(err, errlen, "transforms.%.*s.%s is required for RegexRouter", (int) alen, alias,
					 re == NULL ? "regex" : "replacement");
	/* RegexRouter renames a topic only when the whole of it matches */
	if ((anchored = malloc(strlen(re) + 5)) == NULL)
		return failf(err, errlen, "out of memory");
	sprintf(anchored, "^(%s)$", re);
	rc = regcomp(&t->route_re, anchored, REG_EXTENDED);
	free(anchored);
	if (rc != 0)
	{
		char		why[128];

		regerror(rc, &t->route_re, why, sizeof(why));
		return failf(err, errlen, "transforms.%.*s.regex: \"%s\" is not a POSIX extended regular expression: %s",
					 (int) alen, alias, re, why);
	}
	t->route = 1;
	if ((t->route_replacement = strdup(rep)) == NULL)
		return failf(err, errlen, "out of memory");
	return 0;
}

/* Drop what transforms_finish() compiled; the kept keys stay. */
static void
forget_compiled(struct transforms *t)
{
	for (int i = 0; i < t->nfields; i++)
		free(t->fields[i].out);
	free(t->fields);
	t->fields = NULL;
	t->nfields = 0;
	if (t->route)
		regfree(&t->route_re);
	free(t->route_replacement);
	t->route_replacement = NULL;
	t->route = t->unwrap = t->rewrite = t->keep_tombstones = 0;
	t->del = UNWRAP_DELETE_DROP;
}

int
transforms_finish(struct transforms *t, const char *list, char *err, size_t errlen)
{
	const char *p = list ? list : "",
			   *a;
	size_t		alen;

	forget_compiled(t);			/* compiled afresh, should it be called again */

	/* every transforms.<alias>.* key belongs to a listed alias */
	for (int i = 0; i < t->npairs; i++)
	{
		const char *alias = t->keys[i] + strlen("transforms.");
		size_t		len = strcspn(alias, ".");
		const char *q = p,
				   *item;
		size_t		n;
		int			listed = 0;

		while (!listed && filter_list_next(&q, &item, &n))
			listed = n == len && strncmp(item, alias, len) == 0;
		if (!listed)
			return failf(err, errlen, "%s: the alias \"%.*s\" is not in transforms", t->keys[i], (int) len, alias);
	}
	while (filter_list_next(&p, &a, &alen))
	{
		const char *type = prop(t, a, alen, "type");

		if (type == NULL && alen == 6 && strncmp(a, "unwrap", 6) == 0)
			type = TRANSFORM_UNWRAP_TYPE;
		if (type == NULL && alen == 5 && strncmp(a, "route", 5) == 0)
			type = TRANSFORM_ROUTE_TYPE;
		if (type == NULL)
			return failf(err, errlen, "transforms: transforms.%.*s.type is not set: set it to " TRANSFORM_UNWRAP_TYPE " or " TRANSFORM_ROUTE_TYPE,
						 (int) alen, a);
		if (strcmp(type, TRANSFORM_UNWRAP_TYPE) == 0)
		{
			if (setup_unwrap(t, a, alen, err, errlen) != 0)
				return -1;
		}
		else if (strcmp(type, TRANSFORM_ROUTE_TYPE) == 0)
		{
			if (setup_route(t, a, alen, err, errlen) != 0)
				return -1;
		}
		else
			return failf(err, errlen, "transforms.%.*s.type: \"%s\" is not a transform walcap applies (it applies " TRANSFORM_UNWRAP_TYPE " and " TRANSFORM_ROUTE_TYPE ")",
						 (int) alen, a, type);
	}
	return 0;
}

void
transforms_print(const struct transforms *t, FILE *f)
{
	for (int i = 0; i < t->npairs; i++)
		fprintf(f, "%s = %s\n", t->keys[i], t->values[i]);
}

void
transforms_free(struct transforms *t)
{
	for (int i = 0; i < t->npairs; i++)
	{
		free(t->keys[i]);
		free(t->values[i]);
	}
	free(t->keys);
	free(t->values);
	forget_compiled(t);
	memset(t, 0, sizeof(*t));
}

char *
transforms_route(const struct transforms *t, const char *topic, int *oom)
{
	regmatch_t	m[11];
	size_t		cap = strlen(t->route_replacement) + 1,
				len = 0;
	char	   *out;

	*oom = 0;
	if (!t->route || regexec(&t->route_re, topic, 11, m, 0) != 0)
		return NULL;
	/* $1.. are the user's groups: group 1 is the anchoring one */
	for (const char *r = t->route_replacement; *r; r++)
		if (*r == '$' && isdigit((unsigned char) r[1]))
			cap += strlen(topic);
	if ((out = malloc(cap)) == NULL)
	{
		*oom = 1;
		return NULL;
	}
	for (const char *r = t->route_replacement; *r; r++)
	{
		if (*r == '\\' && r[1])
			out[len++] = *++r;
		else if (*r == '$' && isdigit((unsigned char) r[1]))
		{
			int			g = *++r - '0' + 1;

			if (g <= 10 && m[g].rm_so >= 0)
			{
				memcpy(out + len, topic + m[g].rm_so, (size_t) (m[g].rm_eo - m[g].rm_so));
				len += (size_t) (m[g].rm_eo - m[g].rm_so);
			}
		}
		else
			out[len++] = *r;
	}
	out[len] = '\0';
	return out;
}

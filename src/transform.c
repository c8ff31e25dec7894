/*
 * transform.c — the transforms key and its transforms.* properties; see
 * transform.h.
 */
#include "transform.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* add.fields: "field", "struct.field" or either with ":newname". */
static int
add_fields(struct transforms *t, const char *list, const char *prefix,
		   const char *alias, size_t alen, char *err, size_t errlen)
{
	const char *p = list;

	while (*p)
	{
		const char *e = p + strcspn(p, ",");
		const char *a = p,
				   *b = e,
				   *colon,
				   *dot;
		struct unwrap_field f,
				   *grown;
		char		name[128];

		while (a < b && isspace((unsigned char) *a))
			a++;
		while (b > a && isspace((unsigned char) b[-1]))
			b--;
		p = *e ? e + 1 : e;
		if (a == b)
			continue;
		if (b - a >= (long) sizeof(name))
			return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\" is too long", (int) alen, alias, (int) (b - a), a);
		memcpy(name, a, (size_t) (b - a));
		name[b - a] = '\0';
		colon = strchr(name, ':');
		if (colon)
			*(char *) colon = '\0';
		dot = strchr(name, '.');
		memset(&f, 0, sizeof(f));
		if (dot)
		{
			*(char *) dot = '\0';
			if (strcmp(name, "source") == 0)
				f.from = UNWRAP_FROM_SOURCE;
			else if (strcmp(name, "transaction") == 0)
				f.from = UNWRAP_FROM_TRANSACTION;
			else
				return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\": only fields of source and transaction can be named with a dot",
							 (int) alen, alias, (int) (b - a), a);
			f.field = strdup(dot + 1);
		}
		else
		{
			f.field = strdup(name);
			/* Debezium's determineStruct for an unqualified name */
			if (strcmp(name, "op") == 0 || strcmp(name, "ts_ms") == 0)
				f.from = UNWRAP_FROM_TOP;
			else if (strcmp(name, "id") == 0 || strcmp(name, "total_order") == 0 ||
					 strcmp(name, "data_collection_order") == 0)
				f.from = UNWRAP_FROM_TRANSACTION;
			else
				f.from = UNWRAP_FROM_SOURCE;
		}
		if (f.field == NULL)
			return failf(err, errlen, "out of memory");
		{
			static const char *const top[] = {"op", "ts_ms", NULL};
			static const char *const source[] = {"version", "connector", "name", "ts_ms", "snapshot",
			"db", "sequence", "schema", "table", "txId", "lsn", "xmin", NULL};
			static const char *const txn[] = {"id", "total_order", "data_collection_order", NULL};
			const char *const *known = f.from == UNWRAP_FROM_TOP ? top :
				f.from == UNWRAP_FROM_SOURCE ? source : txn;
			int			ok = 0;

			for (int i = 0; known[i]; i++)
				ok |= strcmp(known[i], f.field) == 0;
			if (!ok)
			{
				free(f.field);
				return failf(err, errlen, "transforms.%.*s.add.fields: \"%.*s\" is not a field of walcap's events",
							 (int) alen, alias, (int) (b - a), a);
			}
		}
		f.out = malloc(strlen(prefix) + 2 * sizeof(name) + 2);
		if (f.out == NULL)
		{
			free(f.field);
			return failf(err, errlen, "out of memory");
		}
		if (colon)
			sprintf(f.out, "%s%s", prefix, colon + 1);
		else if (dot)
			sprintf(f.out, "%s%s_%s", prefix, name, f.field);
		else
			sprintf(f.out, "%s%s", prefix, f.field);
		if ((grown = realloc(t->fields, sizeof(*grown) * (size_t) (t->nfields + 1))) == NULL)
		{
			free(f.field);
			free(f.out);
			return failf(err, errlen, "out of memory");
		}
		t->fields = grown;
		t->fields[t->nfields++] = f;
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

int
transforms_finish(struct transforms *t, const char *list, char *err, size_t errlen)
{
	const char *p = list ? list : "";

	/* compiled afresh from the keys kept, should it be called again */
	for (int i = 0; i < t->nfields; i++)
	{
		free(t->fields[i].field);
		free(t->fields[i].out);
	}
	free(t->fields);
	t->fields = NULL;
	t->nfields = 0;
	if (t->route)
		regfree(&t->route_re);
	free(t->route_replacement);
	t->route_replacement = NULL;
	t->route = t->unwrap = t->rewrite = t->keep_tombstones = 0;
	t->del = UNWRAP_DELETE_DROP;

	/* every transforms.<alias>.* key belongs to a listed alias */
	for (int i = 0; i < t->npairs; i++)
	{
		const char *a = t->keys[i] + strlen("transforms.");
		size_t		alen = strcspn(a, ".");
		const char *q = p;
		int			listed = 0;

		while (*q && !listed)
		{
			const char *e = q + strcspn(q, ",");
			const char *s = q,
					   *f = e;

			while (s < f && isspace((unsigned char) *s))
				s++;
			while (f > s && isspace((unsigned char) f[-1]))
				f--;
			listed = (size_t) (f - s) == alen && strncmp(s, a, alen) == 0;
			q = *e ? e + 1 : e;
		}
		if (!listed)
			return failf(err, errlen, "%s: the alias \"%.*s\" is not in transforms", t->keys[i], (int) alen, a);
	}
	while (*p)
	{
		const char *e = p + strcspn(p, ",");
		const char *a = p,
				   *b = e;
		const char *type;
		size_t		alen;

		while (a < b && isspace((unsigned char) *a))
			a++;
		while (b > a && isspace((unsigned char) b[-1]))
			b--;
		p = *e ? e + 1 : e;
		if (a == b)
			continue;
		alen = (size_t) (b - a);
		type = prop(t, a, alen, "type");
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
	for (int i = 0; i < t->nfields; i++)
	{
		free(t->fields[i].field);
		free(t->fields[i].out);
	}
	free(t->fields);
	if (t->route)
		regfree(&t->route_re);
	free(t->route_replacement);
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

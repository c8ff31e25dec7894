/*
 * filter.c — which tables produce events, and message.key.columns; see
 * filter.h for the contract and docs/config.md, "Which tables produce
 * events", for the rules.
 *
 * Pattern lists are matched whole-name: a pattern is compiled as written
 * and a name matches only if the leftmost-longest match POSIX regexec()
 * reports spans the entire name.  That is the meaning of "^(pattern)$"
 * without pasting text around the user's pattern, which a stray ')' or a
 * back-reference would subvert.
 */
#include "filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "log.h"

/* A growable array of owned strings. */
struct strlist
{
	char	  **v;
	int			n;
	int			cap;
};

/* Append a copy of s[0..len) to l; -1 if out of memory. */
static int
strlist_add(struct strlist *l, const char *s, size_t len)
{
	char	   *copy;

	if (l->n == l->cap)
	{
		int			ncap = l->cap ? l->cap * 2 : 8;
		char	  **nv = realloc(l->v, (size_t) ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->v[l->n++] = copy;
	return 0;
}

/* Free the strings of l and its array. */
static void
strlist_free(struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Free the compiled patterns of p; p is left empty (not set). */
void
filter_patterns_free(struct config_patterns *p)
{
	for (int i = 0; i < p->n; i++)
		regfree(&p->re[i]);
	free(p->re);
	p->re = NULL;
	p->n = 0;
}

/*
 * Compile every string of items into *out (which must be empty), as
 * POSIX extended, case-insensitive expressions.  On failure nothing is
 * left allocated in *out and the message names key and the pattern.
 */
static int
patterns_compile(const char *key, const struct strlist *items,
				 struct config_patterns *out, char *err, size_t errlen)
{
	if (items->n == 0)
		return 0;
	out->re = calloc((size_t) items->n, sizeof(regex_t));
	if (out->re == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < items->n; i++)
	{
		int			rc = regcomp(&out->re[i], items->v[i],
								 REG_EXTENDED | REG_ICASE);

		if (rc != 0)
		{
			char		why[256];

			regerror(rc, &out->re[i], why, sizeof(why));
			filter_patterns_free(out);
			return errbuf_fail(err, errlen,
						"%s: \"%s\" is not a valid POSIX extended regular expression: %s",
						key, items->v[i], why);
		}
		out->n = i + 1;
	}
	return 0;
}

/* Whether some pattern of p matches the whole of name. */
int
filter_patterns_match(const struct config_patterns *p, const char *name)
{
	size_t		len = strlen(name);

	for (int i = 0; i < p->n; i++)
	{
		regmatch_t	m;

		/* leftmost-longest: a whole-name match starts at 0 and ends at len */
		if (regexec(&p->re[i], name, 1, &m, 0) == 0 &&
			m.rm_so == 0 && (size_t) m.rm_eo == len)
			return 1;
	}
	return 0;
}

/*
 * Split a comma-separated list as Debezium does: "\," is a comma inside
 * a pattern, any other backslash pair is kept as written, items are
 * trimmed and empty items are dropped.
 */
static int
split_list(const char *value, struct strlist *items)
{
	struct buf	item;
	const char *p = value;
	int			rc = 0;

	buf_init(&item, 0);
	for (;;)
	{
		if (*p == '\\' && p[1] != '\0')
		{
			if (p[1] != ',')
				buf_putc(&item, '\\');
			buf_putc(&item, p[1]);
			p += 2;
			continue;
		}
		if (*p == ',' || *p == '\0')
		{
			const char *s = item.data ? item.data : "";
			size_t		len = item.len;

			while (len > 0 && isspace((unsigned char) *s))
				s++, len--;
			while (len > 0 && isspace((unsigned char) s[len - 1]))
				len--;
			if (buf_failed(&item) || (len > 0 && strlist_add(items, s, len) != 0))
			{
				rc = -1;
				break;
			}
			buf_reset(&item);
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		buf_putc(&item, *p++);
	}
	buf_free(&item);
	return rc;
}

int
filter_list_next(const char **p, const char **item, size_t *len)
{
	while (**p)
	{
		const char *a = *p,
				   *b = a + strcspn(a, ",");

		*p = *b ? b + 1 : b;
		while (a < b && isspace((unsigned char) *a))
			a++;
		while (b > a && isspace((unsigned char) b[-1]))
			b--;
		if (a < b)
		{
			*item = a;
			*len = (size_t) (b - a);
			return 1;
		}
	}
	return 0;
}

/* Set *p from a comma-separated list; an empty list unsets it. */
int
filter_patterns_set(struct config_patterns *p, const char *key, const char *value,
			 char *err, size_t errlen)
{
	struct strlist items = {NULL, 0, 0};
	struct config_patterns np = {0, NULL};
	int			rc;

	if (split_list(value, &items) != 0)
	{
		strlist_free(&items);
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	}
	rc = patterns_compile(key, &items, &np, err, errlen);
	strlist_free(&items);
	if (rc != 0)
		return -1;
	filter_patterns_free(p);
	*p = np;
	return 0;
}

void
filter_key_rules_free(struct config_key_rule *r, int n)
{
	for (int i = 0; i < n; i++)
	{
		filter_patterns_free(&r[i].pat);
		for (int j = 0; j < r[i].ncols; j++)
			free(r[i].cols[j]);
		free(r[i].cols);
	}
	free(r);
}

/*
 * message.key.columns, as Debezium writes it: rules separated by ';',
 * each "<schema.table regex>:<column>[,<column>...]" (the regex ends at
 * the last ':').  An empty value unsets it.
 */
int
filter_key_rules_set(struct config_key_rule **out, int *nout, const char *key,
					 const char *value, char *err, size_t errlen)
{
	struct config_key_rule *rules = NULL;
	int			n = 0;
	char	   *copy = strdup(value);
	char	   *save = NULL;

	if (copy == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save))
	{
		char	   *colon = strrchr(item, ':');
		struct strlist re = {NULL, 0, 0},
					cols = {NULL, 0, 0};
		struct config_key_rule *nr;
		size_t		relen;
		char	   *r = item;

		while (isspace((unsigned char) *r))
			r++;
		if (*r == '\0')
			continue;
		relen = colon ? (size_t) (colon - r) : 0;
		while (relen > 0 && isspace((unsigned char) r[relen - 1]))
			relen--;
		if (colon == NULL || relen == 0 || split_list(colon + 1, &cols) != 0 || cols.n == 0)
		{
			strlist_free(&cols);
			filter_key_rules_free(rules, n);
			errbuf_fail(err, errlen, "%s: \"%s\" is not <schema.table regex>:<column>[,<column>...]", key, r);
			free(copy);
			return -1;
		}
		nr = realloc(rules, sizeof(*rules) * (size_t) (n + 1));
		if (nr == NULL || strlist_add(&re, r, relen) != 0)
		{
			if (nr)
				rules = nr;
			strlist_free(&cols);
			strlist_free(&re);
			filter_key_rules_free(rules, n);
			free(copy);
			return errbuf_fail(err, errlen, "%s: out of memory", key);
		}
		rules = nr;
		memset(&rules[n], 0, sizeof(rules[n]));
		if (patterns_compile(key, &re, &rules[n].pat, err, errlen) != 0)
		{
			strlist_free(&cols);
			strlist_free(&re);
			filter_key_rules_free(rules, n);
			free(copy);
			return -1;
		}
		strlist_free(&re);
		rules[n].cols = cols.v;
		rules[n].ncols = cols.n;
		n++;
	}
	free(copy);
	filter_key_rules_free(*out, *nout);
	*out = rules;
	*nout = n;
	return 0;
}

const struct config_key_rule *
config_key_columns(const struct config *c, const char *schema, const char *table)
{
	char		full[2 * 64 + 2];

	if (c->nkey_rules == 0)
		return NULL;
	snprintf(full, sizeof(full), "%s.%s", schema, table);
	for (int i = 0; i < c->nkey_rules; i++)
		if (filter_patterns_match(&c->key_rules[i].pat, full))
			return &c->key_rules[i];
	return NULL;
}

/*
 * Parse one row of the include-list CSV into its single field (*out,
 * malloc'd).  Returns 1 for a field, 0 for a blank row, -1 with a
 * message without location.  RFC 4180 quoting: a field may be enclosed
 * in double quotes, "" inside them is one quote; blanks around a field
 * are ignored.
 */
static int
csv_row(const char *line, char **out, char *msg, size_t msglen)
{
	struct buf	field;
	const char *p = line;
	int			nfields = 0;

	*out = NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	buf_init(&field, 0);
	for (;;)
	{
		struct buf *dst = nfields == 0 ? &field : NULL;

		nfields++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"')
		{
			for (p++;; p++)
			{
				if (*p == '\0')
				{
					buf_free(&field);
					return errbuf_fail(msg, msglen, "unterminated quoted field");
				}
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (dst)
					buf_putc(dst, *p);
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0')
			{
				buf_free(&field);
				return errbuf_fail(msg, msglen, "unexpected character after a closing quote");
			}
		}
		else
		{
			const char *start = p;
			size_t		len;

			while (*p != ',' && *p != '\0')
			{
				if (*p == '"')
				{
					buf_free(&field);
					return errbuf_fail(msg, msglen, "a quote inside an unquoted field");
				}
				p++;
			}
			len = (size_t) (p - start);
			while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
				len--;
			if (dst)
				buf_append(dst, start, len);
		}
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	if (nfields > 1)
	{
		buf_free(&field);
		return errbuf_fail(msg, msglen,
					"expected one field (schema or schema.table) per row, found %d",
					nfields);
	}
	/* an empty field never grew the buffer: buf_take() would not terminate it */
	*out = field.len > 0 ? buf_take(&field) : strdup("");
	buf_free(&field);
	if (*out == NULL)
		return errbuf_fail(msg, msglen, "out of memory");
	return 1;
}

/* Append to b the regular expression that matches s literally. */
static void
regex_escape(struct buf *b, const char *s)
{
	for (; *s; s++)
	{
		if (strchr("\\.[]()*+?{}|^$", *s) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

/* The include file's rows, each a literal name, by filter.h's rule. */
int
filter_read_include_file(const char *key, const char *path,
						 struct config_patterns *file_tables,
						 struct config_patterns *file_schemas,
						 char *err, size_t errlen)
{
	struct strlist tables = {NULL, 0, 0};
	struct strlist schemas = {NULL, 0, 0};
	struct buf	re;
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	int			lineno = 0;
	int			rc = 0;
	char		msg[512];

	if ((f = fopen(path, "r")) == NULL)
		return errbuf_fail(err, errlen, "%s: cannot open \"%s\": %s",
					key, path, strerror(errno));
	buf_init(&re, 0);
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0)
	{
		char	   *s = line;
		size_t		len = (size_t) n;
		char	   *name;
		int			r;

		lineno++;
		if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, len -= 3;	/* spreadsheets write a byte order mark */
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		if (memchr(s, '\0', len) != NULL)
		{
			rc = errbuf_fail(err, errlen, "%s: %s:%d: row contains a NUL byte",
					  key, path, lineno);
			break;
		}
		r = csv_row(s, &name, msg, sizeof(msg));
		if (r < 0)
			rc = errbuf_fail(err, errlen, "%s: %s:%d: %s", key, path, lineno, msg);
		if (r <= 0)
			continue;
		if (name[0] == '\0' || name[0] == '.' || name[strlen(name) - 1] == '.' ||
			strstr(name, "..") != NULL)
			rc = errbuf_fail(err, errlen,
					  "%s: %s:%d: \"%s\" is not a schema or schema.table name",
					  key, path, lineno, name);
		else
		{
			buf_reset(&re);
			regex_escape(&re, name);
			if (buf_failed(&re) ||
				strlist_add(strchr(name, '.') ? &tables : &schemas,
							re.data, re.len) != 0)
				rc = errbuf_fail(err, errlen, "%s: out of memory", key);
		}
		free(name);
	}
	if (rc == 0 && ferror(f))
		rc = errbuf_fail(err, errlen, "%s: error reading \"%s\": %s",
				  key, path, strerror(errno));
	if (rc == 0 && tables.n == 0 && schemas.n == 0)
		rc = errbuf_fail(err, errlen, "%s: \"%s\" has no rows (one schema or "
				  "schema.table per row)", key, path);
	free(line);
	fclose(f);
	buf_free(&re);

	filter_patterns_free(file_tables);
	filter_patterns_free(file_schemas);
	if (rc == 0)
		rc = patterns_compile(key, &tables, file_tables, err, errlen);
	if (rc == 0)
		rc = patterns_compile(key, &schemas, file_schemas, err, errlen);
	strlist_free(&tables);
	strlist_free(&schemas);
	return rc;
}

/* The rule of docs/config.md, "Which tables produce events". */
int
config_table_included(const struct config *c, const char *schema,
					  const char *table)
{
	char		stack[256];
	char	   *full = stack;
	size_t		slen = strlen(schema);
	size_t		tlen = strlen(table);
	int			included = 1;

	/* walcap's own positions (offset.storage=postgres) are not data */
	if (strcmp(table, CONFIG_OFFSET_TABLE) == 0 && strcmp(schema, c->signal_schema) == 0)
		return 0;
	if (c->schema_include.n > 0 && !filter_patterns_match(&c->schema_include, schema))
		return 0;
	if (c->schema_exclude.n > 0 && filter_patterns_match(&c->schema_exclude, schema))
		return 0;

	if (slen + tlen + 2 > sizeof(stack) &&
		(full = malloc(slen + tlen + 2)) == NULL)
		return -1;
	memcpy(full, schema, slen);
	full[slen] = '.';
	memcpy(full + slen + 1, table, tlen + 1);

	if (c->table_include.n > 0 || c->file_tables.n > 0 || c->file_schemas.n > 0)
		included = filter_patterns_match(&c->table_include, full) ||
			filter_patterns_match(&c->file_tables, full) ||
			filter_patterns_match(&c->file_schemas, schema);
	if (included && c->table_exclude.n > 0 &&
		filter_patterns_match(&c->table_exclude, full))
		included = 0;

	if (full != stack)
		free(full);
	return included;
}


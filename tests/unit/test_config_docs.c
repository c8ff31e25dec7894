/*
 * test_config_docs.c — docs/config.md against config_keys.c's key table: the
 * reference documents every key of the table and no key the table lacks
 * (the families — kafka.* passed to librdkafka, the column mappers,
 * transforms.* and the HTTP sink's sink.http.header.* — are the
 * documented rows that are not keys of their own; a key of each is),
 * each with the table's default and, for enumerated keys, every allowed
 * value.
 *
 * A key row is a row of a table whose header starts "| Key |", its first
 * cell a key in backquotes; the second cell is the default: "`text`..."
 * when the key has one, prose ("not set", "— (required)", ...) when not.
 * Run from the repository root (make unit does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testhelp.h"

#define DOCS "docs/config.md"
#define MAXROWS 200

/* One key row of the reference. */
struct doc_row
{
	char		key[128];
	char		def[256];		/* the Default cell */
	char		allowed[1024];	/* the Allowed values cell */
	int			seen;			/* matched by a key of the table */
};

/* Documented rows that stand for a family of keys, and one key of each. */
static const char *const families[][2] = {
	{CONFIG_KAFKA_PREFIX "<property>", CONFIG_KAFKA_PREFIX "linger.ms"},
	{"column.mask.with.<N>.chars", "column.mask.with.3.chars"},
	{"column.mask.hash.<algorithm>.with.salt.<salt>", "column.mask.hash.SHA-256.with.salt.abc"},
	{"column.truncate.to.<N>.chars", "column.truncate.to.3.chars"},
	{"transforms.<alias>.<property>", "transforms.unwrap.add.fields"},
	{CONFIG_HTTP_HEADER_PREFIX "<Name>", CONFIG_HTTP_HEADER_PREFIX "X-Test"},
	{NULL, NULL},
};

static int
is_family_row(const char *key)
{
	for (int i = 0; families[i][0] != NULL; i++)
		if (strcmp(key, families[i][0]) == 0)
			return 1;
	return 0;
}

static struct doc_row rows[MAXROWS];
static int	nrows;

/* Copy the cell starting at p (after "| ") up to " |" into out; next cell. */
static const char *
cell(const char *p, char *out, size_t outlen)
{
	const char *end = strstr(p, " | ");
	size_t		n = end ? (size_t) (end - p) : strlen(p);

	snprintf(out, outlen, "%.*s", (int) n, p);
	return end ? end + 3 : p + n;
}

/* Read every key row of DOCS into rows[]; -1 if it cannot be read. */
static int
read_docs(void)
{
	FILE	   *f = fopen(DOCS, "r");
	char		line[8192];
	int			in_key_table = 0;

	if (f == NULL)
	{
		perror(DOCS);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		struct doc_row *r;
		const char *p;
		char		first[256];

		if (line[0] != '|')
		{
			in_key_table = 0;
			continue;
		}
		if (strncmp(line, "| Key |", 7) == 0)
		{
			in_key_table = 1;
			continue;
		}
		if (!in_key_table || strncmp(line, "|---", 4) == 0)
			continue;
		p = cell(line + 2, first, sizeof(first));
		if (first[0] != '`' || nrows == MAXROWS)
			continue;
		r = &rows[nrows++];
		snprintf(r->key, sizeof(r->key), "%.*s", (int) strcspn(first + 1, "`"), first + 1);
		p = cell(p, r->def, sizeof(r->def));
		cell(p, r->allowed, sizeof(r->allowed));
	}
	fclose(f);
	return 0;
}

static struct doc_row *
find_row(const char *key)
{
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	return NULL;
}

/* Whether the Default cell gives def ("`def`" first), or none for NULL. */
static int
default_matches(const char *cell_text, const char *def)
{
	char		want[300];

	if (def == NULL)
		return cell_text[0] != '`';
	snprintf(want, sizeof(want), "`%s`", def);
	return strncmp(cell_text, want, strlen(want)) == 0;
}

static void
test_docs_list_every_key(void)
{
	struct config_key_info k;
	int			nkeys = 0;

	CHECK_INT(read_docs(), 0);
	CHECK(nrows > 0);
	for (int i = 0; config_key_info(i, &k) == 0; i++)
	{
		struct doc_row *r = find_row(k.name);

		nkeys++;
		if (r == NULL)
		{
			fprintf(stderr, "%s: key %s is not documented\n", DOCS, k.name);
			CHECK(r != NULL);
			continue;
		}
		r->seen++;
		if (!default_matches(r->def, k.def))
			fprintf(stderr, "%s: %s: default cell \"%s\", table default %s\n",
					DOCS, k.name, r->def, k.def ? k.def : "(none)");
		CHECK(default_matches(r->def, k.def));
		for (int j = 0; k.allowed != NULL && k.allowed[j] != NULL; j++)
		{
			char		want[128];

			snprintf(want, sizeof(want), "`%s`", k.allowed[j]);
			if (strstr(r->allowed, want) == NULL)
				fprintf(stderr, "%s: %s: allowed value %s not documented\n",
						DOCS, k.name, want);
			CHECK(strstr(r->allowed, want) != NULL);
		}
		CHECK_INT(k.secret, config_is_secret(k.name));
		CHECK(k.doc != NULL && k.doc[0] != '\0' && strchr(k.doc, '\n') == NULL);
	}
	CHECK(nkeys > 60);
	CHECK_INT(config_key_info(nkeys, &k), -1);
	CHECK_INT(config_key_info(-1, &k), -1);

	/* every documented key is in the table, or is a family */
	for (int i = 0; i < nrows; i++)
	{
		if (rows[i].seen == 1)
			continue;
		if (is_family_row(rows[i].key))
		{
			rows[i].seen = 1;
			continue;
		}
		fprintf(stderr, "%s: documents key %s (%d times), which config_keys.c's table %s\n",
				DOCS, rows[i].key, rows[i].seen, rows[i].seen ? "has once" : "lacks");
		CHECK_INT(rows[i].seen, 1);
	}
	/* the families' rows are there, and an instance of each is a key */
	for (int i = 0; families[i][0] != NULL; i++)
	{
		struct config c;
		char		err[256];

		CHECK(find_row(families[i][0]) != NULL);
		config_init(&c);
		err[0] = '\0';
		if (config_set(&c, families[i][1], "public\\.t\\.c", err, sizeof(err)) != 0)
			fprintf(stderr, "%s: %s\n", families[i][1], err);
		CHECK_INT(config_set(&c, families[i][1], "public\\.t\\.c", err, sizeof(err)), 0);
		config_free(&c);
	}
}

int
main(void)
{
	test_docs_list_every_key();
	return TEST_REPORT("test_config_docs");
}

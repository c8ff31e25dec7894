/*
 * test_columns.c — the column mappers (columns.h): which columns a rule
 * binds to, masks, Debezium's V1 and V2 digests (the expected digests were
 * computed with sha256sum/md5sum over the bytes Debezium hashes: the salt,
 * then Java's serialised String — TC_STRING or TC_LONGSTRING, modified
 * UTF-8 — or the UTF-8 text), and where truncation cuts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "convert.h"
#include "relcache.h"
#include "testhelp.h"

static struct columns cols;
static struct buf mbuf;			/* masked()'s result */

static void
add(const char *key, const char *value)
{
	char		err[256] = "";

	if (columns_add_rule(&cols, key, value, err, sizeof(err)) != 0)
		fprintf(stderr, "%s: %s\n", key, err);
}

/* A relation public.t with columns of the given type OIDs (typmod -1, varchar(5) for 1043). */
static struct relcache_rel *
make_rel(const char *const *names, const uint32_t *types, int n)
{
	struct relcache_rel *rel = calloc(1, sizeof(*rel));

	rel->schema = "public";
	rel->table = "t";
	rel->ncols = n;
	rel->cols = calloc((size_t) n, sizeof(*rel->cols));
	for (int i = 0; i < n; i++)
	{
		rel->cols[i].name = (char *) names[i];
		rel->cols[i].typid = types[i];
		rel->cols[i].typmod = types[i] == 1043 ? 5 + 4 : -1;
		convert_builtin(types[i], rel->cols[i].typmod, &rel->cols[i].conv);
	}
	return rel;
}

static const char *
masked(const struct relcache_col *col, const char *v, size_t len)
{
	buf_reset(&mbuf);
	CHECK_INT(columns_put_masked(&mbuf, col, v, len), 0);
	buf_putc(&mbuf, '\0');
	return mbuf.data;
}

static void
test_bind_and_mask(void)
{
	static const char *const names[] = {"name", "code", "n", "secret", "j", "bin"};
	static const uint32_t types[] = {25, 1043, 23, 25, 114, 17};
	struct relcache_rel *rel = make_rel(names, types, 6);
	char		big[70001];

	add("column.mask.with.4.chars", "public\\.t\\.(n|code)");
	add("column.mask.hash.SHA-256.with.salt.s", "public\\.t\\.name,public\\.t\\.code");
	add("column.truncate.to.3.chars", "public\\.t\\.(j|bin|name)");
	/* binds to no column here: the test points columns at it below */
	add("column.mask.hash.v2.MD5.with.salt.s", "x");
	CHECK_INT(filter_patterns_set(&cols.exclude, "column.exclude.list", "PUBLIC\\.T\\.SECRET", big, sizeof(big)), 0);
	CHECK_INT(columns_bind(&cols, rel), 0);

	/* the first matching rule wins; masks skip non-character columns */
	CHECK(rel->cols[0].rule == &cols.rules[1]);
	CHECK(rel->cols[1].rule == &cols.rules[0]);
	CHECK(rel->cols[2].rule == NULL);
	CHECK_INT(rel->cols[3].excluded, 1);	/* case-insensitive, as Debezium */
	CHECK_INT(rel->cols[0].excluded, 0);
	CHECK(rel->cols[4].rule == &cols.rules[2]);
	CHECK(rel->cols[5].rule == &cols.rules[2]);

	CHECK_STR(masked(&rel->cols[1], "abc", 3), "\"****\"");
	CHECK_STR(masked(&rel->cols[1], NULL, 0), "\"****\"");
	CHECK_STR(masked(&rel->cols[0], "alice", 5),
			  "\"1de541e8aff2a46832065f39a95d9be0612006133b941397a84af9fcaae7aa2f\"");
	CHECK_STR(masked(&rel->cols[0], "\xf0\x9d\x84\x9e", 4),
			  "\"85f67229f26d0685ef4249798ef447f4f9ec665ea6a6dc321e736ff1121aa895\"");
	CHECK_STR(masked(&rel->cols[0], "a\0b", 3),
			  "\"67147effc828738b05a18b54e767b4e6c216eefaa1c8af584850cb9b7f647708\"");
	memset(big, 'x', 70000);
	CHECK_STR(masked(&rel->cols[0], big, 70000),
			  "\"2f3f5d5633c7ded8d2a39011168147eb7e8973c4b1da618a4c009ed6b74ef63f\"");
	CHECK_STR(masked(&rel->cols[0], NULL, 0), "null");

	/* a hash cut to varchar(5), and V2 with MD5 */
	rel->cols[1].rule = &cols.rules[1];
	CHECK_STR(masked(&rel->cols[1], "alice", 5), "\"1de54\"");
	rel->cols[1].rule = &cols.rules[3];
	CHECK_INT(cols.rules[3].v2, 1);
	CHECK_STR(masked(&rel->cols[1], "abc", 3), "\"76381\"");
	rel->cols[0].rule = &cols.rules[3];
	CHECK_STR(masked(&rel->cols[0], "abc", 3), "\"76381ab96651850f13177e1681a4048d\"");

	/* truncation: UTF-16 units, never half a character; bytea by bytes */
	CHECK_INT((int) columns_cut(&rel->cols[4], "abcdef", 6, 0), 3);
	CHECK_INT((int) columns_cut(&rel->cols[4], "ab", 2, 0), 2);
	CHECK_INT((int) columns_cut(&rel->cols[4], "h\xc3\xa9llo", 6, 0), 4);
	CHECK_INT((int) columns_cut(&rel->cols[4], "\xf0\x9d\x84\x9e\xf0\x9d\x84\x9e", 8, 0), 4);
	CHECK_INT((int) columns_cut(&rel->cols[4], "a\xf0\x9d\x84\x9e" "b", 6, 0), 5);
	CHECK_INT((int) columns_cut(&rel->cols[5], "\\x0102030405", 12, 0), 8);
	CHECK_INT((int) columns_cut(&rel->cols[5], "\\x0102", 6, 0), 6);
	CHECK_INT((int) columns_cut(&rel->cols[5], "\x01\x02\x03\x04", 4, 1), 3);

	free(rel->cols);
	free(rel);
}

static void
test_keys(void)
{
	struct columns c;
	char		err[256];

	memset(&c, 0, sizeof(c));
	CHECK_INT(columns_add_rule(&c, "column.mask.with.x.chars", "a", err, sizeof(err)), -1);
	CHECK_STR(err, "column.mask.with.x.chars: not a mask key: write column.mask.with.<N>.chars with N a count of characters");
	CHECK_INT(columns_add_rule(&c, "column.truncate.to.2.chars", "", err, sizeof(err)), -1);
	CHECK_STR(err, "column.truncate.to.2.chars: no columns: the value is the list of schema.table.column patterns it applies to");
	CHECK_INT(columns_add_rule(&c, "column.mask.hash.NOPE.with.salt.a", "a", err, sizeof(err)), -1);
	CHECK(strstr(err, "\"NOPE\" is not a hash algorithm") != NULL);
	CHECK_INT(columns_add_rule(&c, "column.mask.hash.SHA-1.with.salt.", "a", err, sizeof(err)), -1);
	CHECK_INT(columns_add_rule(&c, "column.other", "a", err, sizeof(err)), 1);
	/* set again: replaced in place */
	CHECK_INT(columns_add_rule(&c, "column.mask.with.2.chars", "a", err, sizeof(err)), 0);
	CHECK_INT(columns_add_rule(&c, "column.truncate.to.2.chars", "b", err, sizeof(err)), 0);
	CHECK_INT(columns_add_rule(&c, "column.mask.with.2.chars", "c", err, sizeof(err)), 0);
	CHECK_INT(c.nrules, 2);
	CHECK_STR(c.rules[0].value, "c");
	CHECK_INT(columns_active(&c), 1);
	columns_free(&c);
	CHECK_INT(columns_active(&c), 0);
}

int
main(void)
{
	buf_init(&mbuf, 0);
	test_bind_and_mask();
	test_keys();
	columns_free(&cols);
	buf_free(&mbuf);
	return TEST_REPORT("test_columns");
}

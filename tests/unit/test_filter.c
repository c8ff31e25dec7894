/*
 * test_filter.c — unit tests of src/filter.c through the configuration:
 * the include/exclude lists (whole-name, case-insensitive matching, "\,"
 * inside a pattern, the pairs that cannot be combined) and
 * table.include.list.file (CSV rows, literal names, every error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testhelp.h"
#include "configtest.h"

/* Finishing with the include file holding content fails with rest. */
static void
expect_csv_error(const char *content, const char *rest)
{
	struct config c;
	char		path[64];
	char		want[1024];

	write_tmp(path, content);
	snprintf(want, sizeof(want), "table.include.list.file: %s:%s", path, rest);
	init_base(&c);
	CHECK_INT(config_set(&c, "table.include.list.file", path, errbuf, sizeof(errbuf)), 0);
	errbuf[0] = '\0';
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, want);
	config_free(&c);
	unlink(path);
}

static void
test_lists(void)
{
	struct config c;
	char		longname[400];

#define SET(k, v) CHECK_INT(config_set(&c, (k), (v), errbuf, sizeof(errbuf)), 0)
#define IN(s, t) config_table_included(&c, (s), (t))

	/* anchored at both ends */
	init_base(&c);
	SET("table.include.list", "public.t");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("public", "t"), 1);
	CHECK_INT(IN("public", "t2"), 0);
	CHECK_INT(IN("xpublic", "t"), 0);
	CHECK_INT(IN("public", "xt"), 0);
	CHECK_INT(IN("PUBLIC", "T"), 1);	/* case-insensitive, as Debezium */
	CHECK_INT(IN("publicXt", ""), 0);
	config_free(&c);

	/* several patterns, blanks around items, alternation inside one */
	init_base(&c);
	SET("table.include.list", "  public\\.orders_.* ,inventory\\..*,, sales\\.(a|ab)  ");
	CHECK_INT(c.table_include.n, 3);
	CHECK_INT(IN("public", "orders_2024"), 1);
	CHECK_INT(IN("public", "orders"), 0);
	CHECK_INT(IN("inventory", "items"), 1);
	CHECK_INT(IN("sales", "a"), 1);
	CHECK_INT(IN("sales", "ab"), 1);	/* the longest alternative counts */
	CHECK_INT(IN("sales", "abc"), 0);
	CHECK_INT(IN("other", "orders_1"), 0);
	config_free(&c);

	/* "\," is a comma inside a pattern */
	init_base(&c);
	SET("table.include.list", "public\\.t{1\\,2}");
	CHECK_INT(c.table_include.n, 1);
	CHECK_INT(IN("public", "t"), 1);
	CHECK_INT(IN("public", "tt"), 1);
	CHECK_INT(IN("public", "ttt"), 0);
	config_free(&c);

	/* patterns with their own anchors and a literal dot */
	init_base(&c);
	SET("table.include.list", "^public\\.a$,public\\.b.*$");
	CHECK_INT(IN("public", "a"), 1);
	CHECK_INT(IN("public", "bee"), 1);
	CHECK_INT(IN("public", "ab"), 0);
	config_free(&c);

	/* exclude list */
	init_base(&c);
	SET("table.exclude.list", "public\\.audit_.*, .*\\.tmp");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("public", "audit_log"), 0);
	CHECK_INT(IN("sales", "tmp"), 0);
	CHECK_INT(IN("sales", "tmp2"), 1);
	CHECK_INT(IN("public", "orders"), 1);
	CHECK_INT(IN("public", "audit"), 1);
	config_free(&c);

	/* schema lists match the schema name only */
	init_base(&c);
	SET("schema.include.list", "public, sales");
	CHECK_INT(IN("public", "x"), 1);
	CHECK_INT(IN("Sales", "y"), 1);
	CHECK_INT(IN("publicx", "x"), 0);
	CHECK_INT(IN("inventory", "x"), 0);
	/* combined with a table list: both must hold */
	SET("table.include.list", ".*\\.orders");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("public", "orders"), 1);
	CHECK_INT(IN("public", "items"), 0);
	CHECK_INT(IN("inventory", "orders"), 0);
	config_free(&c);

	init_base(&c);
	SET("schema.exclude.list", "tmp.*");
	SET("table.exclude.list", "public\\.t");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("tmp", "x"), 0);
	CHECK_INT(IN("tmp_2", "x"), 0);
	CHECK_INT(IN("xtmp", "x"), 1);
	CHECK_INT(IN("public", "t"), 0);
	CHECK_INT(IN("public", "t2"), 1);
	config_free(&c);

	/* names longer than the stack buffer */
	init_base(&c);
	SET("table.include.list", "s+\\.t+");
	memset(longname, 's', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(IN(longname, "ttt"), 1);
	longname[sizeof(longname) - 2] = 'x';
	CHECK_INT(IN(longname, "ttt"), 0);
	config_free(&c);

	/* both lists of a pair: rejected, unless one is cleared again */
	init_base(&c);
	SET("table.include.list", "public\\.a");
	SET("table.exclude.list", "public\\.b");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "table.include.list and table.exclude.list cannot both be set");
	SET("table.exclude.list", "");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	SET("schema.include.list", "public");
	SET("schema.exclude.list", "tmp");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "schema.include.list and schema.exclude.list cannot both be set");
	config_free(&c);

	init_base(&c);
	SET("table.include.list.file", "/nonexistent/tables.csv");
	SET("table.exclude.list", "public\\.b");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "table.include.list.file and table.exclude.list cannot both be set");
	config_free(&c);
#undef SET
#undef IN
}

static void
test_include_file(void)
{
	static const struct text_error_case csv_errors[] = {
		{"public.a\npublic,orders\n",
			"2: expected one field (schema or schema.table) per row, found 2"},
		{"public.a,\n",
			"1: expected one field (schema or schema.table) per row, found 2"},
		{"\"public.a\n",
			"1: unterminated quoted field"},
		{"\"public\".\"a\"\n",
			"1: unexpected character after a closing quote"},
		{"pub\"lic\n",
			"1: a quote inside an unquoted field"},
		{"ok\n.t\n",
			"2: \".t\" is not a schema or schema.table name"},
		{"s.\n",
			"1: \"s.\" is not a schema or schema.table name"},
		{"a..b\n",
			"1: \"a..b\" is not a schema or schema.table name"},
		{"ok\n\n\"\"\n",
			"3: \"\" is not a schema or schema.table name"},
	};
	struct config c;
	char		path[64];
	char		want[256];

#define SET(k, v) CHECK_INT(config_set(&c, (k), (v), errbuf, sizeof(errbuf)), 0)
#define IN(s, t) config_table_included(&c, (s), (t))

	write_tmp(path,
			  "\xEF\xBB\xBFpublic.orders\r\n"
			  "\"sales\"\n"
			  "\n"
			  "   \n"
			  "  \"inventory.items\"  \n"
			  "\"we\"\"ird.t\"\n"
			  "a.b+c\n");
	init_base(&c);
	SET("table.include.list.file", path);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.file_tables.n, 4);
	CHECK_INT(c.file_schemas.n, 1);
	CHECK_INT(IN("public", "orders"), 1);
	CHECK_INT(IN("PUBLIC", "Orders"), 1);
	CHECK_INT(IN("public", "orders2"), 0);
	CHECK_INT(IN("public", "other"), 0);
	CHECK_INT(IN("sales", "anything"), 1);
	CHECK_INT(IN("sales2", "anything"), 0);
	CHECK_INT(IN("inventory", "items"), 1);
	CHECK_INT(IN("inventory", "other"), 0);
	CHECK_INT(IN("we\"ird", "t"), 1);
	CHECK_INT(IN("a", "b+c"), 1);		/* rows are literal, not patterns */
	CHECK_INT(IN("a", "bbc"), 0);
	CHECK_INT(IN("a", "b"), 0);
	/* finishing again reads the file again, without doubling it */
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.file_tables.n, 4);
	CHECK_INT(c.file_schemas.n, 1);

	/* OR with table.include.list */
	SET("table.include.list", "other\\..*");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("other", "x"), 1);
	CHECK_INT(IN("public", "orders"), 1);
	CHECK_INT(IN("sales", "x"), 1);
	CHECK_INT(IN("public", "x"), 0);

	/* AND with schema.include.list */
	SET("schema.include.list", "public|other");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("public", "orders"), 1);
	CHECK_INT(IN("other", "x"), 1);
	CHECK_INT(IN("sales", "x"), 0);
	CHECK_INT(IN("inventory", "items"), 0);
	config_free(&c);

	/* AND with schema.exclude.list */
	init_base(&c);
	SET("table.include.list.file", path);
	SET("schema.exclude.list", "sales");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(IN("sales", "x"), 0);
	CHECK_INT(IN("public", "orders"), 1);
	config_free(&c);
	unlink(path);

	/* errors name the file and the row */
	init_base(&c);
	SET("table.include.list.file", "/nonexistent/tables.csv");
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "table.include.list.file: cannot open \"/nonexistent/tables.csv\": No such file or directory");
	config_free(&c);

	write_tmp(path, "\n  \n\r\n");
	init_base(&c);
	SET("table.include.list.file", path);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	snprintf(want, sizeof(want),
			 "table.include.list.file: \"%s\" has no rows (one schema or schema.table per row)",
			 path);
	CHECK_STR(errbuf, want);
	config_free(&c);
	unlink(path);

	for (size_t i = 0; i < sizeof(csv_errors) / sizeof(csv_errors[0]); i++)
		expect_csv_error(csv_errors[i].text, csv_errors[i].rest);
#undef SET
#undef IN
}

/* filter_list_next: trimmed items, empty ones skipped */
static void
test_list_next(void)
{
	const char *p = " c, ,u , d\t,,", *item;
	size_t		n;
	char		got[64] = "";

	while (filter_list_next(&p, &item, &n))
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%.*s]", (int) n, item);
	CHECK_STR(got, "[c][u][d]");
	p = " , ";
	CHECK_INT(filter_list_next(&p, &item, &n), 0);
}

int
main(void)
{
	unsetenv(CONFIG_PASSWORD_ENV);
	test_list_next();
	test_lists();
	test_include_file();
	return TEST_REPORT("test_filter");
}

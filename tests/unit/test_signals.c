/*
 * test_signals.c — the JSON reader and signal rows as commands.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "signals.h"
#include "testhelp.h"

static char err[512];

/* Parse and return the root's "v" member as a string, or the error. */
static const char *
json_v(const char *text)
{
	static char out[512];
	struct jsonread_doc d;

	if (jsonread_parse(&d, text, err, sizeof(err)) != 0)
		return err;
	snprintf(out, sizeof(out), "%s", jsonread_string(jsonread_get(jsonread_root(&d), "v")) ?
			 jsonread_string(jsonread_get(jsonread_root(&d), "v")) : "(none)");
	jsonread_free(&d);
	return out;
}

static const char *
json_err(const char *text)
{
	struct jsonread_doc d;

	if (jsonread_parse(&d, text, err, sizeof(err)) == 0)
	{
		jsonread_free(&d);
		return "(parsed)";
	}
	return err;
}

static void
test_jsonread(void)
{
	struct jsonread_doc d;
	const struct jsonread_value *r, *a;
	char	   *deep;

	CHECK_STR(json_v("{\"v\": \"plain\"}"), "plain");
	CHECK_STR(json_v("  {\"v\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}  "), "a\"b\\c/d\n\t\r\b\f");
	CHECK_STR(json_v("{\"v\": \"\\u00e9\\u20ac\"}"), "\xc3\xa9\xe2\x82\xac");
	CHECK_STR(json_v("{\"v\": \"\\ud83d\\ude00\"}"), "\xf0\x9f\x98\x80");
	CHECK_STR(json_v("{\"v\": \"\xc3\xa9 raw\"}"), "\xc3\xa9 raw");
	CHECK_STR(json_v("{\"v\": -12.5e+3}"), "-12.5e+3");
	CHECK_STR(json_v("{\"v\": 0}"), "0");
	CHECK_STR(json_v("{\"v\": 1, \"v\": \"last wins\"}"), "last wins");
	CHECK_STR(json_v("{\"v\": true}"), "(none)");
	CHECK_STR(json_v("{}"), "(none)");

	CHECK_STR(json_err(""), "not valid JSON at offset 0: unexpected end");
	CHECK_STR(json_err("{\"a\": 1,}"), "not valid JSON at offset 8: expected a member name");
	CHECK_STR(json_err("[1 2]"), "not valid JSON at offset 3: expected ',' or ']'");
	CHECK_STR(json_err("{\"a\" 1}"), "not valid JSON at offset 5: expected ':'");
	CHECK_STR(json_err("{\"a\": 1} x"), "not valid JSON at offset 9: text after the value");
	CHECK_STR(json_err("\"abc"), "not valid JSON at offset 4: unterminated string");
	CHECK_STR(json_err("\"a\tb\""), "not valid JSON at offset 2: a control character inside a string");
	CHECK_STR(json_err("\"\\x\""), "not valid JSON at offset 2: an unknown escape");
	CHECK_STR(json_err("\"\\u12g4\""), "not valid JSON at offset 2: \\u needs 4 hex digits");
	CHECK_STR(json_err("\"\\ud83d\""), "not valid JSON at offset 6: a high surrogate without its low surrogate");
	CHECK_STR(json_err("\"\\ude00\""), "not valid JSON at offset 6: a lone low surrogate");
	CHECK_STR(json_err("\"\\u0000\""), "not valid JSON at offset 6: \\u0000 is not allowed");
	CHECK_STR(json_err("\"\xff\""), "not valid JSON at offset 1: invalid UTF-8");
	CHECK_STR(json_err("\"\xc0\xaf\""), "not valid JSON at offset 1: invalid UTF-8");
	CHECK_STR(json_err("\"\xed\xa0\x80\""), "not valid JSON at offset 1: invalid UTF-8");
	CHECK_STR(json_err("\"\xe2\x82\""), "not valid JSON at offset 1: invalid UTF-8");
	CHECK_STR(json_err("01"), "not valid JSON at offset 1: text after the value");
	CHECK_STR(json_err("1."), "not valid JSON at offset 2: expected a digit after '.'");
	CHECK_STR(json_err("1e"), "not valid JSON at offset 2: expected a digit in the exponent");
	CHECK_STR(json_err("-"), "not valid JSON at offset 1: expected a digit");
	CHECK_STR(json_err("tru"), "not valid JSON at offset 0: expected a value");
	CHECK_STR(json_err("nul"), "not valid JSON at offset 0: expected a value");

	deep = malloc(100);
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	deep[66] = '\0';
	CHECK_STR(json_err(deep), "not valid JSON at offset 32: nested too deeply");
	deep[32] = '\0';
	memset(deep, '[', 32);
	memset(deep + 32, ']', 32);
	deep[64] = '\0';
	CHECK_STR(json_err(deep), "(parsed)");
	free(deep);

	CHECK_INT(jsonread_parse(&d, "{\"a\": [1, \"two\", null, {\"b\": false}], \"c\": {}}", err, sizeof(err)), 0);
	r = jsonread_root(&d);
	a = jsonread_get(r, "a");
	CHECK_INT(jsonread_array_len(a), 4);
	CHECK_STR(jsonread_string(jsonread_array_get(a, 0)), "1");
	CHECK_STR(jsonread_string(jsonread_array_get(a, 1)), "two");
	CHECK(jsonread_array_get(a, 2)->type == JSONREAD_NULL);
	CHECK(jsonread_get(jsonread_array_get(a, 3), "b")->type == JSONREAD_FALSE);
	CHECK(jsonread_array_get(a, 4) == NULL);
	CHECK(jsonread_get(r, "missing") == NULL);
	CHECK(jsonread_get(a, "a") == NULL);
	CHECK_INT(jsonread_array_len(r), 0);
	CHECK(jsonread_string(jsonread_get(r, "c")) == NULL);
	CHECK(jsonread_get(jsonread_get(jsonread_get(r, "x"), "y"), "z") == NULL);
	jsonread_free(&d);
	jsonread_free(&d);			/* twice is harmless */
}

static const char *
split(const char *name)
{
	static char out[256];
	char	   *s, *t;

	if (signal_split_name(name, &s, &t, err, sizeof(err)) != 0)
		return err;
	snprintf(out, sizeof(out), "[%s][%s]", s, t);
	free(s);
	free(t);
	return out;
}

static void
test_names(void)
{
	CHECK_STR(split("public.orders"), "[public][orders]");
	CHECK_STR(split("orders"), "[public][orders]");
	CHECK_STR(split("\"My Schema\".\"Tab.le\""), "[My Schema][Tab.le]");
	CHECK_STR(split("\"a\"\"b\".c"), "[a\"b][c]");
	CHECK_STR(split("s.\"T\""), "[s][T]");
	CHECK_STR(split("Sales.Orders"), "[Sales][Orders]");
	CHECK_STR(split("\"a.b\""), "[public][a.b]");
	CHECK_STR(split(""), "data collection \"\": an empty name");
	CHECK_STR(split("s."), "data collection \"s.\": an empty name");
	CHECK_STR(split(".t"), "data collection \".t\": an empty name");
	CHECK_STR(split("\"open.t"), "data collection \"\"open.t\": unterminated quote");
	CHECK_STR(split("\"a\"x.t"), "data collection \"\"a\"x.t\": text after a closing quote");
	CHECK_STR(split("\"a\".\"b\".\"c\""), "data collection \"\"a\".\"b\".\"c\"\": more than schema.table");
}

/* A parsed signal as one line, or the error. */
static const char *
sig(const char *type, const char *data)
{
	static char out[1024];
	struct signal s;
	size_t		n;

	if (signal_parse(type, data, &s, err, sizeof(err)) != 0)
	{
		CHECK(s.collections == NULL && s.message == NULL && s.surrogate_key == NULL);
		return err;
	}
	n = (size_t) snprintf(out, sizeof(out), "kind=%d type=%s", (int) s.kind,
						  s.snapshot_type == SIGNAL_BLOCKING ? "blocking" : "incremental");
	for (int i = 0; i < s.ncollections && n < sizeof(out); i++)
		n += (size_t) snprintf(out + n, sizeof(out) - n, " %s.%s%s%s", s.collections[i].schema,
							   s.collections[i].table, s.collections[i].filter ? "?" : "",
							   s.collections[i].filter ? s.collections[i].filter : "");
	if (s.surrogate_key && n < sizeof(out))
		n += (size_t) snprintf(out + n, sizeof(out) - n, " key=%s", s.surrogate_key);
	if (s.message && n < sizeof(out))
		snprintf(out + n, sizeof(out) - n, " msg=%s", s.message);
	signal_free(&s);
	return out;
}

static void
test_signals(void)
{
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"public.a\", \"b\"]}"),
			  "kind=0 type=incremental public.a public.b");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"public.a\", \"public.a\"], \"type\": \"BLOCKING\"}"),
			  "kind=0 type=blocking public.a");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\", \"b\"], \"additional-conditions\": "
				  "[{\"data-collection\": \"public.b\", \"filter\": \"x > 1\"}], \"surrogate-key\": \"k\", \"extra\": 1}"),
			  "kind=0 type=incremental public.a public.b?x > 1 key=k");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\", \"b\"], \"additional-condition\": \"c = 'x'\"}"),
			  "kind=0 type=incremental public.a?c = 'x' public.b?c = 'x'");
	CHECK_STR(sig("stop-snapshot", "{\"data-collections\": [\"s.t\"], \"type\": \"incremental\"}"),
			  "kind=1 type=incremental s.t");
	CHECK_STR(sig("stop-snapshot", NULL), "kind=1 type=incremental");
	CHECK_STR(sig("stop-snapshot", "{\"data-collections\": null}"), "kind=1 type=incremental");
	CHECK_STR(sig("pause-snapshot", NULL), "kind=2 type=incremental");
	CHECK_STR(sig("resume-snapshot", "not even json"), "kind=3 type=incremental");
	CHECK_STR(sig("log", "{\"message\": \"hi \\u00e9\"}"), "kind=4 type=incremental msg=hi \xc3\xa9");
	CHECK_STR(sig("snapshot-window-open", NULL), "kind=5 type=incremental");
	CHECK_STR(sig("snapshot-window-close", "{}"), "kind=6 type=incremental");

	CHECK_STR(sig("Execute-Snapshot", "{}"), "unknown signal type \"Execute-Snapshot\"");
	CHECK_STR(sig("", NULL), "unknown signal type \"\"");
	CHECK_STR(sig("execute-snapshot", NULL), "execute-snapshot: data is missing");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"]"),
			  "execute-snapshot: data is not valid JSON at offset 26: expected ',' or '}'");
	CHECK_STR(sig("execute-snapshot", "[]"), "execute-snapshot: data must be a JSON object");
	CHECK_STR(sig("execute-snapshot", "{}"), "execute-snapshot: \"data-collections\" is missing or empty");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": []}"),
			  "execute-snapshot: \"data-collections\" is missing or empty");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": \"public.a\"}"),
			  "execute-snapshot: \"data-collections\" must be an array of names");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\", 3]}"),
			  "execute-snapshot: \"data-collections\" must be an array of names");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a.\"]}"),
			  "data collection \"a.\": an empty name");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"type\": \"sideways\"}"),
			  "execute-snapshot: \"type\" is \"sideways\", not \"incremental\" or \"blocking\"");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"type\": 1}"),
			  "execute-snapshot: \"type\" must be a string");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"additional-conditions\": "
				  "[{\"data-collection\": \"public.zz\", \"filter\": \"x\"}]}"),
			  "execute-snapshot: an additional condition names \"public.zz\", which is not in \"data-collections\"");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"additional-conditions\": [{\"filter\": \"x\"}]}"),
			  "execute-snapshot: each additional condition needs string \"data-collection\" and \"filter\"");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"additional-conditions\": {}}"),
			  "execute-snapshot: \"additional-conditions\" must be an array");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"additional-condition\": 5}"),
			  "execute-snapshot: \"additional-condition\" must be a string");
	CHECK_STR(sig("execute-snapshot", "{\"data-collections\": [\"a\"], \"surrogate-key\": \"\"}"),
			  "execute-snapshot: \"surrogate-key\" must be a column name");
	CHECK_STR(sig("stop-snapshot", "{\"type\": \"nope\"}"),
			  "stop-snapshot: \"type\" is \"nope\", not \"incremental\" or \"blocking\"");
	CHECK_STR(sig("log", "{}"), "log: \"message\" is missing or not a string");
	CHECK_STR(sig("log", NULL), "log: \"message\" is missing or not a string");
	CHECK_STR(sig("log", "{\"message\": 7}"), "log: \"message\" is missing or not a string");
}

int
main(void)
{
	test_jsonread();
	test_names();
	test_signals();
	return TEST_REPORT("test_signals");
}

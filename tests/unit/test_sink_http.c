/*
 * test_sink_http.c — unit tests of the HTTP sink's parts that need no
 * network (src/sink_http_util.c) and of its keys: URL and header checks,
 * the URL as messages show it, body framing in both formats, what an
 * answer means, reason phrases, an answer's first line with secrets
 * masked, Retry-After, the backoff; the sink.http.* keys, the header
 * family, the authorization secret and where it comes from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "config.h"
#include "sink_http.h"
#include "testhelp.h"
#include "configtest.h"

static void
test_url_check(void)
{
	static const char *const good[] = {
		"http://127.0.0.1:8080/ingest", "https://hooks.example.com/cdc?x=1#f",
		"HTTP://H", "https://[::1]:443/", "http://h:1", "http://h:65535/a/b",
		"http://h?q", NULL
	};
	static const struct
	{
		const char *url;
		const char *why;
	}			bad[] = {
		{"ftp://h/", "not an http:// or https:// URL"},
		{"h/x", "not an http:// or https:// URL"},
		{"http://", "no host after http://"},
		{"https:///x", "no host after https://"},
		{"http://:80/", "no host after http://"},
		{"http://u:" SECRET "@h/", "credentials in the URL (user:password@) are refused: they would show wherever the URL does; put them in sink.http.authorization (e.g. Basic <base64 of user:password>)"},
		{"http://user@h/", "credentials in the URL (user:password@) are refused: they would show wherever the URL does; put them in sink.http.authorization (e.g. Basic <base64 of user:password>)"},
		{"http://h:/", "no port number after the ':'"},
		{"http://h:0/", "the port is not a number from 1 to 65535"},
		{"http://h:65536/", "the port is not a number from 1 to 65535"},
		{"http://h:99999999999999999999/", "the port is not a number from 1 to 65535"},
		{"http://h:8x/", "the port is not a number from 1 to 65535"},
		{"http://[::1/", "an IPv6 address must be written [address]"},
		{"http://[::1]x/", "unexpected text after the ] of the IPv6 address"},
		{"http://h/a b", "the URL holds a space or a control character (write %20 for a space in a path)"},
		{"http://h/\x01", "the URL holds a space or a control character (write %20 for a space in a path)"},
	};
	char		why[512];

	for (int i = 0; good[i] != NULL; i++)
	{
		why[0] = '\0';
		CHECK_INT(sink_http_url_check(good[i], why, sizeof(why)), 0);
		CHECK_STR(why, "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		why[0] = '\0';
		CHECK_INT(sink_http_url_check(bad[i].url, why, sizeof(why)), -1);
		CHECK_STR(why, bad[i].why);
	}
}

static void
test_url_shown(void)
{
	char		out[64];
	char		tiny[8];

	sink_http_url_shown("https://h.example:8443/cdc/in?token=" SECRET "#frag", out, sizeof(out));
	CHECK_STR(out, "https://h.example:8443/cdc/in");
	sink_http_url_shown("http://h#f?x", out, sizeof(out));
	CHECK_STR(out, "http://h");
	sink_http_url_shown("http://127.0.0.1:1/a/b", out, sizeof(out));
	CHECK_STR(out, "http://127.0.0.1:1/a/b");
	sink_http_url_shown("http://a-long-host-name/x", tiny, sizeof(tiny));
	CHECK_STR(tiny, "http://");
}

static void
test_headers(void)
{
	char		why[256];

	CHECK_INT(sink_http_value_ok("Bearer abc\tdef"), 1);
	CHECK_INT(sink_http_value_ok(""), 1);
	CHECK_INT(sink_http_value_ok("a\r\nX-Injected: 1"), 0);
	CHECK_INT(sink_http_value_ok("a\x7f"), 0);
	CHECK_INT(sink_http_header_check("X-Test", "hello", why, sizeof(why)), 0);
	CHECK_INT(sink_http_header_check("x!#$%&'*+-.^_`|~9", "v", why, sizeof(why)), 0);
	CHECK_INT(sink_http_header_check("Content-Type", "application/json", why, sizeof(why)), 0);
	CHECK_INT(sink_http_header_check("", "v", why, sizeof(why)), -1);
	CHECK_STR(why, "a header name must follow \"sink.http.header.\"");
	CHECK_INT(sink_http_header_check("X Y", "v", why, sizeof(why)), -1);
	CHECK_STR(why, "not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)");
	CHECK_INT(sink_http_header_check("X:Y", "v", why, sizeof(why)), -1);
	CHECK_INT(sink_http_header_check("authorization", "v", why, sizeof(why)), -1);
	CHECK_STR(why, "walcap does not take this header here: set sink.http.authorization instead (a secret: never shown, and it may come from a file or WALCAP_SINK_HTTP_AUTHORIZATION)");
	CHECK_INT(sink_http_header_check("Content-Length", "1", why, sizeof(why)), -1);
	CHECK_INT(sink_http_header_check("TRANSFER-ENCODING", "chunked", why, sizeof(why)), -1);
	CHECK_INT(sink_http_header_check("X-A", "a\nb", why, sizeof(why)), -1);
	CHECK_STR(why, "the value holds a line break or another control character; a header's value is one line");
}

static void
test_framing(void)
{
	struct buf	b;
	const char	run1[] = "{\"a\":1}\n{\"b\":\"x,y\\n\"}\n";
	const char	run2[] = "{\"c\":3}\n";

	buf_init(&b, 0);
	/* NDJSON: the runs as they are */
	sink_http_frame_add(&b, CONFIG_HTTP_NDJSON, run1, strlen(run1));
	sink_http_frame_add(&b, CONFIG_HTTP_NDJSON, run2, strlen(run2));
	sink_http_frame_end(&b, CONFIG_HTTP_NDJSON);
	CHECK_STR(b.data, "{\"a\":1}\n{\"b\":\"x,y\\n\"}\n{\"c\":3}\n");
	/* array: [ v1 , v2 , v3 ] across runs */
	buf_reset(&b);
	sink_http_frame_add(&b, CONFIG_HTTP_ARRAY, run1, strlen(run1));
	sink_http_frame_add(&b, CONFIG_HTTP_ARRAY, run2, strlen(run2));
	sink_http_frame_end(&b, CONFIG_HTTP_ARRAY);
	CHECK_STR(b.data, "[{\"a\":1},{\"b\":\"x,y\\n\"},{\"c\":3}]");
	CHECK_INT(b.len, strlen(b.data));
	/* one event */
	buf_reset(&b);
	sink_http_frame_add(&b, CONFIG_HTTP_ARRAY, run2, strlen(run2));
	sink_http_frame_end(&b, CONFIG_HTTP_ARRAY);
	CHECK_STR(b.data, "[{\"c\":3}]");
	buf_free(&b);
	/* a body past its cap: the buf says so */
	buf_init(&b, 8);
	sink_http_frame_add(&b, CONFIG_HTTP_ARRAY, run1, strlen(run1));
	CHECK(buf_failed(&b));
	buf_free(&b);
}

static void
test_classify(void)
{
	CHECK_INT(sink_http_classify(200, CURLE_OK), SINK_HTTP_DONE);
	CHECK_INT(sink_http_classify(201, CURLE_OK), SINK_HTTP_DONE);
	CHECK_INT(sink_http_classify(204, CURLE_OK), SINK_HTTP_DONE);
	CHECK_INT(sink_http_classify(299, CURLE_OK), SINK_HTTP_DONE);
	CHECK_INT(sink_http_classify(408, CURLE_OK), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(429, CURLE_OK), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(500, CURLE_OK), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(503, CURLE_OK), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(599, CURLE_OK), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(400, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(401, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(404, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(413, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(301, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(100, CURLE_OK), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(600, CURLE_OK), SINK_HTTP_STOP);
	/* the network: retried, whatever status came before */
	CHECK_INT(sink_http_classify(0, CURLE_COULDNT_CONNECT), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_COULDNT_RESOLVE_HOST), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_OPERATION_TIMEDOUT), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(200, CURLE_OPERATION_TIMEDOUT), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_GOT_NOTHING), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_SEND_ERROR), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_RECV_ERROR), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_SSL_CONNECT_ERROR), SINK_HTTP_RETRY);
	CHECK_INT(sink_http_classify(0, CURLE_PARTIAL_FILE), SINK_HTTP_RETRY);
	/* what retrying cannot mend */
	CHECK_INT(sink_http_classify(0, CURLE_PEER_FAILED_VERIFICATION), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(0, CURLE_SSL_CACERT_BADFILE), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(0, CURLE_URL_MALFORMAT), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(0, CURLE_UNSUPPORTED_PROTOCOL), SINK_HTTP_STOP);
	CHECK_INT(sink_http_classify(0, CURLE_OUT_OF_MEMORY), SINK_HTTP_STOP);
}

static void
test_reason(void)
{
	CHECK_STR(sink_http_reason(200), "OK");
	CHECK_STR(sink_http_reason(400), "Bad Request");
	CHECK_STR(sink_http_reason(413), "Content Too Large");
	CHECK_STR(sink_http_reason(429), "Too Many Requests");
	CHECK_STR(sink_http_reason(503), "Service Unavailable");
	CHECK_STR(sink_http_reason(599), "");
	CHECK_STR(sink_http_reason(0), "");
}

static void
test_first_line(void)
{
	const char *hide[] = {"Bearer " SECRET, SECRET, NULL, ""};
	char		out[64];
	char		small[12];
	const char *b;

	b = "  \r\n\n  bad event: field \"x\"  \r\nsecond line\n";
	sink_http_first_line(b, strlen(b), NULL, 0, out, sizeof(out));
	CHECK_STR(out, "bad event: field \"x\"");
	b = "{\"error\":\"nope\"}";
	sink_http_first_line(b, strlen(b), NULL, 0, out, sizeof(out));
	CHECK_STR(out, "{\"error\":\"nope\"}");
	sink_http_first_line("", 0, NULL, 0, out, sizeof(out));
	CHECK_STR(out, "");
	sink_http_first_line(" \n\t\r\n ", 6, NULL, 0, out, sizeof(out));
	CHECK_STR(out, "");
	/* control characters and NUL bytes shown as '?', the length honoured */
	sink_http_first_line("a\x01" "b\0c\x7f", 6, NULL, 0, out, sizeof(out));
	CHECK_STR(out, "a?b?c?");
	/* secrets masked, the whole value first, then the token alone */
	b = "echo: Authorization: Bearer " SECRET " and " SECRET "!";
	sink_http_first_line(b, strlen(b), hide, 4, out, sizeof(out));
	CHECK_STR(out, "echo: Authorization: ******** and ********!");
	/* cut with "..." */
	b = "0123456789abcdefghij";
	sink_http_first_line(b, strlen(b), NULL, 0, small, sizeof(small));
	CHECK_STR(small, "01234567...");
	b = "0123456789a";
	sink_http_first_line(b, strlen(b), NULL, 0, small, sizeof(small));
	CHECK_STR(small, "0123456789a");
	/* a mask that does not fit is cut, never shows the secret */
	b = "x " SECRET;
	sink_http_first_line(b, strlen(b), hide, 2, small, sizeof(small));
	CHECK(strstr(small, "hunter") == NULL);
}

static void
test_retry_after(void)
{
	time_t		now = 1700000000;	/* 2023-11-14 22:13:20 UTC */

	CHECK_INT(sink_http_retry_after_ms("1", now), 1000);
	CHECK_INT(sink_http_retry_after_ms(" 120 ", now), 120000);
	CHECK_INT(sink_http_retry_after_ms("0", now), 0);
	CHECK_INT(sink_http_retry_after_ms("Tue, 14 Nov 2023 22:13:50 GMT", now), 30000);
	CHECK_INT(sink_http_retry_after_ms("Tue, 14 Nov 2023 22:00:00 GMT", now), 0);
	CHECK_INT(sink_http_retry_after_ms("soon", now), -1);
	CHECK_INT(sink_http_retry_after_ms("-5", now), -1);
	CHECK_INT(sink_http_retry_after_ms("5s", now), -1);
	CHECK_INT(sink_http_retry_after_ms("", now), -1);
	CHECK(sink_http_retry_after_ms("99999999999999999999", now) > 0);
}

static void
test_backoff(void)
{
	CHECK_INT(sink_http_backoff_ms(500, 30000, 1, -1), 500);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 2, -1), 1000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 3, -1), 2000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 7, -1), 30000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 1000000, -1), 30000);
	CHECK_INT(sink_http_backoff_ms(3600000, 3600000, 1000, -1), 3600000);
	/* Retry-After when longer, never past the maximum */
	CHECK_INT(sink_http_backoff_ms(500, 30000, 1, 2000), 2000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 4, 2000), 4000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 1, 120000), 30000);
	CHECK_INT(sink_http_backoff_ms(500, 30000, 1, 0), 500);
}

static void
test_keys(void)
{
	struct config c;
	char		file[64];
	char	   *out;

	/* defaults */
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.http_format, CONFIG_HTTP_NDJSON);
	CHECK_INT(c.http_batch_events, 1000);
	CHECK_INT(c.http_batch_bytes, 4194304);
	CHECK_INT(c.http_max_in_flight, 1);
	CHECK_INT(c.http_retries, 0);
	CHECK(c.http_url == NULL && c.http_auth == NULL && c.nhttp_headers == 0);
	config_free(&c);

	/* http needs a URL */
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "http", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.http.url is required when sink.type is http (the receiver's http:// or https:// URL)");
	CHECK_INT(config_set(&c, "sink.http.url", "https://h/x", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.http.format", "array", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.http_url, "https://h/x");
	CHECK_INT(c.http_format, CONFIG_HTTP_ARRAY);
	/* an empty value unsets it */
	CHECK_INT(config_set(&c, "sink.http.url", "", errbuf, sizeof(errbuf)), 0);
	CHECK(c.http_url == NULL);
	config_free(&c);

	/* the message never quotes the URL (it may hold a password) */
	expect_set_error("sink.http.url", "https://u:" SECRET "@h/",
					 "sink.http.url: credentials in the URL (user:password@) are refused: they would show wherever the URL does; put them in sink.http.authorization (e.g. Basic <base64 of user:password>)");
	expect_set_error("sink.http.max.in.flight", "0",
					 "sink.http.max.in.flight: \"0\" is not an integer from 1 to 64");
	expect_set_error("sink.http.header.", "x",
					 "sink.http.header.: a header name must follow \"sink.http.header.\"");
	expect_set_error("sink.http.header.Authorization", "Bearer x",
					 "sink.http.header.Authorization: walcap does not take this header here: set sink.http.authorization instead (a secret: never shown, and it may come from a file or WALCAP_SINK_HTTP_AUTHORIZATION)");
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.http.retry.interval.ms", "1000", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.http.retry.max.interval.ms", "999", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.http.retry.max.interval.ms: 999 is less than sink.http.retry.interval.ms (1000)");
	config_free(&c);

	/* headers: set, replaced without regard to case, removed by an empty value */
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.http.header.X-Test", "a", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.http.header.X-Other", "b", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.http.header.x-test", "c", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nhttp_headers, 2);
	CHECK_STR(c.http_header_names[0], "X-Test");
	CHECK_STR(c.http_header_values[0], "c");
	CHECK_INT(config_set(&c, "sink.http.header.X-TEST", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nhttp_headers, 1);
	CHECK_STR(c.http_header_names[0], "X-Other");
	CHECK_INT(config_set(&c, "sink.http.header.X-Nothing", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nhttp_headers, 1);
	CHECK_INT(config_set(&c, "sink.http.header.X-Api-Key", SECRET, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	out = printed(&c);
	CHECK(strstr(out, "\nsink.http.header.X-Other = b\n") != NULL);
	CHECK(strstr(out, "\nsink.http.header.X-Api-Key = ********\n") != NULL);
	CHECK(strstr(out, SECRET) == NULL);
	free(out);
	config_free(&c);

	/* which headers are secrets */
	CHECK_INT(config_is_secret("sink.http.header.X-Api-Key"), 1);
	CHECK_INT(config_is_secret("sink.http.header.x-auth-token"), 1);
	CHECK_INT(config_is_secret("sink.http.header.Cookie"), 1);
	CHECK_INT(config_is_secret("sink.http.header.X-Hub-Signature-256"), 1);
	CHECK_INT(config_is_secret("sink.http.header.X-Test"), 0);
	CHECK_INT(config_is_secret("sink.http.header.Content-Type"), 0);
	CHECK_INT(config_is_secret("sink.http.authorization"), 1);
	CHECK_INT(config_is_secret("sink.http.authorization.file"), 0);
	CHECK_INT(config_is_secret("sink.http.url"), 0);

	/* the authorization: key, then file, then environment; one line */
	setenv(CONFIG_HTTP_AUTH_ENV, "Bearer from-env", 1);
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.http_auth, "Bearer from-env");
	CHECK_STR(c.http_auth_from, CONFIG_HTTP_AUTH_ENV);
	out = printed(&c);
	CHECK(strstr(out, "\nsink.http.authorization = ******** (from " CONFIG_HTTP_AUTH_ENV ")\n") != NULL);
	CHECK(strstr(out, "from-env") == NULL);
	free(out);
	config_free(&c);
	write_tmp(file, "Bearer " SECRET "\n");
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.http.authorization.file", file, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.http_auth, "Bearer " SECRET);
	CHECK_STR(c.http_auth_from, "sink.http.authorization.file");
	config_free(&c);
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.http.authorization", "Basic " SECRET, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "sink.http.authorization.file", file, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.http_auth, "Basic " SECRET);
	config_free(&c);
	unsetenv(CONFIG_HTTP_AUTH_ENV);
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.http.authorization", SECRET "\x01", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "sink.http.authorization: the value holds a line break or another control character; give the Authorization header's value alone, on one line (e.g. Bearer <token>)");
	config_free(&c);
	unlink(file);
}

int
main(void)
{
	test_url_check();
	test_url_shown();
	test_headers();
	test_framing();
	test_classify();
	test_reason();
	test_first_line();
	test_retry_after();
	test_backoff();
	test_keys();
	return TEST_REPORT("test_sink_http");
}

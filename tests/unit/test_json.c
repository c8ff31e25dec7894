/*
 * test_json.c — unit tests for json.c: string escaping, UTF-8
 * validation with U+FFFD per offending byte, integers at their limits
 * and base64 in both alphabets.
 *
 * Inputs are copied into malloc'd blocks of exactly their length, so
 * that a look-ahead past the end of a truncated UTF-8 sequence shows up
 * under AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testhelp.h"

#define FFFD "\xEF\xBF\xBD"

static struct buf out;

/* json_text() of s[0..len), appended after a marker that must survive. */
static const char *
jstr(const char *s, size_t len)
{
	char	   *copy = malloc(len ? len : 1);

	memcpy(copy, s, len);
	buf_reset(&out);
	buf_lit(&out, "<");
	json_text(&out, copy, len);
	free(copy);
	CHECK(out.len >= 1 && out.data[0] == '<');
	CHECK(!buf_failed(&out));
	return out.data + 1;
}

#define JS(lit) jstr((lit), sizeof(lit) - 1)

/* json_escape(): the same without quotes. */
static const char *
jesc(const char *s, size_t len)
{
	char	   *copy = malloc(len ? len : 1);

	memcpy(copy, s, len);
	buf_reset(&out);
	json_escape(&out, copy, len);
	free(copy);
	return out.data ? out.data : "";
}

#define JE(lit) jesc((lit), sizeof(lit) - 1)

static void
test_escapes(void)
{
	CHECK_STR(JS(""), "\"\"");
	CHECK_STR(JS("plain text 123"), "\"plain text 123\"");
	CHECK_STR(JS("a\"b"), "\"a\\\"b\"");
	CHECK_STR(JS("back\\slash"), "\"back\\\\slash\"");
	CHECK_STR(JS("\"\\\""), "\"\\\"\\\\\\\"\"");
	CHECK_STR(JS("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	CHECK_STR(JS("x\ny"), "\"x\\ny\"");
	/* '/' and the other printable ASCII characters are left alone */
	CHECK_STR(JS("/'<>&{}[]~`|^@"), "\"/'<>&{}[]~`|^@\"");
	/* other control characters and DEL as \u00XX in lower case hex */
	CHECK_STR(JS("\x01"), "\"\\u0001\"");
	CHECK_STR(JS("\x1f"), "\"\\u001f\"");
	CHECK_STR(JS("\x0b"), "\"\\u000b\"");
	CHECK_STR(JS("\x1b[0m"), "\"\\u001b[0m\"");
	CHECK_STR(JS("\x7f"), "\"\\u007f\"");
	CHECK_STR(JS("a\x7f" "b"), "\"a\\u007fb\"");
	/* embedded NUL is part of the value */
	CHECK_STR(JS("a\0b"), "\"a\\u0000b\"");
	CHECK_STR(JS("\0"), "\"\\u0000\"");
	CHECK_INT(out.len, 1 + 8);

	/* every control character, one by one */
	{
		static const char *named[32] = {
			[8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r",
		};
		int			bad = 0;

		for (int c = 0; c < 32; c++)
		{
			char		in = (char) c;
			char		want[8];

			if (named[c])
				strcpy(want, named[c]);
			else
				snprintf(want, sizeof(want), "\\u%04x", c);
			if (strcmp(jesc(&in, 1), want) != 0)
				bad++;
		}
		CHECK_INT(bad, 0);
	}

	/* json_escape writes no quotes */
	CHECK_STR(JE("a\"b\n"), "a\\\"b\\n");
	CHECK_STR(JE(""), "");

	/* json_cstring stops at the NUL */
	buf_reset(&out);
	json_cstring(&out, "q\"");
	CHECK_STR(out.data, "\"q\\\"\"");
}

static void
test_utf8_valid(void)
{
	/* 2, 3 and 4-byte sequences pass through unchanged */
	CHECK_STR(JS("caf\xC3\xA9"), "\"caf\xC3\xA9\"");			/* é */
	CHECK_STR(JS("\xE2\x82\xAC" "5"), "\"\xE2\x82\xAC" "5\"");	/* € */
	CHECK_STR(JS("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");	/* 😀 */
	CHECK_STR(JS("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
			  "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
	/* the boundaries of each form */
	CHECK_STR(JS("\xC2\x80"), "\"\xC2\x80\"");		/* U+0080 */
	CHECK_STR(JS("\xDF\xBF"), "\"\xDF\xBF\"");		/* U+07FF */
	CHECK_STR(JS("\xE0\xA0\x80"), "\"\xE0\xA0\x80\"");	/* U+0800 */
	CHECK_STR(JS("\xED\x9F\xBF"), "\"\xED\x9F\xBF\"");	/* U+D7FF */
	CHECK_STR(JS("\xEE\x80\x80"), "\"\xEE\x80\x80\"");	/* U+E000 */
	CHECK_STR(JS("\xEF\xBF\xBF"), "\"\xEF\xBF\xBF\"");	/* U+FFFF */
	CHECK_STR(JS("\xF0\x90\x80\x80"), "\"\xF0\x90\x80\x80\"");	/* U+10000 */
	CHECK_STR(JS("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");	/* U+10FFFF */
	/* the replacement character itself is valid input */
	CHECK_STR(JS(FFFD), "\"" FFFD "\"");
}

static void
test_utf8_invalid(void)
{
	/* lone continuation bytes */
	CHECK_STR(JS("\x80"), "\"" FFFD "\"");
	CHECK_STR(JS("a\xBF" "b"), "\"a" FFFD "b\"");
	CHECK_STR(JS("\x80\x80"), "\"" FFFD FFFD "\"");
	/* truncated sequences at the end of the value */
	CHECK_STR(JS("\xC3"), "\"" FFFD "\"");
	CHECK_STR(JS("a\xE2\x82"), "\"a" FFFD FFFD "\"");
	CHECK_STR(JS("\xF0\x9F\x98"), "\"" FFFD FFFD FFFD "\"");
	/* a lead byte followed by a non-continuation */
	CHECK_STR(JS("\xC3(b"), "\"" FFFD "(b\"");
	CHECK_STR(JS("\xE2\x82" "A"), "\"" FFFD FFFD "A\"");
	CHECK_STR(JS("\xC3\n"), "\"" FFFD "\\n\"");
	/* overlong forms */
	CHECK_STR(JS("\xC0\x80"), "\"" FFFD FFFD "\"");
	CHECK_STR(JS("\xC1\xBF"), "\"" FFFD FFFD "\"");
	CHECK_STR(JS("\xE0\x80\x80"), "\"" FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xE0\x9F\xBF"), "\"" FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xF0\x8F\xBF\xBF"), "\"" FFFD FFFD FFFD FFFD "\"");
	/* UTF-16 surrogates encoded as UTF-8 */
	CHECK_STR(JS("\xED\xA0\x80"), "\"" FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xED\xBF\xBF"), "\"" FFFD FFFD FFFD "\"");
	/* above U+10FFFF, and bytes that never occur */
	CHECK_STR(JS("\xF4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xF5\x80\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xF8\x88\x80\x80\x80"), "\"" FFFD FFFD FFFD FFFD FFFD "\"");
	CHECK_STR(JS("\xFE\xFF"), "\"" FFFD FFFD "\"");
	/* valid text on both sides of a bad byte is kept */
	CHECK_STR(JS("\xC3\xA9\xFF\xC3\xA9"), "\"\xC3\xA9" FFFD "\xC3\xA9\"");
	/* a bad byte right before a NUL */
	CHECK_STR(JS("\xC3\0"), "\"" FFFD "\\u0000\"");
}

/* Long values: runs of plain text and escapes across buffer growth. */
static void
test_long(void)
{
	char	   *in = malloc(10000);
	size_t		i;
	int			bad = 0;

	for (i = 0; i < 10000; i++)
		in[i] = (i % 100 == 99) ? '"' : 'a';
	jstr(in, 10000);
	free(in);
	CHECK_INT(out.len, 1 + 2 + 10000 + 100);
	for (i = 0; i < 100; i++)
	{
		const char *blk = out.data + 2 + i * 101;

		if (blk[0] != 'a' || blk[98] != 'a' || blk[99] != '\\' || blk[100] != '"')
			bad++;
	}
	CHECK_INT(bad, 0);
}

static const char *
jint(int64_t v)
{
	buf_reset(&out);
	json_int64(&out, v);
	return out.data;
}

static const char *
juint(uint64_t v)
{
	buf_reset(&out);
	json_uint64(&out, v);
	return out.data;
}

static void
test_numbers(void)
{
	CHECK_STR(jint(0), "0");
	CHECK_STR(jint(-1), "-1");
	CHECK_STR(jint(7), "7");
	CHECK_STR(jint(-10), "-10");
	CHECK_STR(jint(1000000), "1000000");
	CHECK_STR(jint(INT64_MIN), "-9223372036854775808");
	CHECK_STR(jint(INT64_MIN + 1), "-9223372036854775807");
	CHECK_STR(jint(INT64_MAX), "9223372036854775807");
	CHECK_STR(juint(0), "0");
	CHECK_STR(juint(9), "9");
	CHECK_STR(juint(10), "10");
	CHECK_STR(juint(UINT64_MAX), "18446744073709551615");
	CHECK_STR(juint(UINT32_MAX), "4294967295");

	/* numbers append to what is there */
	buf_reset(&out);
	buf_lit(&out, "[");
	json_int64(&out, -5);
	buf_putc(&out, ',');
	json_uint64(&out, 5);
	CHECK_STR(out.data, "[-5,5");
}

static const char *
b64(const void *p, size_t n, int url)
{
	unsigned char *copy = malloc(n ? n : 1);

	memcpy(copy, p, n);
	buf_reset(&out);
	buf_lit(&out, ">");
	json_base64(&out, copy, n, url);
	free(copy);
	return out.data + 1;
}

/* An independent decoder, to check a round trip of every byte value. */
static int
b64val(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static size_t
b64decode(const char *s, unsigned char *dst, int url)
{
	size_t		n = 0;
	size_t		len = strlen(s);

	for (size_t i = 0; i + 4 <= len; i += 4)
	{
		int			v[4];

		for (int k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k], url);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return (size_t) -1;
		dst[n++] = (unsigned char) (v[0] << 2 | v[1] >> 4);
		if (s[i + 2] != '=')
			dst[n++] = (unsigned char) ((v[1] & 15) << 4 | v[2] >> 2);
		if (s[i + 3] != '=')
			dst[n++] = (unsigned char) ((v[2] & 3) << 6 | v[3]);
	}
	return n;
}

static void
test_base64(void)
{
	static const unsigned char pm[] = {0xFB, 0xFF, 0xBF};
	static const unsigned char pm2[] = {0xFB, 0xFF};
	static const unsigned char zeros[] = {0, 0, 0, 0};
	unsigned char all[256];
	unsigned char back[256];

	/* RFC 4648 §10 test vectors, both alphabets */
	for (int url = 0; url <= 1; url++)
	{
		CHECK_STR(b64("", 0, url), "");
		CHECK_STR(b64("f", 1, url), "Zg==");
		CHECK_STR(b64("fo", 2, url), "Zm8=");
		CHECK_STR(b64("foo", 3, url), "Zm9v");
		CHECK_STR(b64("foob", 4, url), "Zm9vYg==");
		CHECK_STR(b64("fooba", 5, url), "Zm9vYmE=");
		CHECK_STR(b64("foobar", 6, url), "Zm9vYmFy");
	}
	/* the two characters where the alphabets differ */
	CHECK_STR(b64(pm, 3, 0), "+/+/");
	CHECK_STR(b64(pm, 3, 1), "-_-_");
	CHECK_STR(b64(pm2, 2, 0), "+/8=");
	CHECK_STR(b64(pm2, 2, 1), "-_8=");
	CHECK_STR(b64("\xFF", 1, 0), "/w==");
	CHECK_STR(b64("\xFF", 1, 1), "_w==");
	CHECK_STR(b64("\xF8", 1, 0), "+A==");
	/* NUL bytes are data */
	CHECK_STR(b64(zeros, 4, 0), "AAAAAA==");
	CHECK_STR(b64("hello", 5, 0), "aGVsbG8=");

	/* every byte value, every length up to 256, decodes back */
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char) (255 - i);
	for (int url = 0; url <= 1; url++)
	{
		int			bad = 0;

		for (size_t n = 0; n <= 256; n++)
		{
			const char *s = b64(all, n, url);

			if (strlen(s) != (n + 2) / 3 * 4 ||
				b64decode(s, back, url) != n ||
				memcmp(back, all, n) != 0 ||
				strchr(s, url ? '+' : '-') || strchr(s, url ? '/' : '_'))
				bad++;
		}
		CHECK_INT(bad, 0);
	}
}

/* json_is_number: RFC 8259's number grammar, exactly */
static void
test_is_number(void)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "10", "1.5", "-0.25", "1e5", "1E5", "1e+30", "1e-07",
		"-2.2250738585072014e-308", "0.0", "123456789012345678901234567890",
	};
	static const char *const bad[] = {
		"", "-", "+1", "01", "-01", ".5", "1.", "1.e5", "1e", "1e+", "e5", "0x1",
		"NaN", "Infinity", "-Infinity", "inf", " 1", "1 ", "1,5", "--1", "1e5.5",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(json_is_number(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!json_is_number(bad[i], strlen(bad[i])));
	/* only len bytes are read */
	CHECK(json_is_number("12x", 2));
	CHECK(!json_is_number("1\0", 2));
}

/*
 * The eight-bytes-at-a-time scan: every byte value at every place of a
 * run of plain bytes is escaped exactly as when it is escaped alone
 * (a one-byte string never takes the eight-byte path).
 */
static void
test_swar(void)
{
	int			bad = 0;
	struct buf	ref;

	buf_init(&ref, 0);
	for (int c = 0; c < 256; c++)
		for (int at = 0; at < 24; at++)
		{
			char		s[24];

			memset(s, 'a', sizeof(s));
			s[at] = (char) c;
			buf_reset(&out);
			json_escape(&out, s, sizeof(s));
			buf_reset(&ref);
			for (int i = 0; i < 24; i++)
				json_escape(&ref, s + i, 1);
			bad += out.len != ref.len || memcmp(out.data, ref.data, ref.len) != 0;
		}
	CHECK_INT(bad, 0);
	/* two specials in one word, and one in the tail after whole words */
	buf_reset(&out);
	json_escape(&out, "abcd\"e\\fghijklmnopq\n", 20);
	CHECK_STR(out.data, "abcd\\\"e\\\\fghijklmnopq\\n");
	buf_free(&ref);
}

int
main(void)
{
	buf_init(&out, 0);
	test_swar();
	test_escapes();
	test_utf8_valid();
	test_utf8_invalid();
	test_long();
	test_numbers();
	test_base64();
	test_is_number();
	buf_free(&out);
	return TEST_REPORT("test_json");
}

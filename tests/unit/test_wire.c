/*
 * test_wire.c — unit tests for wire.c: every reader at the exact end of
 * its input and one byte short of it, big-endian decoding of extreme
 * values, sticky errors, strings and wire_end().
 *
 * Each input is copied into a malloc'd block of exactly its length, so
 * that a read past the end shows up under AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "wire.h"

/* The current input, exactly len bytes long on the heap. */
static unsigned char *cur;

static void
start(struct wire_reader *r, const void *data, size_t len)
{
	free(cur);
	cur = malloc(len ? len : 1);
	if (len)
		memcpy(cur, data, len);
	wire_init(r, cur, len);
}

/* Every reader, once broken, returns zero or NULL. */
static void
check_all_fail(struct wire_reader *r)
{
	size_t		n = 99;

	CHECK_INT(wire_ok(r), 0);
	CHECK_INT(wire_end(r), 0);
	CHECK_INT(wire_remaining(r), 0);
	CHECK_INT(wire_u8(r), 0);
	CHECK_INT(wire_u16(r), 0);
	CHECK_INT(wire_u32(r), 0);
	CHECK(wire_u64(r) == 0);
	CHECK_INT(wire_i16(r), 0);
	CHECK_INT(wire_i32(r), 0);
	CHECK(wire_i64(r) == 0);
	CHECK(wire_bytes(r, 0) == NULL);
	CHECK(wire_bytes(r, 1) == NULL);
	CHECK(wire_cstring(r, &n) == NULL);
	CHECK_INT(n, 99);			/* len untouched on failure */
	CHECK_INT(wire_ok(r), 0);
}

static void
test_u8(void)
{
	struct wire_reader r;
	static const unsigned char one[] = {0xFE};
	static const unsigned char two[] = {0x00, 0x7F};

	start(&r, NULL, 0);
	CHECK_INT(wire_ok(&r), 1);
	CHECK_INT(wire_end(&r), 1);		/* an empty message is fully read */
	CHECK_INT(wire_remaining(&r), 0);
	CHECK_INT(wire_u8(&r), 0);
	check_all_fail(&r);

	start(&r, one, 1);
	CHECK_INT(wire_remaining(&r), 1);
	CHECK_INT(wire_end(&r), 0);
	CHECK_INT(wire_u8(&r), 0xFE);
	CHECK_INT(wire_ok(&r), 1);
	CHECK_INT(wire_end(&r), 1);
	CHECK_INT(wire_remaining(&r), 0);
	CHECK_INT(wire_u8(&r), 0);		/* 0 bytes left */
	check_all_fail(&r);

	start(&r, two, 2);
	CHECK_INT(wire_u8(&r), 0);
	CHECK_INT(wire_u8(&r), 0x7F);
	CHECK_INT(wire_end(&r), 1);
}

static void
test_u16(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {0xAB, 0xCD, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x01};

	start(&r, v, 8);
	CHECK_INT(wire_u16(&r), 0xABCD);
	CHECK_INT(wire_u16(&r), 0xFFFF);
	CHECK_INT(wire_i16(&r), INT16_MIN);
	CHECK_INT(wire_i16(&r), 1);
	CHECK_INT(wire_end(&r), 1);

	start(&r, v + 2, 2);
	CHECK_INT(wire_i16(&r), -1);
	CHECK_INT(wire_end(&r), 1);

	/* one byte short: fails, and the byte that was there is not readable */
	start(&r, v, 1);
	CHECK_INT(wire_u16(&r), 0);
	check_all_fail(&r);

	start(&r, v, 3);
	CHECK_INT(wire_u16(&r), 0xABCD);
	CHECK_INT(wire_u16(&r), 0);
	check_all_fail(&r);
}

static void
test_u32(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {
		0x01, 0x02, 0x03, 0x04,
		0xFF, 0xFF, 0xFF, 0xFF,
		0x80, 0x00, 0x00, 0x00,
		0x7F, 0xFF, 0xFF, 0xFF,
	};

	start(&r, v, 16);
	CHECK_INT(wire_u32(&r), 0x01020304);
	CHECK(wire_u32(&r) == 0xFFFFFFFFu);
	CHECK_INT(wire_i32(&r), INT32_MIN);
	CHECK_INT(wire_i32(&r), INT32_MAX);
	CHECK_INT(wire_end(&r), 1);

	start(&r, v + 4, 4);
	CHECK_INT(wire_i32(&r), -1);
	CHECK_INT(wire_end(&r), 1);

	for (size_t n = 0; n < 4; n++)
	{
		start(&r, v, n);
		CHECK_INT(wire_u32(&r), 0);
		check_all_fail(&r);
	}
	start(&r, v, 7);
	CHECK_INT(wire_u32(&r), 0x01020304);
	CHECK_INT(wire_u32(&r), 0);
	check_all_fail(&r);
}

static void
test_u64(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
	};

	start(&r, v, sizeof(v));
	CHECK(wire_u64(&r) == UINT64_C(0x0102030405060708));
	CHECK(wire_u64(&r) == UINT64_MAX);
	CHECK(wire_i64(&r) == INT64_MIN);
	CHECK(wire_i64(&r) == INT64_MAX);
	CHECK(wire_u64(&r) == UINT64_C(0xFFFFFFFF));
	CHECK_INT(wire_end(&r), 1);

	start(&r, v + 8, 8);
	CHECK(wire_i64(&r) == -1);
	CHECK_INT(wire_end(&r), 1);

	/* every length one to eight bytes short returns 0, not half a value */
	for (size_t n = 0; n < 8; n++)
	{
		start(&r, v, n);
		CHECK(wire_u64(&r) == 0);
		check_all_fail(&r);
	}
	start(&r, v, 15);
	CHECK(wire_u64(&r) == UINT64_C(0x0102030405060708));
	CHECK(wire_i64(&r) == 0);
	check_all_fail(&r);
}

static void
test_bytes(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {'a', 0, 'b', 'c', 'd'};
	const char *p;

	/* n == 0 is valid anywhere, including at the very end */
	start(&r, v, 5);
	p = wire_bytes(&r, 0);
	CHECK(p == (const char *) cur);
	CHECK_INT(wire_ok(&r), 1);
	p = wire_bytes(&r, 2);
	CHECK(p == (const char *) cur);
	CHECK(p && memcmp(p, "a\0", 2) == 0);
	p = wire_bytes(&r, 3);
	CHECK(p == (const char *) cur + 2);
	CHECK_INT(wire_end(&r), 1);
	p = wire_bytes(&r, 0);
	CHECK(p == (const char *) cur + 5);
	CHECK_INT(wire_end(&r), 1);

	/* over an empty message */
	start(&r, v, 0);
	CHECK(wire_bytes(&r, 0) != NULL);
	CHECK_INT(wire_end(&r), 1);

	/* one byte short */
	start(&r, v, 5);
	CHECK(wire_bytes(&r, 6) == NULL);
	check_all_fail(&r);
	start(&r, v, 5);
	(void) wire_u8(&r);
	CHECK(wire_bytes(&r, 5) == NULL);
	check_all_fail(&r);

	/* an absurd length does not wrap around */
	start(&r, v, 5);
	(void) wire_u8(&r);
	CHECK(wire_bytes(&r, SIZE_MAX) == NULL);
	check_all_fail(&r);
}

static void
test_cstring(void)
{
	struct wire_reader r;
	static const char v[] = "abc\0\0xyz";	/* "abc", "", "xyz" + its NUL */
	size_t		len = 99;
	const char *p;

	start(&r, v, 9);
	p = wire_cstring(&r, &len);
	CHECK_STR(p, "abc");
	CHECK(p == (const char *) cur);
	CHECK_INT(len, 3);
	p = wire_cstring(&r, &len);
	CHECK_STR(p, "");
	CHECK(p == (const char *) cur + 4);
	CHECK_INT(len, 0);
	p = wire_cstring(&r, NULL);
	CHECK_STR(p, "xyz");
	CHECK_INT(wire_end(&r), 1);
	/* at the end: no NUL left */
	CHECK(wire_cstring(&r, &len) == NULL);
	check_all_fail(&r);

	/* the NUL is one byte past the end of the message */
	start(&r, v, 3);
	len = 99;
	CHECK(wire_cstring(&r, &len) == NULL);
	CHECK_INT(len, 99);
	check_all_fail(&r);

	/* a lone NUL is the empty string */
	start(&r, v + 3, 1);
	p = wire_cstring(&r, &len);
	CHECK_STR(p, "");
	CHECK_INT(len, 0);
	CHECK_INT(wire_end(&r), 1);

	/* after a string, a failed read still breaks everything */
	start(&r, v, 5);
	CHECK_STR(wire_cstring(&r, NULL), "abc");
	CHECK_INT(wire_u16(&r), 0);
	check_all_fail(&r);
}

/* A failed read is sticky even though later, smaller reads would fit. */
static void
test_sticky(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {1, 2, 3, 'x', 0};

	start(&r, v, 5);
	CHECK_INT(wire_u8(&r), 1);
	CHECK(wire_u64(&r) == 0);	/* 4 left: too short */
	CHECK_INT(wire_ok(&r), 0);
	/* every reader now fails, though a u8, u16 or string would fit */
	check_all_fail(&r);

	start(&r, v, 5);
	CHECK(wire_bytes(&r, 6) == NULL);
	CHECK_INT(wire_u8(&r), 0);
	CHECK_INT(wire_ok(&r), 0);
}

/* wire_end() distinguishes "all consumed" from "bytes left over". */
static void
test_end(void)
{
	struct wire_reader r;
	static const unsigned char v[] = {0, 1, 2};

	start(&r, v, 3);
	CHECK_INT(wire_u16(&r), 1);
	CHECK_INT(wire_ok(&r), 1);
	CHECK_INT(wire_end(&r), 0);
	CHECK_INT(wire_remaining(&r), 1);
	CHECK_INT(wire_u8(&r), 2);
	CHECK_INT(wire_end(&r), 1);
	CHECK_INT(wire_remaining(&r), 0);
}

int
main(void)
{
	test_u8();
	test_u16();
	test_u32();
	test_u64();
	test_bytes();
	test_cstring();
	test_sticky();
	test_end();
	free(cur);
	return TEST_REPORT("test_wire");
}

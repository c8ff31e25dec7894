/*
 * test_buf.c — unit tests for buf.c: growth, NUL termination, binary
 * contents, the hard size cap and its sticky failure, reset, printf,
 * take and truncate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "testhelp.h"

/* A fresh buffer owns nothing and is not failed. */
static void
test_init(void)
{
	struct buf	b;

	buf_init(&b, 0);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
	CHECK(b.max == BUF_DEFAULT_MAX);
	CHECK_INT(buf_failed(&b), 0);
	buf_free(&b);

	buf_init(&b, 77);
	CHECK_INT(b.max, 77);
	buf_free(&b);
	CHECK(b.data == NULL);
}

/* Appends of every kind, and growth well past the first allocation. */
static void
test_append_and_growth(void)
{
	struct buf	b;
	size_t		i;
	int			ok = 1;

	buf_init(&b, 0);
	buf_append(&b, "abc", 3);
	CHECK_INT(b.len, 3);
	CHECK_STR(b.data, "abc");
	CHECK(b.data[3] == '\0');
	CHECK(b.cap > b.len);

	buf_putc(&b, 'd');
	buf_puts(&b, "ef");
	buf_lit(&b, "gh");
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "abcdefgh");

	/* zero-length append changes nothing */
	buf_append(&b, "zzz", 0);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "abcdefgh");

	/* grow byte by byte through several doublings; check every byte */
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
	{
		buf_putc(&b, (char) ('a' + i % 26));
		if (b.data[b.len] != '\0' || b.cap <= b.len)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(b.len, 100000);
	CHECK_INT(buf_failed(&b), 0);
	for (i = 0; i < 100000; i++)
		if (b.data[i] != (char) ('a' + i % 26))
			break;
	CHECK_INT(i, 100000);
	CHECK(b.data[100000] == '\0');

	/* one big append on top */
	{
		char	   *big = malloc(300000);

		memset(big, 'Q', 300000);
		buf_append(&b, big, 300000);
		free(big);
	}
	CHECK_INT(b.len, 400000);
	CHECK(b.data[99999] == (char) ('a' + 99999 % 26));
	CHECK(b.data[100000] == 'Q');
	CHECK(b.data[399999] == 'Q');
	CHECK(b.data[400000] == '\0');
	CHECK(b.cap > 400000);
	buf_free(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
}

/* buf_putc and buf_append exactly at the edge of the allocation. */
static void
test_edge_of_capacity(void)
{
	struct buf	b;
	size_t		cap;
	char		fill[4096];

	memset(fill, 'x', sizeof(fill));
	buf_init(&b, 0);
	buf_putc(&b, 'x');
	cap = b.cap;
	CHECK(cap >= 2);
	/* fill up to the last byte that still leaves room for the NUL */
	buf_append(&b, fill, cap - 2);
	CHECK_INT(b.len, cap - 1);
	CHECK_INT(b.cap, cap);
	CHECK(b.data[cap - 1] == '\0');
	/* the next byte needs more memory */
	buf_putc(&b, 'y');
	CHECK_INT(b.len, cap);
	CHECK(b.cap > cap);
	CHECK(b.data[cap - 1] == 'y');
	CHECK(b.data[cap] == '\0');
	CHECK(b.data[cap - 2] == 'x');
	buf_free(&b);

	/* the same with buf_append of one byte */
	buf_init(&b, 0);
	buf_putc(&b, 'x');
	cap = b.cap;
	buf_append(&b, fill, cap - 2);
	buf_append(&b, "y", 1);
	CHECK_INT(b.len, cap);
	CHECK(b.data[cap - 1] == 'y');
	CHECK(b.data[cap] == '\0');
	buf_free(&b);
}

/* Contents are binary-safe: NULs inside are kept and counted. */
static void
test_binary(void)
{
	struct buf	b;
	static const char bin[] = {'a', '\0', 'b', '\0', '\0', 'c', '\xff', '\x80'};
	unsigned char all[256];

	buf_init(&b, 0);
	buf_append(&b, bin, sizeof(bin));
	buf_putc(&b, '\0');
	CHECK_INT(b.len, sizeof(bin) + 1);
	CHECK(memcmp(b.data, bin, sizeof(bin)) == 0);
	CHECK(b.data[sizeof(bin)] == '\0');
	CHECK(b.data[sizeof(bin) + 1] == '\0');
	CHECK_INT(strlen(b.data), 1);

	buf_reset(&b);
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char) i;
	buf_append(&b, all, sizeof(all));
	buf_append(&b, all, sizeof(all));
	CHECK_INT(b.len, 512);
	CHECK(memcmp(b.data, all, 256) == 0);
	CHECK(memcmp(b.data + 256, all, 256) == 0);
	CHECK(b.data[512] == '\0');
	buf_free(&b);
}

/*
 * The hard cap: len may reach max, an append that would pass it marks
 * the buffer failed and changes nothing, and every later append is a
 * no-op; buf_take then returns NULL and frees the memory.
 */
static void
test_max(void)
{
	struct buf	b;
	char	   *p;

	buf_init(&b, 10);
	buf_append(&b, "0123456789", 10);
	CHECK_INT(buf_failed(&b), 0);
	CHECK_INT(b.len, 10);
	CHECK_STR(b.data, "0123456789");
	CHECK(b.cap <= b.max + 1);	/* never allocates past the cap */

	buf_putc(&b, 'X');
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 10);
	CHECK_STR(b.data, "0123456789");

	/*
	 * Later appends of every kind are no-ops, even small ones that would
	 * fit in the memory already allocated: the unit being built is
	 * already incomplete.
	 */
	buf_free(&b);
	buf_init(&b, 100);
	for (int i = 0; i < 9; i++)
		buf_lit(&b, "0123456789");
	CHECK_INT(b.len, 90);
	buf_lit(&b, "01234567890123456789");	/* 110 > 100: fails */
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 90);
	CHECK(b.cap - b.len > 2);	/* "B" alone would fit in the memory */
	buf_append(&b, "B", 1);
	buf_putc(&b, 'C');
	buf_puts(&b, "D");
	buf_lit(&b, "E");
	buf_printf(&b, "%d", 7);
	CHECK_INT(b.len, 90);
	CHECK(b.data[89] == '9');
	CHECK(b.data[90] == '\0');
	CHECK_INT(buf_grow(&b, 1), -1);
	CHECK_INT(buf_failed(&b), 1);

	p = buf_take(&b);
	CHECK(p == NULL);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);

	/* one append larger than the cap fails at once and appends nothing */
	buf_init(&b, 10);
	buf_append(&b, "abc", 3);
	buf_append(&b, "01234567890", 11);
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 3);
	CHECK_STR(b.data, "abc");
	buf_free(&b);

	/* buf_grow itself reports the cap */
	buf_init(&b, 10);
	CHECK_INT(buf_grow(&b, 10), 0);
	CHECK_INT(buf_failed(&b), 0);
	CHECK_INT(buf_grow(&b, 11), -1);
	CHECK_INT(buf_failed(&b), 1);
	buf_free(&b);

	/* a size that would overflow len + n is refused, not wrapped */
	buf_init(&b, 0);
	buf_append(&b, "abc", 3);
	CHECK_INT(buf_grow(&b, SIZE_MAX), -1);
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 3);
	buf_free(&b);

	/* buf_printf past the cap */
	buf_init(&b, 10);
	buf_printf(&b, "%s", "0123456789");
	CHECK_INT(buf_failed(&b), 0);
	CHECK_STR(b.data, "0123456789");
	buf_reset(&b);
	buf_printf(&b, "%s", "01234567890");
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 0);
	CHECK(b.data[b.len] == '\0');	/* still NUL-terminated at len */
	p = buf_take(&b);
	CHECK(p == NULL);
	CHECK(b.data == NULL);
}

/* buf_reset clears the failure and keeps the memory. */
static void
test_reset(void)
{
	struct buf	b;
	char	   *data;
	size_t		cap;

	buf_init(&b, 1000);
	for (int i = 0; i < 90; i++)
		buf_lit(&b, "0123456789");
	data = b.data;
	cap = b.cap;
	CHECK_INT(b.len, 900);
	buf_lit(&b, "01234567890123456789");
	buf_lit(&b, "0123456789012345678901234567890123456789"
			"0123456789012345678901234567890123456789"
			"0123456789012345678901234567890123456789");
	CHECK_INT(buf_failed(&b), 1);
	CHECK_INT(b.len, 920);

	buf_reset(&b);
	CHECK_INT(buf_failed(&b), 0);
	CHECK_INT(b.len, 0);
	CHECK(b.data == data);
	CHECK_INT(b.cap, cap);
	CHECK_STR(b.data, "");

	buf_lit(&b, "again");
	CHECK_STR(b.data, "again");
	CHECK(b.data == data);
	CHECK_INT(b.cap, cap);

	/* reset of a never-used buffer is harmless */
	buf_free(&b);
	buf_init(&b, 0);
	buf_reset(&b);
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	buf_free(&b);
}

static void
test_printf(void)
{
	struct buf	b;
	char		big[5000];
	size_t		cap;

	/* printf onto a buffer that has no memory yet */
	buf_init(&b, 0);
	buf_printf(&b, "%d-%s-%c-%05.1f", -42, "x", 'y', 2.5);
	CHECK_STR(b.data, "-42-x-y-002.5");
	CHECK_INT(b.len, 13);
	buf_printf(&b, "%s", "");
	CHECK_INT(b.len, 13);
	buf_printf(&b, "|%llu|", (unsigned long long) UINT64_MAX);
	CHECK_STR(b.data, "-42-x-y-002.5|18446744073709551615|");
	buf_free(&b);

	/* long output that needs growth, after existing contents */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 0);
	buf_lit(&b, "head:");
	buf_printf(&b, "%s:%d", big, 12345);
	CHECK_INT(b.len, 5 + 4999 + 6);
	CHECK(memcmp(b.data, "head:", 5) == 0);
	CHECK(b.data[5] == 'b' && b.data[5 + 4998] == 'b');
	CHECK_STR(b.data + 5 + 4999, ":12345");
	CHECK_INT(strlen(b.data), b.len);
	buf_free(&b);

	/* output that exactly fills the allocation, then one more byte */
	buf_init(&b, 0);
	buf_putc(&b, '<');
	cap = b.cap;
	buf_printf(&b, "%.*s", (int) (cap - 2), big);
	CHECK_INT(b.len, cap - 1);
	CHECK_INT(b.cap, cap);		/* fitted without growing */
	CHECK(b.data[cap - 1] == '\0');
	buf_printf(&b, "%c", '>');
	CHECK_INT(b.len, cap);
	CHECK(b.cap > cap);
	CHECK(b.data[0] == '<');
	CHECK(b.data[cap - 2] == 'b');
	CHECK(b.data[cap - 1] == '>');
	CHECK(b.data[cap] == '\0');
	buf_free(&b);

	/* output one byte too long for the free space */
	buf_init(&b, 0);
	buf_putc(&b, '<');
	cap = b.cap;
	buf_printf(&b, "%.*s", (int) (cap - 1), big);
	CHECK_INT(b.len, cap);
	CHECK(b.cap > cap);
	CHECK(b.data[cap - 1] == 'b');
	CHECK(b.data[cap] == '\0');
	CHECK_INT(strlen(b.data), cap);
	buf_free(&b);
}

static void
test_take(void)
{
	struct buf	b;
	char	   *p;
	char	   *q;

	buf_init(&b, 0);
	buf_lit(&b, "owned");
	p = buf_take(&b);
	CHECK_STR(p, "owned");
	CHECK(b.data == NULL);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 0);
	CHECK_INT(buf_failed(&b), 0);

	/* the buffer can be reused and does not share memory with p */
	buf_lit(&b, "next");
	CHECK_STR(b.data, "next");
	CHECK(b.data != p);
	CHECK_STR(p, "owned");
	q = buf_take(&b);
	CHECK_STR(q, "next");
	free(p);
	free(q);

	/* taking an empty, never-grown buffer gives "" that must be freed */
	buf_init(&b, 0);
	p = buf_take(&b);
	CHECK(p != NULL);
	CHECK_STR(p, "");
	free(p);

	/* binary contents survive the transfer */
	buf_init(&b, 0);
	buf_append(&b, "a\0b", 3);
	p = buf_take(&b);
	CHECK(p != NULL && memcmp(p, "a\0b", 4) == 0);
	free(p);
	buf_free(&b);
}

static void
test_truncate(void)
{
	struct buf	b;

	buf_init(&b, 0);
	buf_lit(&b, "abcdef");
	buf_truncate(&b, 6);
	CHECK_INT(b.len, 6);
	CHECK_STR(b.data, "abcdef");
	buf_truncate(&b, 100);		/* past the end: no change */
	CHECK_INT(b.len, 6);
	CHECK_STR(b.data, "abcdef");
	buf_truncate(&b, 2);
	CHECK_INT(b.len, 2);
	CHECK_STR(b.data, "ab");
	CHECK(b.data[2] == '\0');
	buf_lit(&b, "XY");
	CHECK_STR(b.data, "abXY");
	buf_truncate(&b, 0);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	buf_free(&b);

	/* truncating an empty buffer with no memory is harmless */
	buf_init(&b, 0);
	buf_truncate(&b, 0);
	CHECK_INT(b.len, 0);
	CHECK(b.data == NULL);
	buf_free(&b);
}

int
main(void)
{
	test_init();
	test_append_and_growth();
	test_edge_of_capacity();
	test_binary();
	test_max();
	test_reset();
	test_printf();
	test_take();
	test_truncate();
	return TEST_REPORT("test_buf");
}

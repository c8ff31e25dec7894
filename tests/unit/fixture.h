/*
 * fixture.h — reading a line of tests/fixtures/pgoutput/NAME.hex:
 * "<LSN> <hex>", the message's WAL position as PostgreSQL prints it
 * (uppercase hex "X/X") and the message in lowercase hex.  Shared by
 * test_decoder (every message decodes) and test_golden (the events
 * they make).
 */
#ifndef WALCAP_TEST_FIXTURE_H
#define WALCAP_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* Value of an uppercase (LSN) or lowercase (message) hex digit, or -1. */
static inline int
fixture_digit(int c, int upper)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= (upper ? 'A' : 'a') && c <= (upper ? 'F' : 'f'))
		return c - (upper ? 'A' : 'a') + 10;
	return -1;
}

/*
 * Parse line[0..len) (no newline) into *lsn and bytes (room for len / 2),
 * *nb bytes.  0, or -1 with *why saying what is wrong with the line.
 */
static inline int
fixture_line(const char *line, size_t len, uint64_t *lsn, unsigned char *bytes,
			 size_t *nb, const char **why)
{
	uint64_t	half[2] = {0, 0};
	size_t		i = 0;

	for (int h = 0; h < 2; h++)
	{
		size_t		start = i;

		for (; i < len && i - start < 8 && fixture_digit(line[i], 1) >= 0; i++)
			half[h] = half[h] << 4 | (uint64_t) fixture_digit(line[i], 1);
		if (i == start || i == len || line[i] != (h == 0 ? '/' : ' '))
			return *why = "not \"<LSN> <hex>\"", -1;
		i++;
	}
	*lsn = half[0] << 32 | half[1];
	if ((len - i) % 2 != 0)
		return *why = "odd number of hex digits", -1;
	*nb = 0;
	for (; i < len; i += 2)
	{
		int			hi = fixture_digit(line[i], 0);
		int			lo = fixture_digit(line[i + 1], 0);

		if (hi < 0 || lo < 0)
			return *why = "not lowercase hex", -1;
		bytes[(*nb)++] = (unsigned char) (hi << 4 | lo);
	}
	return 0;
}

#endif

/*
 * lsn.c — LSN parsing; see lsn.h.
 */
#include "lsn.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

static int
parse_half(const char *s, const char **end, uint32_t *out)
{
	char	   *e;
	unsigned long v;

	if (!isxdigit((unsigned char) *s))
		return -1;
	errno = 0;
	v = strtoul(s, &e, 16);
	if (errno || e - s > 8 || v > 0xFFFFFFFFul)
		return -1;
	*end = e;
	*out = (uint32_t) v;
	return 0;
}

int
lsn_parse(const char *s, uint64_t *out)
{
	uint32_t	hi, lo;
	const char *p;

	if (parse_half(s, &p, &hi) != 0 || *p != '/')
		return -1;
	if (parse_half(p + 1, &p, &lo) != 0 || *p != '\0')
		return -1;
	*out = (uint64_t) hi << 32 | lo;
	return 0;
}

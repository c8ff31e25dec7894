/*
 * lsn.c — LSN parsing; see lsn.h.
 */
#include "lsn.h"

#include <ctype.h>

/*
 * 1 to 8 hex digits and nothing else: strtoul would also take a sign,
 * leading blanks and "0x", which PostgreSQL's pg_lsn input refuses.
 */
static int
parse_half(const char *s, const char **end, uint32_t *out)
{
	uint32_t	v = 0;
	int			n = 0;

	for (; isxdigit((unsigned char) *s); s++, n++)
	{
		if (n == 8)
			return -1;
		v = v << 4 | (uint32_t) (isdigit((unsigned char) *s) ? *s - '0' :
								 (tolower((unsigned char) *s) - 'a' + 10));
	}
	if (n == 0)
		return -1;
	*end = s;
	*out = v;
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

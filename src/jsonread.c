/*
 * jsonread.c — strict JSON reader; see jsonread.h.
 *
 * Recursive descent over a NUL-terminated text.  Strings are decoded in
 * place of a copy the size of the input, so no string can outgrow it.
 */
#include "jsonread.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser
{
	const char *start;
	const char *p;
	char	   *err;
	size_t		errlen;
	int			failed;
};

static int
fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "not valid JSON at offset %ld: %s",
				 (long) (ps->p - ps->start), what);
	ps->failed = 1;
	return -1;
}

static void
skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static void
value_free(struct jsonread_value *v)
{
	for (size_t i = 0; i < v->n; i++)
		value_free(&v->kids[i]);
	free(v->kids);
	free(v->str);
	free(v->key);
	memset(v, 0, sizeof(*v));
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned	v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned) (c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static int
utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef)
	{
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
			return 0;			/* overlong, or a surrogate */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4)
	{
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static char *
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80)
		*o++ = (char) cp;
	else if (cp < 0x800)
	{
		*o++ = (char) (0xc0 | (cp >> 6));
		*o++ = (char) (0x80 | (cp & 0x3f));
	}
	else if (cp < 0x10000)
	{
		*o++ = (char) (0xe0 | (cp >> 12));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char) (0x80 | (cp & 0x3f));
	}
	else
	{
		*o++ = (char) (0xf0 | (cp >> 18));
		*o++ = (char) (0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char) (0x80 | (cp & 0x3f));
	}
	return o;
}

/* A string at ps->p (the opening quote) into a new allocation. */
static char *
parse_string(struct parser *ps)
{
	const char *q = ps->p + 1;
	size_t		raw = 0;
	char	   *out, *o;

	while (q[raw] && q[raw] != '"')
		raw += q[raw] == '\\' && q[raw + 1] ? 2 : 1;
	if ((out = malloc(raw + 1)) == NULL)
	{
		fail(ps, "out of memory");
		return NULL;
	}
	o = out;
	ps->p++;
	for (;;)
	{
		unsigned char c = (unsigned char) *ps->p;

		if (c == '"')
		{
			ps->p++;
			*o = '\0';
			return out;
		}
		if (c == '\0')
		{
			fail(ps, "unterminated string");
			break;
		}
		if (c < 0x20)
		{
			fail(ps, "a control character inside a string");
			break;
		}
		if (c == '\\')
		{
			unsigned	cp, lo;

			ps->p++;
			switch (*ps->p)
			{
				case '"': *o++ = '"'; break;
				case '\\': *o++ = '\\'; break;
				case '/': *o++ = '/'; break;
				case 'b': *o++ = '\b'; break;
				case 'f': *o++ = '\f'; break;
				case 'n': *o++ = '\n'; break;
				case 'r': *o++ = '\r'; break;
				case 't': *o++ = '\t'; break;
				case 'u':
					if (hex4(ps->p + 1, &cp) != 0)
					{
						fail(ps, "\\u needs 4 hex digits");
						goto bad;
					}
					ps->p += 4;
					if (cp >= 0xdc00 && cp <= 0xdfff)
					{
						fail(ps, "a lone low surrogate");
						goto bad;
					}
					if (cp >= 0xd800 && cp <= 0xdbff)
					{
						if (ps->p[1] != '\\' || ps->p[2] != 'u' || hex4(ps->p + 3, &lo) != 0 ||
							lo < 0xdc00 || lo > 0xdfff)
						{
							fail(ps, "a high surrogate without its low surrogate");
							goto bad;
						}
						ps->p += 6;
						cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					}
					if (cp == 0)
					{
						fail(ps, "\\u0000 is not allowed");
						goto bad;
					}
					o = put_utf8(o, cp);
					break;
				default:
					fail(ps, "an unknown escape");
					goto bad;
			}
			ps->p++;
			continue;
		}
		{
			int			n = utf8_len((const unsigned char *) ps->p);

			if (n == 0)
			{
				fail(ps, "invalid UTF-8");
				break;
			}
			memcpy(o, ps->p, (size_t) n);
			o += n;
			ps->p += n;
		}
	}
bad:
	free(out);
	return NULL;
}

static int parse_value(struct parser *ps, struct jsonread_value *v, int depth);

static int
add_kid(struct parser *ps, struct jsonread_value *v, size_t *cap)
{
	if (v->n == *cap)
	{
		size_t		nc = *cap ? *cap * 2 : 4;
		struct jsonread_value *k = realloc(v->kids, nc * sizeof(*k));

		if (k == NULL)
			return fail(ps, "out of memory");
		v->kids = k;
		*cap = nc;
	}
	memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
	v->n++;
	return 0;
}

static int
parse_container(struct parser *ps, struct jsonread_value *v, int depth)
{
	int			obj = *ps->p == '{';
	char		close = obj ? '}' : ']';
	size_t		cap = 0;

	if (depth >= JSONREAD_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	v->type = obj ? JSONREAD_OBJECT : JSONREAD_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close)
	{
		ps->p++;
		return 0;
	}
	for (;;)
	{
		struct jsonread_value *k;
		char	   *key = NULL;

		if (obj)
		{
			if (*ps->p != '"')
				return fail(ps, "expected a member name");
			if ((key = parse_string(ps)) == NULL)
				return -1;
			skip_ws(ps);
			if (*ps->p != ':')
			{
				free(key);
				return fail(ps, "expected ':'");
			}
			ps->p++;
		}
		if (add_kid(ps, v, &cap) != 0)
		{
			free(key);
			return -1;
		}
		k = &v->kids[v->n - 1];
		k->key = key;
		if (parse_value(ps, k, depth + 1) != 0)
			return -1;
		skip_ws(ps);
		if (*ps->p == ',')
		{
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (*ps->p == close)
		{
			ps->p++;
			return 0;
		}
		return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
parse_number(struct parser *ps, struct jsonread_value *v)
{
	const char *s = ps->p;

	if (*ps->p == '-')
		ps->p++;
	if (*ps->p == '0')
		ps->p++;
	else if (*ps->p >= '1' && *ps->p <= '9')
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	else
		return fail(ps, "expected a digit");
	if (*ps->p == '.')
	{
		ps->p++;
		if (*ps->p < '0' || *ps->p > '9')
			return fail(ps, "expected a digit after '.'");
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (*ps->p == 'e' || *ps->p == 'E')
	{
		ps->p++;
		if (*ps->p == '+' || *ps->p == '-')
			ps->p++;
		if (*ps->p < '0' || *ps->p > '9')
			return fail(ps, "expected a digit in the exponent");
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	v->type = JSONREAD_NUMBER;
	if ((v->str = strndup(s, (size_t) (ps->p - s))) == NULL)
		return fail(ps, "out of memory");
	return 0;
}

static int
parse_value(struct parser *ps, struct jsonread_value *v, int depth)
{
	skip_ws(ps);
	switch (*ps->p)
	{
		case '{':
		case '[':
			return parse_container(ps, v, depth);
		case '"':
			v->type = JSONREAD_STRING;
			return (v->str = parse_string(ps)) ? 0 : -1;
		case 't':
			if (strncmp(ps->p, "true", 4) != 0)
				break;
			ps->p += 4;
			v->type = JSONREAD_TRUE;
			return 0;
		case 'f':
			if (strncmp(ps->p, "false", 5) != 0)
				break;
			ps->p += 5;
			v->type = JSONREAD_FALSE;
			return 0;
		case 'n':
			if (strncmp(ps->p, "null", 4) != 0)
				break;
			ps->p += 4;
			v->type = JSONREAD_NULL;
			return 0;
		case '\0':
			return fail(ps, "unexpected end");
		default:
			if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
				return parse_number(ps, v);
	}
	return fail(ps, "expected a value");
}

int
jsonread_parse(struct jsonread_doc *d, const char *text, char *err, size_t errlen)
{
	struct parser ps = {text, text, err, errlen, 0};

	d->root = NULL;
	if (strlen(text) > JSONREAD_MAX_BYTES)
	{
		snprintf(err, errlen, "not valid JSON: longer than %d bytes", JSONREAD_MAX_BYTES);
		return -1;
	}
	if ((d->root = calloc(1, sizeof(*d->root))) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (parse_value(&ps, d->root, 0) == 0)
	{
		skip_ws(&ps);
		if (*ps.p == '\0')
			return 0;
		fail(&ps, "text after the value");
	}
	jsonread_free(d);
	return -1;
}

void
jsonread_free(struct jsonread_doc *d)
{
	if (d->root)
	{
		value_free(d->root);
		free(d->root);
	}
	d->root = NULL;
}

const struct jsonread_value *
jsonread_root(const struct jsonread_doc *d)
{
	return d->root;
}

const struct jsonread_value *
jsonread_get(const struct jsonread_value *v, const char *key)
{
	const struct jsonread_value *found = NULL;

	if (v == NULL || v->type != JSONREAD_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->kids[i].key, key) == 0)
			found = &v->kids[i];
	return found;
}

size_t
jsonread_array_len(const struct jsonread_value *v)
{
	return v && v->type == JSONREAD_ARRAY ? v->n : 0;
}

const struct jsonread_value *
jsonread_array_get(const struct jsonread_value *v, size_t i)
{
	return v && v->type == JSONREAD_ARRAY && i < v->n ? &v->kids[i] : NULL;
}

const char *
jsonread_string(const struct jsonread_value *v)
{
	return v && (v->type == JSONREAD_STRING || v->type == JSONREAD_NUMBER) ? v->str : NULL;
}

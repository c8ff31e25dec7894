/*
 * columns.c — column lists and mappers; see columns.h.
 */
#include "columns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "convert.h"
#include "json.h"
#include "relcache.h"

#define OID_CHAR 18
#define OID_NAME 19
#define OID_TEXT 25
#define OID_BPCHAR 1042
#define OID_VARCHAR 1043

static int
fail(char *err, size_t errlen, const char *key, const char *what)
{
	snprintf(err, errlen, "%s: %s", key, what);
	return -1;
}

/* A positive decimal count at *p, up to end (exclusive); -1 if none. */
static int
parse_count(const char *p, const char *end)
{
	long		v = 0;

	if (p == end)
		return -1;
	for (; p < end; p++)
	{
		if (!isdigit((unsigned char) *p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > 1000000)
			return -1;
	}
	return (int) v;
}

/* "<prefix><N><suffix>": N, or -1 if key is not of that form. */
static int
count_key(const char *key, const char *prefix, const char *suffix)
{
	size_t		pl = strlen(prefix),
				sl = strlen(suffix),
				kl = strlen(key);

	if (kl <= pl + sl || strncmp(key, prefix, pl) != 0 || strcmp(key + kl - sl, suffix) != 0)
		return -1;
	return parse_count(key + pl, key + kl - sl);
}

static void
rule_free(struct column_rule *r)
{
	filter_patterns_free(&r->cols);
	free(r->key);
	free(r->value);
	free(r->algorithm);
	free(r->salt);
	EVP_MD_CTX_free(r->md_ctx);
	if (r->scratch)
		buf_free(r->scratch);
	free(r->scratch);
}

int
columns_add_rule(struct columns *c, const char *key, const char *value,
				 char *err, size_t errlen)
{
	static const char hash_prefix[] = "column.mask.hash.";
	struct column_rule r;
	struct column_rule *grown;

	memset(&r, 0, sizeof(r));
	if (strncmp(key, "column.mask.with.", 17) == 0)
	{
		r.kind = COLUMN_MASK;
		if ((r.n = count_key(key, "column.mask.with.", ".chars")) < 0)
			return fail(err, errlen, key, "not a mask key: write column.mask.with.<N>.chars with N a count of characters");
	}
	else if (strncmp(key, "column.truncate.to.", 19) == 0)
	{
		r.kind = COLUMN_TRUNCATE;
		if ((r.n = count_key(key, "column.truncate.to.", ".chars")) < 0)
			return fail(err, errlen, key, "not a truncation key: write column.truncate.to.<N>.chars with N a count of characters");
	}
	else if (strncmp(key, hash_prefix, sizeof(hash_prefix) - 1) == 0)
	{
		const char *alg = key + sizeof(hash_prefix) - 1;
		const char *with;

		r.kind = COLUMN_HASH;
		if (strncmp(alg, "v2.", 3) == 0)
		{
			r.v2 = 1;
			alg += 3;
		}
		else if (strncmp(alg, "v1.", 3) == 0)
			alg += 3;
		with = strstr(alg, ".with.salt.");
		if (with == NULL || with == alg || with[11] == '\0')
			return fail(err, errlen, key, "not a hash key: write column.mask.hash.<algorithm>.with.salt.<salt> (or column.mask.hash.v2.…)");
		r.algorithm = strndup(alg, (size_t) (with - alg));
		r.salt = strdup(with + 11);
		if (r.algorithm && (r.md = EVP_get_digestbyname(r.algorithm)) == NULL)
		{
			snprintf(err, errlen, "%s: \"%s\" is not a hash algorithm OpenSSL knows (use a Java MessageDigest name such as MD5, SHA-1, SHA-256, SHA-512)",
					 key, r.algorithm);
			free(r.algorithm);
			free(r.salt);
			return -1;
		}
	}
	else
		return 1;
	r.key = strdup(key);
	r.value = strdup(value);
	if (r.key == NULL || r.value == NULL || (r.kind == COLUMN_HASH && (r.algorithm == NULL || r.salt == NULL)))
		fail(err, errlen, key, "out of memory");
	else if (filter_patterns_set(&r.cols, key, value, err, errlen) != 0)
		;
	else if (r.cols.n == 0)
		fail(err, errlen, key, "no columns: the value is the list of schema.table.column patterns it applies to");
	else if (r.kind == COLUMN_HASH &&
			 ((r.md_ctx = EVP_MD_CTX_new()) == NULL || (r.scratch = calloc(1, sizeof(struct buf))) == NULL))
		fail(err, errlen, key, "out of memory");
	else if ((grown = realloc(c->rules, sizeof(*grown) * (size_t) (c->nrules + 1))) == NULL)
		fail(err, errlen, key, "out of memory");
	else
	{
		if (r.scratch)
			buf_init(r.scratch, 0);
		goto ok;
	}
	rule_free(&r);
	return -1;
ok:
	c->rules = grown;
	/* a key set again replaces its earlier rule, keeping its place */
	for (int i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].key, key) == 0)
		{
			rule_free(&c->rules[i]);
			c->rules[i] = r;
			return 0;
		}
	c->rules[c->nrules++] = r;
	return 0;
}

void
columns_free(struct columns *c)
{
	for (int i = 0; i < c->nrules; i++)
		rule_free(&c->rules[i]);
	free(c->rules);
	c->rules = NULL;
	c->nrules = 0;
	filter_patterns_free(&c->include);
	filter_patterns_free(&c->exclude);
}

int
columns_active(const struct columns *c)
{
	return c->nrules > 0 || c->include.n > 0 || c->exclude.n > 0;
}

/* The type a column's value is, through a domain. */
static uint32_t
col_type(const struct relcache_col *col)
{
	return col->base_typid ? col->base_typid : col->typid;
}

/* Debezium's MaskStrings applies to the JDBC character types only. */
static int
is_character(const struct relcache_col *col)
{
	uint32_t	t = col_type(col);

	return col->conv.kind == CONVERT_STRING &&
		(t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR || t == OID_CHAR || t == OID_NAME);
}

/* A declared length (varchar(n), char(n)), or -1 for none. */
static int
declared_length(const struct relcache_col *col)
{
	uint32_t	t = col_type(col);

	if ((t == OID_VARCHAR || t == OID_BPCHAR) && col->typmod >= 4)
		return col->typmod - 4;
	if (t == OID_CHAR)
		return 1;
	return -1;
}

/* Whether rule r changes values of col at all. */
static int
applies(const struct column_rule *r, const struct relcache_col *col)
{
	int			len;

	switch (r->kind)
	{
		case COLUMN_MASK:
		case COLUMN_HASH:
			return is_character(col);
		case COLUMN_TRUNCATE:
			if (col->conv.kind != CONVERT_STRING && col->conv.kind != CONVERT_BYTEA)
				return 0;
			/* TruncateColumn: only when the column may hold longer values */
			len = declared_length(col);
			return len < 0 || len > r->n;
	}
	return 0;
}

int
columns_bind(const struct columns *c, struct relcache_rel *rel)
{
	struct buf	name;
	size_t		base;

	if (!columns_active(c))
		return 0;
	buf_init(&name, 0);
	buf_printf(&name, "%s.%s.", rel->schema, rel->table);
	base = name.len;
	for (int i = 0; i < rel->ncols; i++)
	{
		struct relcache_col *col = &rel->cols[i];

		buf_truncate(&name, base);
		buf_puts(&name, col->name);
		buf_putc(&name, '\0');
		if (buf_failed(&name))
		{
			buf_free(&name);
			return -1;
		}
		col->excluded = 0;
		col->rule = NULL;
		if (c->include.n > 0 && !filter_patterns_match(&c->include, name.data))
			col->excluded = 1;
		if (c->exclude.n > 0 && filter_patterns_match(&c->exclude, name.data))
			col->excluded = 1;
		for (int j = 0; j < c->nrules && !col->excluded; j++)
			if (filter_patterns_match(&c->rules[j].cols, name.data))
			{
				if (applies(&c->rules[j], col))
					col->rule = &c->rules[j];
				break;
			}
	}
	buf_free(&name);
	return 0;
}

/*
 * The bytes Java's ObjectOutputStream writes for a String, which
 * Debezium's default (V1) hash digests: the stream header, then the
 * string in modified UTF-8 (NUL as C0 80, characters past U+FFFF as
 * two three-byte surrogates), its length first.
 */
static void
java_serialized(struct buf *b, const char *s, size_t len)
{
	size_t		at,
				mlen;

	buf_append(b, "\xac\xed\x00\x05", 4);
	at = b->len;
	buf_append(b, "\x74\x00\x00", 3);	/* TC_STRING, u16 length (patched) */
	for (size_t i = 0; i < len;)
	{
		unsigned char c = (unsigned char) s[i];
		uint32_t	cp;
		int			n;

		if (c < 0x80)
			cp = c, n = 1;
		else if ((c & 0xe0) == 0xc0 && i + 1 < len)
			cp = (uint32_t) (c & 0x1f) << 6 | (s[i + 1] & 0x3f), n = 2;
		else if ((c & 0xf0) == 0xe0 && i + 2 < len)
			cp = (uint32_t) (c & 0x0f) << 12 | (uint32_t) (s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f), n = 3;
		else if ((c & 0xf8) == 0xf0 && i + 3 < len)
			cp = (uint32_t) (c & 0x07) << 18 | (uint32_t) (s[i + 1] & 0x3f) << 12 |
				(uint32_t) (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f), n = 4;
		else
			cp = 0xfffd, n = 1;	/* PostgreSQL sends valid UTF-8: not reached */
		i += (size_t) n;
		for (int half = 0; half < (cp > 0xffff ? 2 : 1); half++)
		{
			uint32_t	u = cp;
			char		o[3];

			if (cp > 0xffff)
				u = half == 0 ? 0xd800 + ((cp - 0x10000) >> 10) : 0xdc00 + ((cp - 0x10000) & 0x3ff);
			if (u >= 1 && u < 0x80)
				buf_putc(b, (char) u);
			else if (u < 0x800)
			{
				o[0] = (char) (0xc0 | u >> 6);
				o[1] = (char) (0x80 | (u & 0x3f));
				buf_append(b, o, 2);
			}
			else
			{
				o[0] = (char) (0xe0 | u >> 12);
				o[1] = (char) (0x80 | ((u >> 6) & 0x3f));
				o[2] = (char) (0x80 | (u & 0x3f));
				buf_append(b, o, 3);
			}
		}
	}
	if (buf_failed(b))
		return;
	mlen = b->len - at - 3;
	if (mlen <= 0xffff)
	{
		b->data[at + 1] = (char) (mlen >> 8);
		b->data[at + 2] = (char) (mlen & 0xff);
		return;
	}
	/* TC_LONGSTRING: the tag and a u64 length */
	buf_append(b, "12345678", 6);	/* room for 6 more length bytes */
	if (buf_failed(b))
		return;
	memmove(b->data + at + 9, b->data + at + 3, mlen);
	b->data[at] = 0x7c;
	for (int i = 0; i < 8; i++)
		b->data[at + 1 + i] = (char) ((uint64_t) mlen >> (56 - 8 * i));
}

int
columns_put_masked(struct buf *out, const struct relcache_col *col,
				   const char *data, size_t len)
{
	const struct column_rule *r = col->rule;
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = r->md_ctx;
	struct buf *ser = r->scratch;
	int			ok,
				keep;

	if (r->kind == COLUMN_MASK)
	{
		buf_putc(out, '"');
		for (int i = 0; i < r->n; i++)
			buf_putc(out, '*');
		buf_putc(out, '"');
		return 0;
	}
	if (data == NULL)
	{
		buf_lit(out, "null");
		return 0;
	}
	buf_reset(ser);
	if (!r->v2)
		java_serialized(ser, data, len);
	if (buf_failed(ser))
		return -1;
	ok = EVP_DigestInit_ex(ctx, r->md, NULL) == 1 &&
		EVP_DigestUpdate(ctx, r->salt, strlen(r->salt)) == 1 &&
		(r->v2 ? EVP_DigestUpdate(ctx, data, len) : EVP_DigestUpdate(ctx, ser->data, ser->len)) == 1 &&
		EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	if (!ok)
		return -1;
	/* MaskStrings cuts the hex to the column's length, when it has one */
	keep = declared_length(col);
	buf_putc(out, '"');
	for (unsigned int i = 0; i < mdlen; i++)
	{
		if (keep >= 0 && (int) (2 * i) >= keep)
			break;
		buf_putc(out, hex[md[i] >> 4]);
		if (keep < 0 || (int) (2 * i + 1) < keep)
			buf_putc(out, hex[md[i] & 15]);
	}
	buf_putc(out, '"');
	return 0;
}

size_t
columns_cut(const struct relcache_col *col, const char *data, size_t len, int binary)
{
	size_t		units = 0,
				i = 0;
	size_t		max = (size_t) col->rule->n;

	if (col->conv.kind == CONVERT_BYTEA)
	{
		if (binary)
			return len < max ? len : max;
		/* the text form \x0102…: two hex digits a byte */
		if (len >= 2 && data[0] == '\\' && data[1] == 'x')
			return len - 2 < 2 * max ? len : 2 + 2 * max;
		return len;
	}
	while (i < len)
	{
		unsigned char c = (unsigned char) data[i];
		size_t		n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
		size_t		u = n == 4 ? 2 : 1;

		if (units + u > max)
			break;
		units += u;
		i += n;
	}
	return i < len ? i : len;
}

void
columns_schema_parameters(struct buf *out, const struct relcache_col *col)
{
	if (col->rule == NULL)
		return;
	if (col->rule->kind == COLUMN_TRUNCATE)
		buf_printf(out, ",\"parameters\":{\"truncateLength\":\"%d\"}", col->rule->n);
	else
		buf_lit(out, ",\"parameters\":{\"masked\":\"true\"}");
}

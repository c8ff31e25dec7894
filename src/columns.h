/*
 * columns.h — what the configuration does to single columns before
 * their values leave walcap: column.include.list / column.exclude.list
 * (a column left out vanishes from rows, keys and schemas) and
 * Debezium's column mappers, each with its own list of columns:
 *
 *   column.mask.with.<N>.chars                 N asterisks instead of the value
 *   column.mask.hash[.v2].<alg>.with.salt.<s>  hex of <alg>(salt, value)
 *   column.truncate.to.<N>.chars               the first N characters (bytes
 *                                              for bytea)
 *
 * Lists are anchored, case-insensitive POSIX extended regular
 * expressions over "<schema>.<table>.<column>" (filter.h).  Masks and
 * hashes apply to the character types (text, varchar, char(n), "char",
 * name and domains over them), truncation to every column written as
 * a JSON string or bytes; on any other column a mapper changes nothing,
 * as in Debezium.  When several mappers match a column, the one whose
 * key was set first wins.  docs/config.md has the rest.
 *
 * Lifecycle: config_finish() compiles the mapper keys (kept as text by
 * config.c) with columns_compile(); the caller binds each relation to
 * the rules (columns_bind) whenever its relcache entry is built, and
 * event.c asks columns_put_masked() / columns_cut() for a mapped value.
 * A column points at its rule, and columns_add_rule() may move the rules:
 * bind only once the configuration is complete.  The rules own their
 * strings, patterns and digest state; columns_free() releases them.
 */
#ifndef WALCAP_COLUMNS_H
#define WALCAP_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "filter.h"

struct relcache_rel;
struct relcache_col;

enum column_map
{
	COLUMN_MASK = 1,			/* n asterisks */
	COLUMN_HASH,				/* hex digest of salt + value */
	COLUMN_TRUNCATE,			/* the first n characters */
};

struct column_rule
{
	enum column_map kind;
	int			n;				/* MASK: asterisks; TRUNCATE: characters */
	int			v2;				/* HASH: the value's UTF-8 bytes, not Java's
								 * serialised String (Debezium's V2) */
	char	   *algorithm;		/* HASH: the name as written (SHA-256) */
	const void *md;				/* HASH: OpenSSL's EVP_MD for it */
	char	   *salt;			/* HASH */
	/* HASH: a digest context and the serialised value, reused per value */
	void	   *md_ctx;
	struct buf *scratch;
	char	   *key;			/* the configuration key, for messages */
	char	   *value;			/* its value as written, for --print-config */
	struct config_patterns cols;
};

struct columns
{
	struct config_patterns include;	/* column.include.list */
	struct config_patterns exclude;	/* column.exclude.list */
	struct column_rule *rules;
	int			nrules;
};

/*
 * Add the mapper named by key (one of the forms above) for the columns
 * of the pattern list value.  0, or -1 with a message naming the key in
 * err.  Not a mapper key: 1.
 */
int		columns_add_rule(struct columns *c, const char *key, const char *value,
						 char *err, size_t errlen);

/* Release every rule and both lists; c is left empty. */
void	columns_free(struct columns *c);

/* Whether any column rule or list is set. */
int		columns_active(const struct columns *c);

/*
 * Set each column's excluded flag and mapper (NULL: none or not
 * applicable to its type) for rel.  -1 if out of memory (then every
 * column is left as it is).
 */
int		columns_bind(const struct columns *c, struct relcache_rel *rel);

/*
 * A masking mapper's value (col->rule is MASK or HASH) as JSON: the
 * asterisks, or the digest of data[0..len) (the value's text; data NULL
 * for SQL NULL, which a hash leaves null and a mask hides too, as
 * Debezium's mappers do).  -1 if the digest could not be computed.
 */
int		columns_put_masked(struct buf *out, const struct relcache_col *col,
						   const char *data, size_t len);

/*
 * How much of a truncated value (col->rule is TRUNCATE) to keep:
 * data[0..len) is the value as it arrived, its text, or with binary
 * set its binary form (for bytea, the bytes; for the character types,
 * the text too).  Characters are counted as Java counts them (UTF-16
 * units), never cutting one in two.
 */
size_t	columns_cut(const struct relcache_col *col, const char *data, size_t len,
					int binary);

/* The Connect schema parameters a mapped column's field carries, or NULL. */
void	columns_schema_parameters(struct buf *out, const struct relcache_col *col);

#endif

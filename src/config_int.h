/*
 * config_int.h — what config.c (parsing, defaults, printing) and
 * config_keys.c (the key table: every key, its type, default, allowed
 * values and doc, and the keys' own parsers) share; config.h is the
 * contract for everyone else.
 */
#ifndef WALCAP_CONFIG_INT_H
#define WALCAP_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* PostgreSQL's NAMEDATALEN - 1: the longest identifier it keeps. */
#define CONFIG_NAME_MAX 63

/* How a key's text becomes its field's value. */
enum key_type
{
	KT_TEXT,					/* char *: any text, also empty */
	KT_OPTIONAL,				/* char *: empty unsets (NULL) */
	KT_NONEMPTY,				/* char *: must not be empty */
	KT_NAME,					/* char *: a PostgreSQL name, 1-63 bytes */
	KT_PORT,					/* int: 1-65535 */
	KT_INT,						/* int64_t: in [lo, hi] */
	KT_ENUM,					/* int (or an enum): index in allowed[] */
	KT_ENUM_TEXT,				/* char *: one of allowed[], as written */
	KT_PATTERNS,				/* struct config_patterns: regex list */
	KT_KEY_RULES,				/* key_rules/nkey_rules: message.key.columns */
};

/* Flags of a key. */
#define KF_SECRET 0x1			/* never printed or kept as text (secret.h) */
#define KF_SHOW_FIELD 0x2		/* --print-config shows the field, which
								 * config_finish() may derive or expand */

struct config_key;

/* A key's own parser: validate value and store it; -1 with a message. */
typedef int (*config_parse_fn) (struct config *c, const struct config_key *k,
								const char *value, char *err, size_t errlen);

/* One key: everything walcap knows about it. */
struct config_key
{
	const char *name;
	enum key_type type;
	const char *def;			/* text of the default; NULL: unset */
	size_t		off;			/* offsetof(struct config, <field>) */
	int64_t		lo;				/* KT_INT: allowed range */
	int64_t		hi;
	const char *const *allowed;	/* KT_ENUM*: NULL-terminated values */
	unsigned	flags;			/* KF_* */
	size_t		from_off;		/* KF_SECRET: field recording its source */
	config_parse_fn parse;		/* NULL, or parses instead of the type's
								 * parser (the type still says what the
								 * field holds) */
	const char *doc;			/* one line; docs/config.md has the rest */
};

/* The key table, in --print-config order (config_keys.c). */
extern const struct config_key config_keys[];
extern const int config_nkeys;

/* Set a string key that may be unset: an empty value means NULL. */
int		config_set_optional(char **field, const char *key, const char *value,
							char *err, size_t errlen);
/* Set a string key that must not be empty. */
int		config_set_nonempty(char **field, const char *key, const char *value,
							char *err, size_t errlen);

#endif

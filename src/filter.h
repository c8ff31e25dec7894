/*
 * filter.h — table filters: pattern lists (table.include.list and the
 * other include/exclude lists, message.key.columns), the include list
 * file, and the rule that decides which tables produce events.
 *
 * A pattern list is a comma-separated list of POSIX extended regular
 * expressions, compiled case-insensitively (as Debezium does); a name
 * matches a pattern only if the whole name matches it.  Setters leave
 * the previous value in place when they fail; they write a one-line
 * message naming key (and the pattern) into err[errlen] and return -1.
 * Compiled lists are owned by the struct that holds them and released
 * with the matching *_free().
 */
#ifndef WALCAP_FILTER_H
#define WALCAP_FILTER_H

#include <regex.h>
#include <stddef.h>

struct config;

/* A compiled pattern list; n == 0 means the list is not set. */
struct config_patterns
{
	int			n;
	regex_t    *re;				/* n compiled patterns */
};

/* One rule of message.key.columns: tables matching pat take cols as their key. */
struct config_key_rule
{
	struct config_patterns pat;	/* one pattern, on "schema.table" */
	char	  **cols;
	int			ncols;
};

/*
 * Set *p from a comma-separated list, split as Debezium does: "\," is a
 * comma inside a pattern, items are trimmed, empty items dropped; an
 * empty list unsets *p.
 */
int		filter_patterns_set(struct config_patterns *p, const char *key,
							const char *value, char *err, size_t errlen);
/*
 * The next item of a plain comma-separated list (no escapes: names, not
 * patterns): *item and *len its text, trimmed, at *p on; *p moves past it
 * and its comma.  Empty items are skipped; 0 when the list is done.
 */
int		filter_list_next(const char **p, const char **item, size_t *len);

/* Free the compiled patterns of p; p is left empty (not set). */
void	filter_patterns_free(struct config_patterns *p);
/* Whether some pattern of p matches the whole of name. */
int		filter_patterns_match(const struct config_patterns *p, const char *name);

/*
 * message.key.columns, as Debezium writes it: rules separated by ';',
 * each "<schema.table regex>:<column>[,<column>...]" (the regex ends at
 * the last ':'); replaces the rules and their count.  An empty value unsets it.
 */
int		filter_key_rules_set(struct config_key_rule **rules, int *nrules,
							 const char *key, const char *value,
							 char *err, size_t errlen);
void	filter_key_rules_free(struct config_key_rule *rules, int nrules);

/*
 * Read the include list file at path (key names it in messages): a CSV
 * of one schema or schema.table per row (RFC 4180 quoting, an optional
 * byte order mark, blank rows ignored).  Rows with a dot go to *tables
 * (matched against "schema.table"), bare schemas to *schemas, each row a
 * literal name; both are replaced.
 */
int		filter_read_include_file(const char *key, const char *path,
								 struct config_patterns *tables,
								 struct config_patterns *schemas,
								 char *err, size_t errlen);

/*
 * The message.key.columns rule for schema.table (the first that matches),
 * or NULL: the primary key is the key.
 */
const struct config_key_rule *config_key_columns(const struct config *c, const char *schema,
												 const char *table);

/*
 * Whether changes of schema.table produce events, by Debezium's rules:
 * table lists are matched against "schema.table", schema lists against
 * "schema", each pattern anchored at both ends; an include list, when
 * given, must match; an exclude list must not.  The include list file
 * adds to table.include.list (a bare schema row includes the schema).
 * walcap's offsets table (<signal.schema>.walcap_offsets) never does.
 * Returns 1 (included) or 0; -1 only if out of memory.  Meant to be
 * called once per relation, not per row.
 */
int		config_table_included(const struct config *c, const char *schema,
							  const char *table);

#endif

/*
 * relcache.h — what walcap knows of each published relation, keyed by
 * relation OID, built from pgoutput's Relation messages.
 *
 * pgoutput sends a Relation message before the first change of a table
 * in a session and again after its definition changes (ALTER TABLE), so
 * an entry is replaced whole each time.  Everything the per-row path
 * needs is worked out here once: each column's JSON key, already
 * escaped, and its conversion rule (struct convert_type), and the
 * relation's part of the event's source block.
 *
 * On servers before PostgreSQL 13 a partition's entry is its partition
 * root's (partition.h): the caller passes a Relation message rewritten
 * with the root's name and column order, then relcache_set_root()
 * records the root's OID and the map that puts the leaf's tuples in
 * that order.
 *
 * Types that are not built in (enums, domains, extension types such as
 * hstore, arrays of those) are resolved through a callback that asks the
 * catalog; without one, or if it fails, such a column is written as a
 * string.
 *
 * Ownership: the cache owns every entry and string in it.  A pointer
 * from relcache_get() stays valid until the next relcache_update() of
 * the same relation OID or relcache_free().
 */
#ifndef WALCAP_RELCACHE_H
#define WALCAP_RELCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "convert.h"
#include "decoder.h"

struct relcache_col
{
	char	   *name;
	char	   *key;			/* "name": JSON-escaped, with quotes and colon */
	size_t		keylen;
	uint32_t	typid;
	int32_t		typmod;
	uint8_t		flags;			/* 1 = part of the replica identity key,
								 * 2 = of the primary key, 4 = NOT NULL
								 * (2 and 4 marked by the caller) */
	int			warned;			/* a bad value was already logged */
	/* set by columns_bind() (columns.h); zero when no column key is set */
	uint8_t		excluded;		/* column.include/exclude.list leave it out */
	const struct column_rule *rule;	/* its mapper, or NULL */
	struct convert_type conv;
	/* for schemas, from the catalog (relcache_set_type_info) */
	char	   *enum_labels;	/* an enum's (an enum array's element's)
								 * labels, comma-separated, or NULL */
	uint32_t	base_typid;		/* a domain's base type, or 0 */
	char	   *type_name;		/* the type's (a domain's base type's)
								 * pg_type.typname, or NULL */
};

struct relcache_rel
{
	uint32_t	relid;
	/*
	 * The table whose changes these are: relid, or a partition's root
	 * when walcap maps the partition to it (servers before 13).
	 */
	uint32_t	root_relid;
	int		   *colmap;			/* NULL (same order), or tuple column
								 * colmap[i] is cols[i] */
	char	   *schema;			/* "public", never "" */
	char	   *table;
	char		replident;		/* d, n, f or i */
	int			ncols;
	struct relcache_col *cols;
	int			included;		/* set by the caller: changes produce events */
	char	   *source_tail;	/* "schema":"…","table":"…" JSON-escaped */
	size_t		source_tail_len;
	/*
	 * Which flags bit makes a column part of the message key: 1 (the
	 * replica identity, which is the primary key under REPLICA IDENTITY
	 * DEFAULT), or 2 once the caller has marked the primary key.
	 */
	uint8_t		keyflag;
	char	   *topic;			/* Kafka topic, built on first use by event.c */
	char	   *value_schema;	/* Connect schemas, built on first use by event.c */
	char	   *key_schema;
};

/*
 * Resolve a non-built-in type; returns 0 and fills *out, or -1 with a
 * message in err.
 */
typedef int (*relcache_resolver) (void *arg, uint32_t typid, int32_t typmod,
								  struct convert_type *out,
								  char *err, size_t errlen);

struct relcache
{
	struct relcache_rel **slots;	/* open addressing on relid */
	size_t		nslots;			/* power of two */
	size_t		count;
	relcache_resolver resolve;
	void	   *resolve_arg;
};

void	relcache_init(struct relcache *c, relcache_resolver resolve, void *arg);

/*
 * Make the named columns rel's message key (flags bit 2, keyflag 2), as
 * message.key.columns asks.  Returns how many of the names rel has; with
 * none, rel is left as it was.
 */
int		relcache_set_key(struct relcache_rel *rel, char *const *cols, int ncols);

/*
 * Record what schemas need of a column's type beyond its conversion rule:
 * an enum's labels, or for an array of an enum its element's (NULL if
 * neither), a domain's base type OID (0 if not a domain), and the type's
 * name (a domain's base type's; NULL if unknown).  -1 if out of memory.
 */
int		relcache_set_type_info(struct relcache_rel *rel, int col, const char *enum_labels,
							   uint32_t base_typid, const char *type_name);
void	relcache_free(struct relcache *c);

/*
 * Make rel a partition mapped to its root root_relid: its tuples arrive
 * in the leaf's column order, and map[i] (ncols entries, copied) is the
 * leaf position of rel->cols[i] (kept only if it is not the identity).
 * -1 if out of memory.
 */
int		relcache_set_root(struct relcache_rel *rel, uint32_t root_relid,
						  const int *map, int ncols);

/*
 * Add or replace the entry for a decoded Relation message.  Returns the
 * entry, or NULL with a message in err (out of memory).
 */
struct relcache_rel *relcache_update(struct relcache *c,
									 const struct decoder_msg *m,
									 char *err, size_t errlen);

/* The entry for relid, or NULL if no Relation message described it. */
struct relcache_rel *relcache_get(const struct relcache *c, uint32_t relid);

#endif

/*
 * catalog.h — answers about types that are not built in, from pg_type,
 * and about primary keys and NOT NULL columns (Kafka keys, schemas), on an ordinary
 * (non-replication) connection opened on first use: the replication
 * connection cannot run queries while it streams; and, on servers
 * before 13, about partitions (partition.h).
 *
 * It is relcache's resolver: called once per column of a relation whose
 * type OID convert_builtin() does not know.  Domains resolve to their
 * base type (and its typmod), enums to strings, hstore by name, arrays
 * to their element's rule; anything else is a string.
 */
#ifndef WALCAP_CATALOG_H
#define WALCAP_CATALOG_H

#include <libpq-fe.h>

#include "config.h"
#include "pgconn.h"
#include "convert.h"
#include "partition.h"
#include "relcache.h"
#include "sideconn.h"

struct catalog
{
	struct sideconn side;		/* opened on first lookup, reopened after a loss */
	pgconn_wait_fn on_wait;		/* called while a lookup waits; may be NULL */
	void	   *wait_arg;
};

void	catalog_init(struct catalog *cat, const struct config *cfg);
void	catalog_close(struct catalog *cat);

/* A relcache_resolver; arg is a struct catalog. */
int		catalog_resolve(void *arg, uint32_t typid, int32_t typmod,
						struct convert_type *out, char *err, size_t errlen);

/*
 * Three select-list items, for a query over pg_attribute a joined to its
 * pg_type t: an enum's labels in order, comma-separated (an enum array's:
 * its element's; or NULL), a domain's base type OID (or 0), and the type's
 * name (a domain's: its base type's); what relcache_set_type_info() takes.
 */
#define CATALOG_TYPE_INFO_SQL \
	"(SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e " \
	" WHERE e.enumtypid = CASE WHEN t.typtype = 'd' THEN t.typbasetype " \
	"  WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END), " \
	"CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE 0 END, " \
	"(SELECT b.typname FROM pg_catalog.pg_type b " \
	" WHERE b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END) "

/*
 * Mark rel's primary key columns (flags bit 2) and make them its message
 * key (keyflag 2; no primary key leaves a null key), and mark its NOT
 * NULL columns (bit 4), which pgoutput does not send: for Kafka keys
 * when the replica identity is not the primary key (FULL, USING INDEX,
 * NOTHING), and for schemas.  0, or -1 with err.
 */
int		catalog_columns(struct catalog *cat, struct relcache_rel *rel,
						char *err, size_t errlen);

/*
 * The topmost partition root of relid (partition.h), for a server of
 * that version: 1 and *root filled (partition_root_free() releases it),
 * 0 when relid is no partition, -1 with err.
 */
int		catalog_partition_root(struct catalog *cat, uint32_t relid, int server_version,
							   struct partition_root *root, char *err, size_t errlen);

/*
 * Whether the Truncate message m truncated the whole of the partitioned
 * table root: every partition of it that the publication
 * (publication.name) publishes is among its relations.  1 yes, 0 no,
 * -1 with err.
 */
int		catalog_truncates_root(struct catalog *cat, uint32_t root, const struct decoder_msg *m,
							   char *err, size_t errlen);

#endif

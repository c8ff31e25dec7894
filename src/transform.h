/*
 * transform.h — Kafka Connect's single message transforms that walcap
 * applies itself, configured as Kafka Connect configures them:
 *
 *   transforms=unwrap,route
 *   transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState
 *   transforms.unwrap.delete.handling.mode=rewrite
 *   transforms.unwrap.add.fields=op,table,lsn,source.ts_ms
 *   transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
 *   transforms.route.regex=([^.]+)\.([^.]+)\.([^.]+)
 *   transforms.route.replacement=$3
 *
 * ExtractNewRecordState (event.c writes its flat rows) turns each change
 * event into the row state; RegexRouter renames topics (event.c applies
 * it when it builds a topic, once per topic).  An alias named unwrap or
 * route without a type is taken as that transform.  An unknown type, an
 * unknown property of a known one, or an alias without its type is a
 * configuration error naming the key.  docs/config.md has the rest.
 *
 * Lifecycle: transforms_set() keeps every transforms.<alias>.<property>
 * key as given; transforms_finish() (from config_finish) compiles the
 * list of the transforms key.  The struct owns its strings and regex;
 * transforms_free() releases them.
 */
#ifndef WALCAP_TRANSFORM_H
#define WALCAP_TRANSFORM_H

#include <regex.h>
#include <stddef.h>
#include <stdio.h>

#define TRANSFORM_UNWRAP_TYPE "io.debezium.transforms.ExtractNewRecordState"
#define TRANSFORM_ROUTE_TYPE "org.apache.kafka.connect.transforms.RegexRouter"

/* What ExtractNewRecordState does with a delete event. */
enum unwrap_delete
{
	UNWRAP_DELETE_DROP = 0,		/* no record */
	UNWRAP_DELETE_NULL,			/* a record with a null value (a tombstone) */
	UNWRAP_DELETE_REWRITE,		/* the old row with __deleted "true" */
};

/* Where an added field is read from. */
enum unwrap_from
{
	UNWRAP_FROM_TOP = 0,		/* op, ts_ms */
	UNWRAP_FROM_SOURCE,
	UNWRAP_FROM_TRANSACTION,
};

/* The fields add.fields can name (transform.c has their names). */
enum unwrap_fid
{
	UF_OP, UF_TS_MS,			/* the envelope's */
	UF_VERSION, UF_CONNECTOR, UF_NAME, UF_SOURCE_TS_MS, UF_SNAPSHOT, UF_DB,
	UF_SEQUENCE, UF_SCHEMA, UF_TABLE, UF_TXID, UF_LSN, UF_XMIN,	/* source's */
	UF_TXN_ID, UF_TOTAL_ORDER, UF_COLLECTION_ORDER,	/* transaction's */
};

struct unwrap_field
{
	enum unwrap_from from;
	enum unwrap_fid id;			/* which field: resolved once, so a row compares no names */
	char	   *out;			/* the name in the flat row: __source_ts_ms */
};

struct transforms
{
	char	  **keys;			/* every transforms.* key, as given */
	char	  **values;
	int			npairs;

	int			unwrap;			/* ExtractNewRecordState is configured */
	enum unwrap_delete del;		/* [drop] */
	int			keep_tombstones;	/* not drop.tombstones [drop.tombstones=true] */
	int			rewrite;		/* __deleted on every row (rewrite modes) */
	struct unwrap_field *fields;	/* add.fields, in order */
	int			nfields;

	int			route;			/* RegexRouter is configured */
	regex_t		route_re;
	char	   *route_replacement;
};

/* Keep one transforms.<alias>.<property> key.  0, or -1 with err set. */
int		transforms_set(struct transforms *t, const char *key, const char *value,
					   char *err, size_t errlen);

/*
 * Compile the transforms the list (the transforms key; NULL: none)
 * names from the keys kept.  0, or -1 with a message naming the key.
 */
int		transforms_finish(struct transforms *t, const char *list, char *err, size_t errlen);

/* Print every kept key as "key = value" lines (--print-config). */
void	transforms_print(const struct transforms *t, FILE *f);

void	transforms_free(struct transforms *t);

/*
 * RegexRouter: the topic renamed into a malloc'd string when the whole
 * of it matches the regex, else NULL (the topic stays).  *oom is set if
 * the copy could not be made.
 */
char   *transforms_route(const struct transforms *t, const char *topic, int *oom);

#endif

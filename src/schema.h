/*
 * schema.h — Kafka Connect schemas of walcap's events, as Debezium's
 * PostgreSQL connector declares them, for the JSON converter with
 * schemas enabled (key.converter.schemas.enable,
 * value.converter.schemas.enable): each message is then
 * {"schema":<schema>,"payload":<the event or key>}.
 *
 * Keys are in the order Kafka's JsonConverter.asJsonSchema writes them
 * (unchanged from 2017 to Kafka 4.0): type; fields, items, or keys and
 * values; optional; name; version; doc; parameters; default; and a struct
 * field's own "field" after all of its schema's keys.  The schemas are
 * Debezium 3.7's: the Envelope (version 2) of before/after (the table's
 * Value struct, optional, no version), source
 * (io.debezium.connector.postgresql.Source, version 1), transaction
 * (event.block, version 1), op and ts_ms; the Key struct (not optional, no
 * version).  A column's schema follows from its type OID, typmod and
 * conversion rule and the configured modes, with Debezium's logical names
 * (io.debezium.time.*, io.debezium.data.* with VariableScaleDecimal's doc
 * "Variable scaled decimal", Tsvector, Kafka Connect's Decimal, Date,
 * Time, Timestamp), and with what the catalog tells of the type
 * (relcache_set_type_info): io.debezium.data.Enum with an enum's labels,
 * arrays of them, io.debezium.data.Ltree for the ltree extension's type,
 * a domain named as its base type.  Array elements are optional, except
 * an enum array's and a tsvector array's (Debezium builds those from the
 * element's own builder, as built).  A column is optional unless the
 * caller marked it NOT NULL (relcache flags bit 4) or it is part of the
 * key, except the geometric types' Geometry, Circle and Line structs,
 * which are optional always (geometry.h).  Debezium's ts_us and ts_ns
 * (source and envelope), origin and origin_lsn (source) and column
 * defaults are absent, as from the events (docs/events.md, "Where walcap
 * differs").
 *
 * Everything is appended to a caller-owned buf; nothing is kept.
 */
#ifndef WALCAP_SCHEMA_H
#define WALCAP_SCHEMA_H

#include "buf.h"
#include "convert.h"
#include "relcache.h"

/* rel's change events: <prefix>.<schema>.<table>.Envelope */
void	schema_envelope(struct buf *b, const struct relcache_rel *rel, const char *prefix,
						const struct convert_opts *o);

/* rel's message key: <prefix>.<schema>.<table>.Key (its keyflag columns) */
/*
 * ExtractNewRecordState's value schema: rel's Value struct (optional), the
 * added fields' schemas (extra: JSON objects separated by commas, or "")
 * after its columns.
 */
void	schema_flat(struct buf *b, const struct relcache_rel *rel, const char *prefix,
					const struct convert_opts *o, const char *extra);
void	schema_key(struct buf *b, const struct relcache_rel *rel, const char *prefix,
				   const struct convert_opts *o);

/*
 * Logical-decoding message events (content as bytes: binary.handling.mode
 * bytes; as a string: the other modes) and their key; heartbeats and their
 * key.
 */
extern const char SCHEMA_MESSAGE_VALUE[];
extern const char SCHEMA_MESSAGE_VALUE_STRING[];
extern const char SCHEMA_MESSAGE_KEY[];
extern const char SCHEMA_HEARTBEAT_VALUE[];
extern const char SCHEMA_HEARTBEAT_KEY[];
/* provide.transaction.metadata's BEGIN/END records */
extern const char SCHEMA_TXN_VALUE[];
extern const char SCHEMA_TXN_KEY[];

#endif

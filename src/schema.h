/*
 * schema.h — Kafka Connect schemas of walcap's events, as Debezium's
 * PostgreSQL connector declares them, for the JSON converter with
 * schemas enabled (key.converter.schemas.enable,
 * value.converter.schemas.enable): each message is then
 * {"schema":<schema>,"payload":<the event or key>}.
 *
 * Field schemas are written in the JSON converter's order (type, fields
 * or items, optional, default, name, version, parameters, field).  A
 * column's schema follows from its type OID, typmod and conversion rule
 * and the configured modes, with Debezium's logical names
 * (io.debezium.time.*, io.debezium.data.*, Kafka Connect's Decimal, Date,
 * Time, Timestamp, io.debezium.data.Enum with an enum's labels, a
 * domain named as its base type); a column is optional unless the caller
 * marked it NOT NULL (relcache flags bit 4) or it is part of the key,
 * except the geometric types' Geometry, Circle and Line structs, which
 * are optional always (geometry.h).
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

#endif

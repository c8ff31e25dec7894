/*
 * offset_kafka.h — offset.storage=kafka: offset records (offset.h) in a
 * compacted Kafka topic (offset.storage.topic), as Kafka Connect keeps
 * its connectors' offsets, so that Debezium's tools read walcap's and a
 * position can move between the two.
 *
 * The topic is not created here: like Kafka Connect's offsets topic it
 * must be compacted, and a broker's auto-creation would not make it so.
 * A missing topic is an error that says how to create it.
 *
 * A load reads every partition from its start to its end (read_committed)
 * and keeps the newest value under the key; a save produces one message
 * with librdkafka's idempotent producer and waits until the brokers
 * acknowledge it.  The brokers and their security settings are the
 * kafka.* keys, as for the Kafka sink.
 *
 * Ownership: offset_kafka_open() allocates the state (a producer, made
 * on first save) and offset_kafka_close() frees it; the configuration is
 * borrowed and must outlive it.  librdkafka is opened on first use
 * (dynlib.h).
 */
#ifndef WALCAP_OFFSET_KAFKA_H
#define WALCAP_OFFSET_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct offset_kafka;

/* NULL with err set when librdkafka cannot be loaded or is misconfigured. */
struct offset_kafka *offset_kafka_open(const struct config *c, char *err, size_t errlen);

/*
 * The newest value stored under key: 1 and *value (malloc'd, the
 * caller frees it) and its message's timestamp in *ts_ms (-1 if it has
 * none), 0 if there is none (or its newest message is a tombstone), -1
 * with err set.
 */
int			offset_kafka_load(struct offset_kafka *k, const char *key, char **value,
							  int64_t *ts_ms, char *err, size_t errlen);

/* Produce key/value and wait for the acknowledgement; 0, or -1 with err set. */
int			offset_kafka_save(struct offset_kafka *k, const char *key, const char *value,
							  char *err, size_t errlen);

void		offset_kafka_close(struct offset_kafka *k);

#endif

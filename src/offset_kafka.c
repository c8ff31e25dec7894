/*
 * offset_kafka.c — offset records in a Kafka topic; see offset_kafka.h.
 */
#include "offset_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "clock.h"
#include "dynlib.h"
#include "jsonread.h"
#include "log.h"
#include "offset.h"

#ifndef WALCAP_LIBRDKAFKA_SONAME
#error "WALCAP_LIBRDKAFKA_SONAME is unset: the Makefile found no librdkafka.so (install librdkafka-dev)"
#endif

#define LIBRDKAFKA_FUNCS(X) \
	X(rd_kafka_assign) X(rd_kafka_conf_destroy) X(rd_kafka_conf_new) X(rd_kafka_conf_set) \
	X(rd_kafka_conf_set_dr_msg_cb) X(rd_kafka_conf_set_log_cb) X(rd_kafka_conf_set_opaque) \
	X(rd_kafka_consumer_close) X(rd_kafka_consumer_poll) X(rd_kafka_destroy) X(rd_kafka_err2str) \
	X(rd_kafka_flush) X(rd_kafka_last_error) X(rd_kafka_message_destroy) X(rd_kafka_message_timestamp) X(rd_kafka_metadata) \
	X(rd_kafka_metadata_destroy) X(rd_kafka_new) X(rd_kafka_produce) \
	X(rd_kafka_query_watermark_offsets) X(rd_kafka_topic_destroy) X(rd_kafka_topic_new) \
	X(rd_kafka_topic_partition_list_add) X(rd_kafka_topic_partition_list_destroy) \
	X(rd_kafka_topic_partition_list_new)

static DYNLIB_TABLE(LIBRDKAFKA_FUNCS) L;
static const char *const librdkafka_names[] = {LIBRDKAFKA_FUNCS(DYNLIB_NAME)};
static struct dynlib librdkafka =
	DYNLIB_INIT(WALCAP_LIBRDKAFKA_SONAME, "librdkafka1", librdkafka_names, L);

#define LOAD_TIMEOUT_MS 30000	/* reading the topic to its end, at most */
#define MAX_KEY 4096			/* longer keys are not walcap's: skipped */

struct offset_kafka
{
	const struct config *cfg;
	rd_kafka_t *producer;		/* made on first save */
	rd_kafka_topic_t *rkt;
	int			acked;			/* the last save: 1 acknowledged, -1 failed */
	char		failure[256];
};

/* ---- configuration ---- */

/* librdkafka's log lines as walcap's; the consumer's notes on producer keys are noise */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	if (strcmp(fac, "CONFWARN") == 0 || level > 6)
		log_debug("kafka (offsets): %s: %s", fac, buf);
	else if (level <= 4)
		log_warning("kafka (offsets): %s: %s", fac, buf);
	else
		log_info("kafka (offsets): %s: %s", fac, buf);
}

/* A client: walcap's settings for its role, then every kafka.* key. */
static rd_kafka_t *
client(const struct config *c, rd_kafka_type_t type, const char *const (*set)[2], size_t nset,
	   void *opaque, void (*on_dr) (rd_kafka_t *, const rd_kafka_message_t *, void *),
	   char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = L.rd_kafka_conf_new();
	rd_kafka_t *rk;
	char		msg[512];

	for (size_t i = 0; i < nset; i++)
		if (L.rd_kafka_conf_set(conf, set[i][0], set[i][1], msg, sizeof(msg)) != RD_KAFKA_CONF_OK)
		{
			snprintf(err, errlen, "librdkafka refused walcap's %s=%s: %s", set[i][0], set[i][1], msg);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
	for (int i = 0; i < c->nkafka; i++)
		if (L.rd_kafka_conf_set(conf, c->kafka_keys[i], c->kafka_values[i], msg, sizeof(msg)) != RD_KAFKA_CONF_OK)
		{
			if (config_kafka_secret(c->kafka_keys[i]))
				snprintf(err, errlen, "kafka.%s: librdkafka refused the value (not shown: it is a secret)",
						 c->kafka_keys[i]);
			else
				snprintf(err, errlen, "kafka.%s: %s", c->kafka_keys[i], msg);
			L.rd_kafka_conf_destroy(conf);
			return NULL;
		}
	L.rd_kafka_conf_set_opaque(conf, opaque);
	L.rd_kafka_conf_set_log_cb(conf, on_log);
	if (on_dr)
		L.rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
	rk = L.rd_kafka_new(type, conf, msg, sizeof(msg));
	if (rk == NULL)
	{
		L.rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot create a Kafka %s for the offsets: %s",
				 type == RD_KAFKA_PRODUCER ? "producer" : "consumer", msg);
	}
	return rk;
}

struct offset_kafka *
offset_kafka_open(const struct config *c, char *err, size_t errlen)
{
	struct offset_kafka *k;

	if (dynlib_load(&librdkafka, err, errlen) != 0)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->cfg = c;
	return k;
}

void
offset_kafka_close(struct offset_kafka *k)
{
	if (k == NULL)
		return;
	if (k->rkt)
		L.rd_kafka_topic_destroy(k->rkt);
	if (k->producer)
	{
		L.rd_kafka_flush(k->producer, 0);
		L.rd_kafka_destroy(k->producer);
	}
	free(k);
}

/* ---- load ---- */

/* Whether a message's key names this connector (parsed: spacing may differ). */
static int
key_matches(const rd_kafka_message_t *m, const char *want)
{
	char		text[MAX_KEY + 1];
	struct jsonread_doc doc;
	char		jerr[128];
	const struct jsonread_value *root, *server;
	struct buf	canon;
	int			same = 0;

	if (m->key == NULL || m->key_len > MAX_KEY)
		return 0;
	memcpy(text, m->key, m->key_len);
	text[m->key_len] = '\0';
	if (strcmp(text, want) == 0)
		return 1;
	if (jsonread_parse(&doc, text, jerr, sizeof(jerr)) != 0)
		return 0;
	root = jsonread_root(&doc);
	server = jsonread_get(jsonread_array_get(root, 1), "server");
	if (jsonread_array_len(root) == 2 && jsonread_array_get(root, 0)->type == JSONREAD_STRING &&
		server != NULL && server->type == JSONREAD_STRING)
	{
		buf_init(&canon, 0);
		offset_record_key(&canon, jsonread_array_get(root, 0)->str, server->str);
		same = !buf_failed(&canon) && strcmp(canon.data, want) == 0;
		buf_free(&canon);
	}
	jsonread_free(&doc);
	return same;
}

static const char *const consumer_set[][2] = {
	{"client.id", "walcap-offsets"},
	{"group.id", "walcap-offsets-reader"},	/* required by librdkafka; nothing is committed */
	{"enable.auto.commit", "false"},
	{"enable.auto.offset.store", "false"},
	{"enable.partition.eof", "true"},
	{"isolation.level", "read_committed"},
};

int
offset_kafka_load(struct offset_kafka *k, const char *key, char **value, int64_t *ts_ms,
				  char *err, size_t errlen)
{
	const struct config *c = k->cfg;
	const char *topic = c->offset_topic;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_resp_err_t e;
	int			remaining = 0;
	int			rc = -1;
	int64_t		deadline;

	*value = NULL;
	*ts_ms = -1;
	rk = client(c, RD_KAFKA_CONSUMER, consumer_set, sizeof(consumer_set) / sizeof(consumer_set[0]),
				k, NULL, err, errlen);
	if (rk == NULL)
		return -1;
	if ((rkt = L.rd_kafka_topic_new(rk, topic, NULL)) == NULL)
	{
		snprintf(err, errlen, "offset.storage.topic: \"%s\": %s", topic,
				 L.rd_kafka_err2str(L.rd_kafka_last_error()));
		L.rd_kafka_destroy(rk);
		return -1;
	}
	e = L.rd_kafka_metadata(rk, 0, rkt, &md, 10000);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "could not read the metadata of the Kafka offset topic \"%s\": %s\n"
				 "check kafka.bootstrap.servers and that the brokers are up", topic, L.rd_kafka_err2str(e));
		goto out;
	}
	if (md->topic_cnt != 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		md->topics[0].partition_cnt == 0)
	{
		snprintf(err, errlen, "the Kafka offset topic \"%s\" does not exist\n"
				 "create it compacted, as Kafka Connect's offsets topic: kafka-topics.sh --create --topic %s "
				 "--partitions 1 --config cleanup.policy=compact (offset.storage.topic names it)",
				 topic, topic);
		goto out;
	}
	if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "the Kafka offset topic \"%s\": %s", topic, L.rd_kafka_err2str(md->topics[0].err));
		goto out;
	}
	parts = L.rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++)
	{
		int32_t		p = md->topics[0].partitions[i].id;
		int64_t		lo, hi;

		e = L.rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			snprintf(err, errlen, "could not read the offsets of the Kafka offset topic \"%s\" [%d]: %s",
					 topic, (int) p, L.rd_kafka_err2str(e));
			goto out;
		}
		if (hi > lo)
		{
			L.rd_kafka_topic_partition_list_add(parts, topic, p)->offset = lo;
			remaining++;
		}
	}
	if (remaining == 0)
	{
		rc = 0;
		goto out;
	}
	if ((e = L.rd_kafka_assign(rk, parts)) != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "could not read the Kafka offset topic \"%s\": %s", topic, L.rd_kafka_err2str(e));
		goto out;
	}
	/* every partition to its end; a key stays in one partition, so its last message is its newest */
	deadline = mono_us() + (int64_t) LOAD_TIMEOUT_MS * 1000;
	while (remaining > 0)
	{
		rd_kafka_message_t *m = L.rd_kafka_consumer_poll(rk, 200);

		if (m == NULL)
		{
			if (mono_us() > deadline)
			{
				snprintf(err, errlen, "the Kafka offset topic \"%s\" was not read to its end within %d s",
						 topic, LOAD_TIMEOUT_MS / 1000);
				goto out;
			}
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			remaining--;
		else if (m->err)
		{
			snprintf(err, errlen, "could not read the Kafka offset topic \"%s\": %s", topic,
					 L.rd_kafka_err2str(m->err));
			L.rd_kafka_message_destroy(m);
			goto out;
		}
		else if (key_matches(m, key))
		{
			rd_kafka_timestamp_type_t tstype;

			free(*value);
			*value = NULL;
			*ts_ms = L.rd_kafka_message_timestamp(m, &tstype);
			if (m->payload != NULL && (*value = strndup(m->payload, m->len)) == NULL)
			{
				snprintf(err, errlen, "out of memory");
				L.rd_kafka_message_destroy(m);
				goto out;
			}
		}
		L.rd_kafka_message_destroy(m);
	}
	rc = *value != NULL;
out:
	if (rc < 0)
	{
		free(*value);
		*value = NULL;
	}
	if (parts)
		L.rd_kafka_topic_partition_list_destroy(parts);
	if (md)
		L.rd_kafka_metadata_destroy(md);
	L.rd_kafka_topic_destroy(rkt);
	L.rd_kafka_consumer_close(rk);
	L.rd_kafka_destroy(rk);
	return rc;
}

/* ---- save ---- */

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct offset_kafka *k = opaque;

	(void) rk;
	if (m->err)
	{
		k->acked = -1;
		snprintf(k->failure, sizeof(k->failure), "%s", L.rd_kafka_err2str(m->err));
	}
	else
		k->acked = 1;
}

static const char *const producer_set[][2] = {
	{"client.id", "walcap-offsets"},
	{"enable.idempotence", "true"},
	{"acks", "all"},
	/* the Java client's partitioner: a key lands where Kafka Connect's would */
	{"partitioner", "murmur2_random"},
};

int
offset_kafka_save(struct offset_kafka *k, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config *c = k->cfg;

	if (k->producer == NULL)
	{
		k->producer = client(c, RD_KAFKA_PRODUCER, producer_set, sizeof(producer_set) / sizeof(producer_set[0]),
							 k, on_delivery, err, errlen);
		if (k->producer == NULL)
			return -1;
		if ((k->rkt = L.rd_kafka_topic_new(k->producer, c->offset_topic, NULL)) == NULL)
		{
			snprintf(err, errlen, "offset.storage.topic: \"%s\": %s", c->offset_topic,
					 L.rd_kafka_err2str(L.rd_kafka_last_error()));
			L.rd_kafka_destroy(k->producer);
			k->producer = NULL;
			return -1;
		}
	}
	k->acked = 0;
	if (L.rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *) value, strlen(value),
						   key, strlen(key), NULL) != 0)
	{
		snprintf(err, errlen, "could not write to the Kafka offset topic \"%s\"", c->offset_topic);
		return -1;
	}
	L.rd_kafka_flush(k->producer, (int) c->kafka_flush_ms);
	if (k->acked == 1)
		return 0;
	if (k->acked < 0)
		snprintf(err, errlen, "the offset record was not written to the Kafka topic \"%s\": %s",
				 c->offset_topic, k->failure);
	else
		snprintf(err, errlen, "the Kafka brokers did not acknowledge the offset record within %lld ms "
				 "(sink.kafka.flush.timeout.ms)", (long long) c->kafka_flush_ms);
	return -1;
}

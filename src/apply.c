/*
 * apply.c — pgoutput messages into events; see apply.h.
 */
#include "apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "log.h"
#include "lsn.h"
#include "convert_binary.h"
#include "partition.h"

void
apply_init(struct apply *a, const struct config *c, uint64_t endpos,
		   struct catalog *cat, struct event_writer *ew,
		   struct snapshot *snap, struct delivery *dl)
{
	memset(a, 0, sizeof(*a));
	a->cfg = c;
	a->endpos = endpos;
	a->cat = cat;
	a->ew = ew;
	a->snap = snap;
	a->dl = dl;
	decoder_init(&a->dec);
	a->streams.rfd = -1;
	relcache_init(&a->rels, catalog_resolve, cat);
	txn_init(&a->txn, 0);
}

void
apply_free(struct apply *a)
{
	relcache_free(&a->rels);
	free(a->remap[0]);
	free(a->remap[1]);
	a->remap[0] = a->remap[1] = NULL;
	decoder_free(&a->dec);
	stream_free(&a->streams);
}

void
apply_cut(struct apply *a)
{
	txn_cut(&a->txn, &a->dl->ack);
	a->dec.in_stream = 0;
	/* the server streams what did not commit again, from its start */
	if (a->streams.dir)
		stream_reset(&a->streams);
}

static inline void
end_event(struct apply *a)
{
	delivery_end_event(a->dl);
	a->events++;
}

/*
 * An event of kind op (the message type) was written: count it, and how
 * far behind its commit it was written (timed: it belongs to a
 * transaction, whose commit time is known).  Plain stores, per event.
 */
static inline void
note_event(struct apply *a, int op, int timed)
{
	struct metrics_snap *m = a->met;

	if (m == NULL)
		return;
	switch (op)
	{
		case DECODER_INSERT:
			m->events_create++;
			break;
		case DECODER_UPDATE:
			m->events_update++;
			break;
		case DECODER_DELETE:
			m->events_delete++;
			break;
		case DECODER_TRUNCATE:
			m->events_truncate++;
			break;
		default:
			m->events_message++;
			break;
	}
	m->last_event_ms = a->now_ms;
	if (timed)
		m->behind_source_ms = a->now_ms > a->txn.ev.commit_ms ? a->now_ms - a->txn.ev.commit_ms : 0;
}

/* The signal table carries commands for walcap, not data. */
static int
is_signal_table(const struct apply *a, const struct relcache_rel *rel)
{
	return strcmp(rel->table, CONFIG_SIGNAL_TABLE) == 0 &&
		strcmp(rel->schema, a->cfg->signal_schema) == 0;
}

/*
 * A binary value walcap cannot read: with binary.format=auto the session
 * streams again in text (-2, need_text); with on, walcap stops (-1).
 */
static int
binary_refused(struct apply *a)
{
	a->ew->binary_refused = 0;
	if (a->cfg->binary_format == CONFIG_BINARY_ON)
		return -1;
	a->need_text = 1;
	return -2;
}

static int
handle_change(struct apply *a, const struct decoder_msg *msg, uint64_t lsn,
			  char *err, size_t errlen)
{
	struct relcache_rel *rel = relcache_get(&a->rels, msg->u.change.relid);
	struct decoder_msg mapped;
	const struct decoder_msg *m = msg;
	int			rc;

	if (rel == NULL)
	{
		snprintf(err, errlen, "a change of relation OID %u arrived before its Relation message",
				 msg->u.change.relid);
		return -1;
	}
	if (rel->colmap)
	{
		/* a partition whose columns are in another order than its root's */
		mapped = *msg;
		partition_remap_tuple(rel->colmap, rel->ncols, &mapped.u.change.old, a->remap[0]);
		partition_remap_tuple(rel->colmap, rel->ncols, &mapped.u.change.new, a->remap[1]);
		m = &mapped;
	}
	if (!rel->included)
	{
		if (!a->txn.skipping && is_signal_table(a, rel))
			snapshot_signal_row(a->snap, rel, m, lsn);
		return 0;
	}
	if (!a->txn.skipping)
		snapshot_change(a->snap, rel, m);
	/* skipped.operations: as if the change were not published */
	if (a->cfg->skipped_ops & (m->type == DECODER_INSERT ? CONFIG_SKIP_CREATE :
							   m->type == DECODER_UPDATE ? CONFIG_SKIP_UPDATE : CONFIG_SKIP_DELETE))
		return 0;
	if (txn_already_written(&a->txn))
	{
		/* its place in the transaction still counts (transaction metadata) */
		if (!a->txn.skipping)
			event_change_written_before(a->ew, &a->dl->batch, rel, m, &a->txn.ev, lsn);
		return 0;
	}
	rc = event_change(a->ew, &a->dl->batch, rel, m, &a->txn.ev, lsn, a->now_ms, err, errlen);
	if (rc < 0)
	{
		if (!a->ew->binary_refused)
			return -1;
		batch_abandon(&a->dl->batch);
		return binary_refused(a);
	}
	if (rc > 0)
		return 0;				/* the transforms left nothing of it */
	end_event(a);
	note_event(a, m->type, 1);
	return 0;
}

/*
 * Whether the partition rel, mapped to its root, stands for a truncate
 * of the root in the Truncate message m: once per root (its first
 * partition in the message), and only when the message truncates every
 * published partition of it, since that is when pgoutput from 13 on
 * (publish_via_partition_root) sends the root's truncate; a TRUNCATE of
 * some partitions only sends nothing there.  1 yes, 0 no, -1 with err.
 */
static int
truncates_root(struct apply *a, const struct decoder_msg *m, int i,
			   const struct relcache_rel *rel, char *err, size_t errlen)
{
	int			rc;

	for (int j = 0; j < i; j++)
	{
		const struct relcache_rel *o = relcache_get(&a->rels, decoder_truncate_relid(m, j));

		if (o && o->root_relid == rel->root_relid)
			return 0;
	}
	rc = catalog_truncates_root(a->cat, rel->root_relid, m, err, errlen);
	if (rc == 0)
		log_warning("a TRUNCATE of some partitions of \"%s\".\"%s\" produces no event, as PostgreSQL 13 and later send none with publish_via_partition_root: consumers keep those partitions' rows",
					rel->schema, rel->table);
	return rc;
}

static int
handle_truncate(struct apply *a, const struct decoder_msg *m, uint64_t lsn,
				char *err, size_t errlen)
{
	for (int i = 0; i < m->u.truncate.nrels; i++)
	{
		uint32_t	relid = decoder_truncate_relid(m, i);
		struct relcache_rel *rel = relcache_get(&a->rels, relid);

		if (rel == NULL)
		{
			snprintf(err, errlen, "a truncate of relation OID %u arrived before its Relation message",
					 relid);
			return -1;
		}
		if (!rel->included || (a->cfg->skipped_ops & CONFIG_SKIP_TRUNCATE))
			continue;
		if (rel->root_relid != rel->relid && !a->txn.skipping)
		{
			int			rc = truncates_root(a, m, i, rel, err, errlen);

			if (rc < 0)
			{
				char		cause[512];

				snprintf(cause, sizeof(cause), "%.*s", (int) sizeof(cause) - 1, err);
				snprintf(err, errlen, "could not look up the partitions of \"%s\".\"%s\": %s",
						 rel->schema, rel->table, cause);
				return -2;
			}
			if (rc == 0)
				continue;
		}
		if (txn_already_written(&a->txn))
		{
			if (!a->txn.skipping)
				event_txn_note(a->ew, &a->dl->batch, rel, &a->txn.ev, lsn, 0);
			continue;
		}
		if (event_truncate(a->ew, &a->dl->batch, rel, &a->txn.ev, lsn, a->now_ms) > 0)
			continue;
		end_event(a);
		note_event(a, DECODER_TRUNCATE, 1);
	}
	return 0;
}

/*
 * A relation's Kafka message key: message.key.columns when a rule names
 * it, else the primary key, which only REPLICA IDENTITY DEFAULT sends as
 * the identity; and, for schemas, its NOT NULL columns.
 */
static void
choose_key(struct apply *a, struct relcache_rel *rel)
{
	const struct config_key_rule *rule = config_key_columns(a->cfg, rel->schema, rel->table);
	char		err[512];

	if ((rel->replident != 'd' || a->cfg->key_schemas || a->cfg->value_schemas) &&
		catalog_columns(a->cat, rel, err, sizeof(err)) != 0)
		log_warning("could not look up the primary key and NOT NULL columns of \"%s\".\"%s\" (its Kafka messages are keyed by the replica identity, its schema has every column optional): %s",
					rel->schema, rel->table, err);
	if (rule)
	{
		int			found = relcache_set_key(rel, rule->cols, rule->ncols);

		if (found == rule->ncols)
			return;
		if (found)
			log_warning("message.key.columns: \"%s\".\"%s\" lacks some of the columns its rule names; its key is the others",
						rel->schema, rel->table);
		else
			log_warning("message.key.columns: \"%s\".\"%s\" has none of the columns its rule names; its key is the primary key",
						rel->schema, rel->table);
	}
}

/* Room for a mapped partition's tuples of n columns (a->remap). */
static int
grow_remap(struct apply *a, int n)
{
	if (n <= a->remap_cap)
		return 0;
	for (int k = 0; k < 2; k++)
	{
		struct decoder_column *p = realloc(a->remap[k], sizeof(*p) * (size_t) n);

		if (p == NULL)
			return -1;
		a->remap[k] = p;
	}
	a->remap_cap = n;
	return 0;
}

/*
 * Whether a Relation message may come under a partition's own name
 * although the events must carry its root's: always before 13 (no
 * publish_via_partition_root), and on 13 and 14 with that option, whose
 * pgoutput keeps what it worked out for a table before ATTACH PARTITION
 * made it a partition (its own name) until the walsender restarts
 * (fixed in 15): walcap maps such a table as it does before 13.  Only
 * for FOR ALL TABLES there, where the topmost root is what pgoutput
 * publishes every partition as; with FOR TABLE a partition listed
 * without its ancestors rightly comes under its own name, and one
 * attached under a listed root comes not at all (docs/events.md).
 */
static int
maps_partitions(const struct apply *a)
{
	return a->server_version < PARTITION_VIAROOT_VERSION ||
		(a->server_version < 150000 && a->pub_via_root && a->pub_all_tables);
}

/*
 * Cache the relation of a Relation message in *out.  Where
 * maps_partitions() says so, a partition's entry is made its root's
 * (partition.h): the name, the column order, and the map that puts its
 * tuples in that order.
 * 0; -1 with err on a fatal error; -2 with err when the catalog could
 * not be read (the session is started again, and the Relation message
 * with it).
 */
static int
cache_relation(struct apply *a, const struct decoder_msg *m, struct relcache_rel **out,
			   char *err, size_t errlen)
{
	struct partition_root root;
	int			rc = 0;

	if (maps_partitions(a))
		rc = catalog_partition_root(a->cat, m->u.relation.relid, a->server_version,
									&root, err, errlen);
	if (rc < 0)
	{
		char		cause[512];

		snprintf(cause, sizeof(cause), "%.*s", (int) sizeof(cause) - 1, err);
		snprintf(err, errlen, "could not look up whether \"%s\".\"%s\" is a partition: %s",
				 m->u.relation.nspname, m->u.relation.relname, cause);
		return -2;
	}
	if (rc == 0)
		return (*out = relcache_update(&a->rels, m, err, errlen)) ? 0 : -1;

	*out = grow_remap(a, m->u.relation.ncols) == 0 ? partition_cache(&a->rels, &root, m, err, errlen) : NULL;
	if (*out == NULL && a->remap_cap < m->u.relation.ncols)
		snprintf(err, errlen, "out of memory");
	partition_root_free(&root);
	return *out ? 0 : -1;
}

/*
 * A column mapper applies by the column's type, through domains: a
 * column of a type that is not built in needs the catalog's word on its
 * base type (choose_key asks it when keys or schemas are written).
 */
static void
domain_bases(struct apply *a, struct relcache_rel *rel)
{
	char		err[512];
	int			any = 0;

	for (int i = 0; i < rel->ncols; i++)
		any |= rel->cols[i].typid >= 16384;
	if (any && catalog_columns(a->cat, rel, err, sizeof(err)) != 0)
		log_warning("could not look up the column types of \"%s\".\"%s\" (a column mapper leaves its domain-typed columns as they are): %s",
					rel->schema, rel->table, err);
}

static int
handle_relation(struct apply *a, const struct decoder_msg *m, char *err, size_t errlen)
{
	struct relcache_rel *rel;
	int			rc;

	if ((rc = cache_relation(a, m, &rel, err, errlen)) != 0)
		return rc;
	/* out of memory in the matcher (-1) errs toward capturing */
	rel->included = !is_signal_table(a, rel) &&
		config_table_included(a->cfg, rel->schema, rel->table) != 0;
	if (rel->included && (a->dl->sink.routed || a->cfg->value_schemas))
		choose_key(a, rel);
	else if (rel->included && a->cfg->columns.nrules > 0)
		domain_bases(a, rel);
	if (rel->included && columns_bind(&a->cfg->columns, rel) != 0)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; a->binary && i < rel->ncols; i++)
		if (!convert_binary_readable(&rel->cols[i].conv))
		{
			snprintf(err, errlen, "column \"%s\".\"%s\".\"%s\" has a type (OID %u) whose binary form walcap does not read",
					 rel->schema, rel->table, rel->cols[i].name, rel->cols[i].typid);
			return binary_refused(a);
		}
	log_debug("relation %u \"%s\".\"%s\"%s: %d columns, %s",
			  rel->relid, rel->schema, rel->table,
			  rel->root_relid != rel->relid ? " (a partition of it)" : "", rel->ncols,
			  rel->included ? "captured" : "not captured");
	return 0;
}

/*
 * A message outside a transaction stands for itself: it is delivered
 * like a transaction ending just past it, so it is confirmed (and
 * recorded in the offset file) only once durable, and skipped after a
 * restart past it.
 */
static void
commit_message(struct apply *a, uint64_t lsn)
{
	ack_commit(&a->dl->ack, lsn + 1);
	delivery_note_commit(a->dl, lsn + 1);
}

static int
handle_message(struct apply *a, const struct decoder_msg *m)
{
	int			transactional = m->u.message.flags & 1;
	int			in_txn = ack_in_txn(&a->dl->ack);

	if (strcmp(m->u.message.prefix, HEALTH_HEARTBEAT_PREFIX) == 0)
	{
		/* walcap's own heartbeat (heartbeat.logical.message): a position, no event */
		if (!transactional && !in_txn && !txn_delivered(&a->txn, m->u.message.lsn))
		{
			delivery_note_begin(a->dl);
			commit_message(a, m->u.message.lsn);
		}
		return 0;
	}
	if (transactional)
	{
		if (txn_already_written(&a->txn))
			return 0;
		event_message(a->ew, &a->dl->batch, m, &a->txn.ev, a->now_ms);
		end_event(a);
		note_event(a, DECODER_MESSAGE, 1);
		return 0;
	}
	if (txn_delivered(&a->txn, m->u.message.lsn))
		return 0;
	if (!in_txn)
		delivery_note_begin(a->dl);
	event_message(a->ew, &a->dl->batch, m, NULL, a->now_ms);
	end_event(a);
	note_event(a, DECODER_MESSAGE, 0);
	if (!in_txn)
		commit_message(a, m->u.message.lsn);
	return 0;
}

/* Stream Start, Stop, Commit and Abort (stream.h) */
static int
handle_stream(struct apply *a, const struct decoder_msg *m, uint64_t lsn,
			  char *err, size_t errlen)
{
	if (a->streams.dir == NULL &&
		stream_init(&a->streams, a->cfg->spill_dir, a->cfg->slot_name, err, errlen) != 0)
		return -1;
	switch (m->type)
	{
		case DECODER_STREAM_START:
			return stream_start(&a->streams, m->xid, m->u.stream_start.first, err, errlen);
		case DECODER_STREAM_STOP:
			return stream_stop(&a->streams, err, errlen);
		case DECODER_STREAM_ABORT:
			return stream_abort(&a->streams, m->xid, m->u.stream_abort.subxid, err, errlen);
		default:
			return stream_replay_begin(&a->streams, m->xid, m->u.commit.commit_lsn,
									   m->u.commit.end_lsn, m->u.commit.commit_ts, lsn,
									   err, errlen);
	}
}

int
apply_message(struct apply *a, const char *data, size_t len, uint64_t lsn,
			  char *err, size_t errlen)
{
	struct decoder_msg m;
	int			rc;

	if (decoder_decode(&a->dec, data, len, &m, err, errlen) != 0)
		return -1;
	/* inside a streamed block: kept, without the xid, until the transaction ends */
	if (a->dec.in_stream && m.type != DECODER_STREAM_START)
	{
		if (len < 5)
		{
			snprintf(err, errlen, "a streamed '%c' message without its xid", m.type);
			return -1;
		}
		return stream_spill(&a->streams, m.xid, lsn, data[0], data + 5, len - 5, err, errlen);
	}
	switch (m.type)
	{
		case DECODER_STREAM_START:
		case DECODER_STREAM_STOP:
		case DECODER_STREAM_COMMIT:
		case DECODER_STREAM_ABORT:
			return handle_stream(a, &m, lsn, err, errlen) == 0 ? 0 : -1;
		case DECODER_BEGIN:
			rc = txn_begin(&a->txn, &a->dl->ack, m.u.begin.xid, m.u.begin.commit_ts,
						   m.u.begin.final_lsn, lsn, a->endpos, err, errlen);
			if (rc > 0)
				a->done = 1;
			else if (rc == 0)
			{
				delivery_note_begin(a->dl);
				if (!a->txn.skipping)
					snapshot_begin(a->snap, m.u.begin.xid);
			}
			return rc < 0 ? -1 : 0;
		case DECODER_COMMIT:
			/* provide.transaction.metadata: END, the transaction's last event */
			if (!a->txn.skipping && event_txn_pending(a->ew, &a->txn.ev))
			{
				int			write = !txn_already_written(&a->txn);

				if (event_txn_end(a->ew, &a->dl->batch, &a->txn.ev, lsn, write) && write)
					end_event(a);
			}
			rc = txn_commit(&a->txn, &a->dl->ack, m.u.commit.commit_lsn,
							m.u.commit.end_lsn, lsn, err, errlen);
			if (rc < 0)
				return -1;
			if (rc > 0)
			{
				delivery_note_commit(a->dl, m.u.commit.end_lsn);
				a->txns++;
				if (a->met)
					a->met->committed_transactions++;
				snapshot_position(a->snap, m.u.commit.end_lsn, ack_nappended(&a->dl->ack));
			}
			if (a->endpos && m.u.commit.end_lsn >= a->endpos)
				a->done = 1;
			return 0;
		case DECODER_RELATION:
			return handle_relation(a, &m, err, errlen);
		case DECODER_ORIGIN:
		case DECODER_TYPE:
			return 0;
		case DECODER_INSERT:
		case DECODER_UPDATE:
		case DECODER_DELETE:
			return handle_change(a, &m, lsn, err, errlen);
		case DECODER_TRUNCATE:
			return handle_truncate(a, &m, lsn, err, errlen);
		case DECODER_MESSAGE:
			return handle_message(a, &m);
		default:
			snprintf(err, errlen, "the server sent a '%c' message, which walcap did not ask for",
					 m.type);
			return -1;
	}
}

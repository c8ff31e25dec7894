/*
 * cli_check_slot.c — `walcap check` (cli_check.h): the replication slot
 * (plugin, database, in use, failover), decoding from it with the
 * publication (the seed's verification query, which only peeks), and
 * how much WAL it holds against max_slot_wal_keep_size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "buf.h"
#include "cli.h"
#include "cli_check.h"
#include "log.h"
#include "pgconn.h"

/* ---- the slot ---- */

/*
 * Whether the slot is a failover slot (PostgreSQL 17+), which standbys
 * keep a synchronized copy of, against slot.failover.  Below 17 there
 * is a line only when the key asks for what the server cannot do.
 */
static void
check_slot_failover(struct ctx *x, int failover)
{
	const struct config *c = x->c;
	struct buf	fix;

	if (x->version < 170000)
	{
		if (c->slot_failover)
			check_add(x->r, V_WARN, "slot_failover",
				"the slot is an ordinary one: a failover to a standby loses it, and walcap must start over with a new slot and a new snapshot",
				"upgrade to PostgreSQL 17 or later, or set slot.failover=false",
				"slot.failover=true, but PostgreSQL %d has no failover slots (they exist from PostgreSQL 17 on)",
				x->version / 10000);
		return;
	}
	if (failover)
	{
		check_add(x->r, V_PASS, "slot_failover", NULL, NULL,
			"replication slot %s is a failover slot: standbys with sync_replication_slots = on keep a copy",
			c->slot_name);
		return;
	}
	if (!c->slot_failover)
	{
		check_add(x->r, V_PASS, "slot_failover", NULL, NULL,
			"replication slot %s is not a failover slot (slot.failover=false): a failover to a standby loses it",
			c->slot_name);
		return;
	}
	buf_init(&fix, 0);
	buf_lit(&fix, "-- walcap run does this when it starts; or, while no one streams from the slot,\n"
			"-- as the connector user in psql connected with replication=database:\n");
	admin_alter_slot_failover_cmd(&fix, c->slot_name);
	buf_lit(&fix, ";\n"
			"-- standbys keep a copy with sync_replication_slots = on (see docs/config.md)");
	check_add(x->r, V_WARN, "slot_failover",
		"only a failover slot is synchronized to physical standbys; an ordinary one is lost when a standby is promoted, and walcap must start over with a new slot and a new snapshot",
		check_text(&fix), "replication slot %s is not a failover slot, but slot.failover=true", c->slot_name);
	buf_free(&fix);
}

void
check_slot(struct ctx *x)
{
	const struct config *c = x->c;
	const struct admin_slot *slot = &x->slot;
	char		err[512];
	struct buf	create, fix;
	int			rc = admin_slot_read(x->conn, c->slot_name, ADMIN_SLOT_WAL, &x->slot,
									 err, sizeof(err));

	buf_init(&create, 0);
	buf_init(&fix, 0);
	admin_create_slot_sql(&create, c->slot_name, c->slot_failover && x->version >= 170000);
	buf_putc(&create, ';');
	if (rc != 0)
	{
		check_add(x->r, V_SKIP, "slot", NULL, NULL, "could not be read: %s", err);
		goto out;
	}
	if (!slot->found)
	{
		check_add(x->r, V_FAIL, "slot",
				  "the slot keeps the server's WAL until walcap has delivered it; walcap does not create it",
				  check_text(&create), "replication slot %s does not exist", c->slot_name);
		if (x->version >= 170000 || c->slot_failover)
			check_add(x->r, V_SKIP, "slot_failover", NULL, NULL, "no slot");
		goto out;
	}
	admin_drop_slot_sql(&fix, c->slot_name);
	buf_printf(&fix, ";\n%s\n-- changes not yet consumed from the old slot are lost: snapshot afterwards",
			   check_text(&create));
	if (strcmp(slot->slot_type, "logical") != 0 || strcmp(slot->plugin, "pgoutput") != 0)
		check_add(x->r, V_FAIL, "slot",
				  "walcap decodes pgoutput's binary protocol; a slot of another plugin sends something else",
				  check_text(&fix), "replication slot %s uses plugin %s, must be pgoutput", c->slot_name,
				  slot->plugin[0] ? slot->plugin : "(none: a physical slot)");
	else if (!slot->this_database)
	{
		buf_reset(&fix);
		buf_printf(&fix, "%s  -- run in database %s, or set slot.name to another name", check_text(&create),
				   c->dbname);
		check_add(x->r, V_FAIL, "slot",
				  "a logical slot decodes only the database it was created in",
				  check_text(&fix), "replication slot %s belongs to database %s, not %s", c->slot_name,
				  slot->database, c->dbname);
	}
	else
	{
		check_add(x->r, V_PASS, "slot", NULL, NULL, "replication slot %s (pgoutput, database %s)",
				  c->slot_name, c->dbname);
		x->slot_usable = 1;
	}
	if (strcmp(slot->wal_status, "lost") == 0)
	{
		x->slot_usable = 0;
		check_add(x->r, V_FAIL, "slot_wal",
				  "the WAL the slot needed was removed (max_slot_wal_keep_size): changes since are gone for good",
				  check_text(&fix), "replication slot %s is invalidated (wal_status lost)", c->slot_name);
	}
	else if (slot->wal_status[0])
		check_add(x->r, V_PASS, "slot_wal", NULL, NULL, "wal_status %s", slot->wal_status);
	if (slot->active)
	{
		const char *pid = slot->active_pid;

		buf_reset(&fix);
		buf_printf(&fix, "SELECT pg_terminate_backend(%s);  -- or stop the other consumer",
				   pid[0] ? pid : "<pid>");
		x->slot_usable = 0;
		check_add(x->r, V_FAIL, "slot_active",
				  "a slot streams to one session at a time; walcap cannot start while another holds it (expected if walcap is running)",
				  check_text(&fix), "replication slot %s is active in another session (pid %s)", c->slot_name,
				  pid[0] ? pid : "unknown");
	}
	else
		check_add(x->r, V_PASS, "slot_active", NULL, NULL, "replication slot %s is not in use", c->slot_name);
	check_slot_failover(x, slot->failover);
out:
	buf_free(&create);
	buf_free(&fix);
}

/* The seed's verification query: decode from the slot without consuming. */
void
check_decoding(struct ctx *x)
{
	const struct config *c = x->c;
	const char *params[2] = {c->slot_name, c->publication_name};
	char		err[512];
	PGresult   *res;
	struct buf	sql;

	if (!x->slot_usable || !x->pub_found || !x->replication_ok)
	{
		check_add(x->r, V_SKIP, "decoding", NULL, NULL, "needs %s",
			!x->replication_ok ? "the replication privilege" :
			!x->pub_found ? "the publication" : "a usable slot");
		return;
	}
	/* bounded: a slot far behind could otherwise decode for minutes */
	res = PQexec(x->conn, "BEGIN READ ONLY; SET LOCAL statement_timeout = '60s'");
	PQclear(res);
	res = check_query(x,
				"SELECT count(*) FROM pg_logical_slot_peek_binary_changes($1, NULL, 1, "
				"'proto_version', '1', 'publication_names', $2)",
				2, params, err, sizeof(err));
	PQclear(PQexec(x->conn, "ROLLBACK"));
	buf_init(&sql, 0);
	buf_lit(&sql, "SELECT count(*) FROM pg_logical_slot_peek_binary_changes(");
	pgconn_quote_literal(&sql, c->slot_name);
	buf_lit(&sql, ", null, null, 'proto_version', '1', 'publication_names', ");
	pgconn_quote_literal(&sql, c->publication_name);
	buf_lit(&sql, ");");
	if (res)
		check_add(x->r, V_PASS, "decoding", NULL, NULL, "the slot decodes with publication %s",
			c->publication_name);
	else
		check_add(x->r, V_FAIL, "decoding",
			"this is the setup guide's verification query; walcap's stream fails the same way",
			check_text(&sql), "peeking at slot %s failed: %s", c->slot_name, err);
	PQclear(res);
	buf_free(&sql);
}

void
check_retention(struct ctx *x)
{
	char		keep[32], h[32], hk[32];
	int64_t		keep_bytes = -1;

	if (!x->slot.found)
	{
		check_add(x->r, V_SKIP, "wal_retention", NULL, NULL, "no slot");
		return;
	}
	log_human_size(h, sizeof(h), x->slot.retained);
	if (x->version < 130000)
	{
		check_add(x->r, V_PASS, "wal_retention", NULL, NULL,
			"the slot retains %s of WAL (PostgreSQL %d has no max_slot_wal_keep_size)",
			h, x->version / 10000);
		return;
	}
	admin_setting(x->conn, "max_slot_wal_keep_size", keep, sizeof(keep));
	{
		/* current_setting gives units ("10GB"); pg_settings gives MB */
		char		mb[32];

		if (admin_setting_base(x->conn, "max_slot_wal_keep_size", mb, sizeof(mb)) == 1 &&
			strcmp(mb, "-1") != 0)
			keep_bytes = strtoll(mb, NULL, 10) * 1024 * 1024;
	}
	if (keep_bytes < 0)
		check_add(x->r, V_PASS, "wal_retention", NULL, NULL,
			"the slot retains %s of WAL; max_slot_wal_keep_size = -1: WAL is kept until walcap consumes it "
			"(watch it with walcap status --max-retained-wal)", h);
	else
	{
		log_human_size(hk, sizeof(hk), keep_bytes);
		if (x->slot.retained > keep_bytes / 2 || strcmp(x->slot.wal_status, "unreserved") == 0)
			check_add(x->r, V_WARN, "wal_retention",
				"past max_slot_wal_keep_size the server removes the WAL and invalidates the slot: changes are lost",
				"ALTER SYSTEM SET max_slot_wal_keep_size = '<larger>'; SELECT pg_reload_conf();\n"
				"-- or start walcap, or find why it is behind",
				"the slot retains %s of WAL, max_slot_wal_keep_size = %s (wal_status %s, safe_wal_size %s)",
				h, keep, x->slot.wal_status, x->slot.safe_wal_size[0] ? x->slot.safe_wal_size : "-");
		else
			check_add(x->r, V_PASS, "wal_retention", NULL, NULL,
				"the slot retains %s of WAL, max_slot_wal_keep_size = %s", h, keep);
	}
}


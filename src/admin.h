/*
 * admin.h — the administrative SQL of walcap, in one place: what it
 * reads about the replication slot and the server's settings, the role
 * its grants go to, and the text of every setup statement it runs or
 * proposes (setup, check's fixes, the hints of run, status, snapshot).
 *
 * Statement builders are pure: they append one statement to a buf,
 * without a trailing ';' (callers that print a fix add it), every name
 * quoted with pgconn_quote_*.  A buf that ran out of memory is failed
 * (buf_failed); builders never report it themselves.
 *
 * Readers take a connection the caller owns.  They use the simple
 * protocol with quoted literals, so they also work on a replication
 * (replication=database) connection, which refuses parameters.  On a
 * server error they return -1 with the server's primary message in err;
 * PQerrorMessage(conn) still holds the full message for callers that
 * report that one.
 */
#ifndef WALCAP_ADMIN_H
#define WALCAP_ADMIN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pgconn.h"

/* The role setup creates; grants go to it, and the user is its member. */
#define ADMIN_ROLE "streamkap_role"

/*
 * An SQL expression: whether current_user is a member of ADMIN_ROLE
 * (false when the role does not exist).
 */
#define ADMIN_ROLE_MEMBER_SQL \
	"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" ADMIN_ROLE "') " \
	"  AND pg_has_role(current_user, '" ADMIN_ROLE "', 'MEMBER') "

/*
 * The role that grants are meant for: ADMIN_ROLE when the user is its
 * member (member set) or unknown (member < 0), else the user itself.
 */
const char *admin_grantee(int member, const char *user);

/* ---- reading ---- */

/*
 * Whether the server is Amazon RDS / Aurora (it has the rds_replication
 * role, and the rds.* settings): 1 or 0, -1 with err.
 */
int			admin_rds(PGconn *conn, char *err, size_t errlen);

/* What pg_replication_slots says about one slot. */
struct admin_slot
{
	int			found;			/* the slot exists; nothing below is set if not */
	char		slot_type[16];	/* "logical" or "physical" */
	char		plugin[64];		/* "" for a physical slot */
	char		database[128];	/* "" for a physical slot */
	int			this_database;	/* database = current_database() */
	int			active;			/* a session streams from it */
	char		active_pid[16];	/* "" if not active */
	char		restart_lsn[32];
	char		confirmed_lsn[32];	/* confirmed_flush_lsn, "" if none */
	/* with ADMIN_SLOT_WAL only (a primary: pg_current_wal_lsn()) */
	char		current_lsn[32];
	int			retained_known;	/* restart_lsn is set */
	int64_t		retained;		/* bytes from restart_lsn to the WAL's end, 0 if unknown */
	int			lag_known;		/* confirmed_flush_lsn is set */
	int64_t		lag;			/* bytes from confirmed_flush_lsn to it, 0 if unknown */
	/* by server version */
	char		wal_status[32];	/* 13+; "" before */
	char		safe_wal_size[32];	/* 13+; "" before, or if unlimited */
	int			failover;		/* 17+: a failover slot; 0 before */
};

/* admin_slot_read() flag: also the WAL positions (fails on a standby). */
#define ADMIN_SLOT_WAL 1

/*
 * Read slot slot_name into *out (zeroed first): 0 (out->found tells
 * whether it exists), or -1 with err.
 */
int			admin_slot_read(PGconn *conn, const char *slot_name, int flags,
							struct admin_slot *out, char *err, size_t errlen);
/* The same, calling on_wait while the query waits (pgconn_exec). */
int			admin_slot_read_wait(PGconn *conn, const char *slot_name, int flags,
								 struct admin_slot *out, pgconn_wait_fn on_wait,
								 void *arg, char *err, size_t errlen);

/* How many slots and WAL senders there are and may be. */
struct admin_capacity
{
	int			max_slots;		/* max_replication_slots */
	int			used_slots;
	int			have_slot;		/* one of them is the connector's */
	int			max_senders;	/* max_wal_senders */
	int			used_senders;	/* rows of pg_stat_replication */
};

/* 0, or -1 with err. */
int			admin_capacity(PGconn *conn, const char *slot_name,
						   struct admin_capacity *out, char *err, size_t errlen);

/*
 * A server setting as SHOW gives it (with its unit: "10GB"): 1 with the
 * value in out, 0 if there is no such setting (or it is not visible),
 * -1 on error; out is "" unless 1.
 */
int			admin_setting(PGconn *conn, const char *name, char *out, size_t outlen);

/* The same in the setting's base unit, from pg_settings ("10240" MB). */
int			admin_setting_base(PGconn *conn, const char *name, char *out, size_t outlen);

/* ---- statements (no trailing ';') ---- */

/* CREATE TABLE "schema"."streamkap_signal" (...): pretty puts a column a line. */
void		admin_signal_table_sql(struct buf *b, const char *schema, int pretty);

/* GRANT USAGE ON SCHEMA "schema" TO "grantee" */
void		admin_schema_usage_sql(struct buf *b, const char *schema, const char *grantee);

/*
 * CREATE TABLE "schema"."walcap_offsets" (...), offset.storage=postgres's
 * table (offset_store.h): pretty puts a column a line.
 */
void		admin_offsets_table_sql(struct buf *b, const char *schema, int pretty);

/* GRANT SELECT, INSERT, UPDATE ON TABLE "schema"."walcap_offsets" TO "grantee" */
void		admin_offsets_grant_sql(struct buf *b, const char *schema, const char *grantee);

/* GRANT SELECT, UPDATE, INSERT[, DELETE] ON TABLE "schema"."streamkap_signal" TO "grantee" */
void		admin_signal_grant_sql(struct buf *b, const char *schema, const char *grantee,
								   int with_delete);

/* GRANT SELECT ON "schema"."table" TO "grantee" */
void		admin_table_select_sql(struct buf *b, const char *schema, const char *table,
								   const char *grantee);

/* GRANT CONNECT ON DATABASE "dbname" TO "grantee" */
void		admin_connect_sql(struct buf *b, const char *dbname, const char *grantee);

/* ALTER ROLE "user" REPLICATION */
void		admin_replication_sql(struct buf *b, const char *user);

/*
 * CREATE PUBLICATION "pub" FOR ALL TABLES (signal_schema NULL), or FOR
 * TABLE the ntables already quoted names in tables and the signal table
 * of signal_schema; via_root adds WITH (publish_via_partition_root = true).
 */
void		admin_publication_sql(struct buf *b, const char *pub, const char *const *tables,
								  int ntables, const char *signal_schema, int via_root);

/* ALTER PUBLICATION "pub" ADD TABLE (followed by the caller's names) */
void		admin_publication_add_sql(struct buf *b, const char *pub);

/* ALTER PUBLICATION "pub" SET (publish_via_partition_root = true) */
void		admin_publication_viaroot_sql(struct buf *b, const char *pub);

/* SELECT pg_create_logical_replication_slot('slot', 'pgoutput'[, failover => true]) */
void		admin_create_slot_sql(struct buf *b, const char *slot, int failover);

/* SELECT 1 FROM pg_replication_slots WHERE slot_name = 'slot': a row if it exists */
void		admin_slot_exists_sql(struct buf *b, const char *slot);

/* SELECT pg_drop_replication_slot('slot') */
void		admin_drop_slot_sql(struct buf *b, const char *slot);

/*
 * The replication-protocol forms: CREATE_REPLICATION_SLOT "slot" LOGICAL
 * pgoutput exporting a snapshot (the form every version from 10 on
 * accepts, or with failover the 17+ option list), ALTER_REPLICATION_SLOT
 * "slot" (FAILOVER true), DROP_REPLICATION_SLOT "slot".
 */
void		admin_create_slot_cmd(struct buf *b, const char *slot, int failover);
void		admin_alter_slot_failover_cmd(struct buf *b, const char *slot);
void		admin_drop_slot_cmd(struct buf *b, const char *slot);

#endif

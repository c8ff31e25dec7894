/*
 * cli_check.h — inside `walcap check` (cli.h's cli_check()): the report
 * its checks add to and what they learn and share, for the files that
 * hold the checks by concern: cli_check.c (connection, server, user,
 * output), cli_check_objects.c (signal table, publication, captured
 * tables), cli_check_slot.c (slot, decoding, WAL retention).
 *
 * Each check adds one or more items, PASS / WARN / FAIL / SKIP, with
 * the SQL of its fix built by admin.h.  Strings given to check_add()
 * are copied; the report owns its items.
 */
#ifndef WALCAP_CLI_CHECK_H
#define WALCAP_CLI_CHECK_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "buf.h"
#include "config.h"

#define CHECK_MAX_ITEMS 48
/* Tables named in one line before "and N more". */
#define CHECK_LIST_MAX 10

enum verdict
{
	V_PASS,
	V_WARN,
	V_FAIL,
	V_SKIP,
};

struct item
{
	enum verdict v;
	const char *name;			/* stable id, also in the JSON */
	char	   *msg;			/* what was found */
	char	   *why;			/* FAIL/WARN: why it matters */
	char	   *fix;			/* FAIL/WARN: lines of SQL or steps */
};

struct report
{
	int			n;
	int			count[4];
	int			oom;
	struct item items[CHECK_MAX_ITEMS];
};

/* What the checks learn and share. */
struct ctx
{
	const struct config *c;
	PGconn	   *conn;
	struct report *r;
	int			version;
	int			rds;			/* rds_replication exists */
	int			replication_ok;	/* the user may replicate */
	int			tunnel_failed;	/* ssh.enabled and the tunnel did not open */
	char		grantee[128];	/* ADMIN_ROLE if the user is in it (admin_grantee) */
	struct buf	sig;			/* "schema"."streamkap_signal" */
	struct buf	pub;			/* "publication" */
	/* the publication */
	int			pub_found;
	int			pub_all;
	int			pub_viaroot;
	/* the slot */
	int			slot_usable;	/* pgoutput, this database, idle, not lost */
	struct admin_slot slot;		/* with the WAL positions; slot.found */
};

/* Record a check.  why and fix may be NULL; fix lines are '\n'-separated. */
void		check_add(struct report *r, enum verdict v, const char *name, const char *why,
					  const char *fix, const char *fmt,...)
			__attribute__((format(printf, 6, 7)));

/* A query with text parameters; NULL (and the message in err) on error. */
PGresult   *check_query(struct ctx *x, const char *sql, int nparams, const char *const *params,
						char *err, size_t errlen);

/* Whether the value at row, col is true (not NULL). */
int			check_true(PGresult *res, int row, int col);

/* b's text, "" when empty. */
const char *check_text(struct buf *b);

/* ", " between names, and "and N more" past CHECK_LIST_MAX. */
void		check_list_add(struct buf *b, int *n, const char *schema, const char *table);
void		check_list_end(struct buf *b, int n);

/* cli_check_objects.c */
void		check_publication(struct ctx *x);
void		check_signal(struct ctx *x);
/* offset.storage=postgres: the offsets table and its privileges */
void		check_offsets(struct ctx *x);
void		check_tables(struct ctx *x);

/* cli_check_slot.c */
void		check_slot(struct ctx *x);
void		check_decoding(struct ctx *x);
void		check_retention(struct ctx *x);

#endif

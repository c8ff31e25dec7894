/*
 * cli.h — the subcommands main() dispatches to.  Each returns the
 * process exit status: 0 clean stop, 1 runtime failure, 2 usage or
 * configuration error.  Only main() exits.
 */
#ifndef WALCAP_CLI_H
#define WALCAP_CLI_H

#include <signal.h>
#include <stdint.h>

#include "config.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Set by SIGINT/SIGTERM; the run loop stops at the next safe point. */
extern volatile sig_atomic_t cli_stop_requested;

struct run_opts
{
	uint64_t	endpos;			/* 0: run until stopped */
	int			progress;		/* --progress: log snapshot progress even off a terminal */
	int			report_fd;		/* --report-fd N: walcap server's report pipe, -1 none */
};

int		cli_run(const struct config *c, const struct run_opts *o);

struct status_opts
{
	int			json;			/* --json */
	int64_t		watch_s;		/* --watch SECONDS, 0 = once */
	int64_t		max_retained;	/* --max-retained-wal, -1 = no limit */
};

int		cli_status(const struct config *c, const struct status_opts *o);

struct check_opts
{
	int			json;			/* --json */
};

/* walcap check: one PASS/WARN/FAIL line per check; 0 if nothing FAILs. */
int		cli_check(const struct config *c, const struct check_opts *o);

struct setup_opts
{
	int			apply;			/* --apply: run it, else print it */
	const char *admin_dsn;		/* --admin-dsn, or NULL: WALCAP_ADMIN_DSN */
};

/* walcap setup: the seed's SQL for the configured names, printed or applied. */
int		cli_setup(const struct config *c, const struct setup_opts *o);

enum snapshot_cmd
{
	SNAPSHOT_CMD_EXECUTE,
	SNAPSHOT_CMD_STOP,
	SNAPSHOT_CMD_PAUSE,
	SNAPSHOT_CMD_RESUME,
};

struct snapshot_opts
{
	enum snapshot_cmd kind;
	int			blocking;		/* --blocking */
	const char *filter;			/* --filter SQL, for every table */
	const char *surrogate_key;	/* --surrogate-key COLUMN */
	const char *id;				/* --id, or NULL: generated */
	int			ntables;
	char	  **tables;			/* "schema.table" as given (argv) */
};

/* walcap snapshot: write the signal (execute, stop, pause, resume). */
int		cli_snapshot(const struct config *c, const struct snapshot_opts *o);

/*
 * walcap server: the REST API, the console and /metrics over supervised
 * walcap run children (docs/server.md); config_path may be NULL.
 */
int		cli_server(const char *config_path);

/* "64MB", "1GiB", "4096": bytes (binary units); -1 if not a size. */
int		cli_parse_size(const char *s, int64_t *out);

#endif

/*
 * server.h — walcap server's shared state: the connectors it manages,
 * and the three parts that act on them.
 *
 *   server_store.c   the state directory: each connector's files, written
 *                    atomically (fileio.h), read back at start
 *   server_child.c   the supervisor: one `walcap run` child per connector,
 *                    started, stopped, restarted with backoff; reads each
 *                    child's stderr (log, last error) and report lines
 *                    (metrics.h)
 *   server_api.c     the REST API, the console and /metrics (httpd.h's
 *                    handler)
 *
 * Threads: the supervisor runs on the command's thread (cli_server.c);
 * the API on libmicrohttpd's.  Everything in struct server below `lock`
 * is read and written only with lock held.  The API changes what a
 * connector should be (config, target, flags) and calls server_wake();
 * only the supervisor forks, signals and reaps children.
 */
#ifndef WALCAP_SERVER_H
#define WALCAP_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "connect_config.h"
#include "metrics.h"

#define SERVER_NAME_MAX 128
#define SERVER_MAX_CONNECTORS 1000
#define SERVER_TRACE_MAX 4096
/* History for the console's chart: one point every 2 s for 10 minutes. */
#define SERVER_HISTORY 300
#define SERVER_HISTORY_STEP_MS 2000

enum server_state
{
	SRV_UNASSIGNED = 0,
	SRV_RUNNING,
	SRV_PAUSED,
	SRV_FAILED,
};

extern const char *const server_state_name[];

struct server_connector
{
	char		name[SERVER_NAME_MAX + 1];
	struct connect_config config;	/* as the client gave it, secrets included */
	int			paused;			/* the target: PAUSED (1) or RUNNING (0) */
	int			deleted;		/* gone from the API; the child is stopping */

	/* supervisor's */
	enum server_state state;
	char		trace[SERVER_TRACE_MAX];	/* the last failure, "" none */
	pid_t		pid;			/* 0: no child */
	int			err_fd;			/* the child's stderr, -1 */
	int			report_fd;		/* the child's report lines, -1 */
	struct buf	err_line;		/* partial lines */
	struct buf	report_line;
	int			restart;		/* stop the child and start it again */
	int			stopping;		/* SIGTERM sent */
	int64_t		stop_sent_ms;
	int64_t		start_at_ms;	/* when to start the child next (0: now) */
	int64_t		backoff_ms;
	int			hold;			/* failed with a configuration error: wait */
	int64_t		started_ms;
	char		recent[16][256];	/* the child's last stderr lines */
	int			nrecent;

	/* the last report */
	int			have_metrics;
	struct metrics_snap metrics;

	/* the console's chart */
	int64_t		hist_t[SERVER_HISTORY];	/* ms since 1970 */
	double		hist_eps[SERVER_HISTORY];
	int64_t		hist_lag[SERVER_HISTORY];
	int			hist_n;
	int			hist_pos;
	int64_t		hist_events;	/* total events at the last point */
	int64_t		hist_last_ms;
};

struct server
{
	/* set once at start, read-only afterwards */
	char	   *state_dir;
	char	   *self_exe;		/* /proc/self/exe: children run the same binary */
	char	   *worker_id;		/* the listen address, as Kafka Connect shows it */
	struct connect_config defaults;	/* the server file's other keys */
	int64_t		backoff_initial_ms;
	int64_t		backoff_max_ms;
	int			wake[2];		/* a pipe: the API wakes the supervisor */

	pthread_mutex_t lock;
	struct server_connector **c;	/* sorted by name */
	int			n;
	int			stopping;		/* SIGTERM: stop every child, start none */
};

/* The connector named name, or NULL (lock held). */
struct server_connector *server_find(struct server *s, const char *name);
/* Insert a new connector, keeping the order (lock held); NULL: out of memory. */
struct server_connector *server_add(struct server *s, const char *name);
/* Remove and free c (lock held; its child must be gone). */
void		server_remove(struct server *s, struct server_connector *c);
void		server_wake(struct server *s);
int64_t		server_now_ms(void);

/* Whether name is a valid connector name; err says why not. */
int			server_name_ok(const char *name, char *err, size_t errlen);

/*
 * The effective walcap configuration of a connector: the server's
 * defaults, then the translated connector configuration; checked with
 * config_set/config_finish.  0, or -1 with err (a one-line message
 * naming the key).  out receives walcap keys (must be initialised empty);
 * cfg_out, if not NULL, the finished configuration (the caller frees it
 * with config_free, also after a failure).
 */
struct config;
int			server_effective(const struct server *s, const char *name,
							 const struct connect_config *given,
							 struct connect_config *out, struct config *cfg_out,
							 char *err, size_t errlen);

/* --- server_store.c --- */

/* Create the directory layout and take its lock; -1 with err. */
int			store_open(struct server *s, char *err, size_t errlen);
/* Load every connector from the state directory (lock held). */
int			store_load(struct server *s, char *err, size_t errlen);
/* Write connector.json and secrets.json of c. */
int			store_save(const struct server *s, const struct server_connector *c,
					   char *err, size_t errlen);
/*
 * Remove a deleted connector's configuration and secrets at once, so that
 * a restart does not bring it back while its child still writes offsets
 * into the directory (store_load removes such a directory).
 */
int			store_forget(const struct server *s, const char *name, char *err, size_t errlen);
/* Move c's directory out of the way, then remove it. */
int			store_delete(const struct server *s, const char *name, char *err, size_t errlen);
/* Paths inside the connector's directory, into out[outlen]. */
void		store_path(const struct server *s, const char *name, const char *file,
					   char *out, size_t outlen);

/* --- server_child.c --- */

/* Run the supervisor until *stop is set and every child is gone. */
void		child_supervise(struct server *s, volatile sig_atomic_t *stop);

/*
 * Run `walcap ARGS...` once for the API (check --json, snapshot) with
 * the connector's effective configuration written to a private
 * properties file and its secrets in the environment; *out receives its
 * stdout, *errout its stderr (both appended; bounded).  Returns its exit
 * status, or -1 with err set if it could not run or took longer than
 * timeout_ms (it is then killed).
 */
int			child_run_once(const struct server *s, const struct connect_config *eff,
						   const char *const *args, int64_t timeout_ms,
						   struct buf *out, struct buf *errout, char *err, size_t errlen);

/* --- server_api.c --- */

struct httpd_request;
struct httpd_response;
void		api_handle(void *arg, const struct httpd_request *req,
					   struct httpd_response *resp);

#endif

/*
 * server_child.c — walcap server's supervisor: one `walcap run` child
 * per connector (see server.h).
 *
 * A child is the same binary (/proc/self/exe) running
 *   walcap run -c <dir>/run.properties --report-fd 3
 * with its secrets in its environment, stderr and fd 3 on pipes to the
 * supervisor, and PR_SET_PDEATHSIG so that it stops cleanly (SIGTERM:
 * it confirms what it delivered) when the server dies, even by kill -9;
 * the next server then starts it again from its offsets.
 *
 * One connector's child failing never touches another: each has its own
 * process, pipes and backoff.  Exit status 1 (a runtime failure) is
 * retried after a delay that doubles up to server.restart.backoff.max.ms;
 * status 2 (a configuration error) waits for a new configuration or a
 * restart request, since retrying cannot help.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "log.h"
#include "secret.h"

extern char **environ;

/* A child that has not stopped this long after SIGTERM is killed. */
#define CHILD_STOP_TIMEOUT_MS 60000
/* A child that ran this long has its backoff reset when it fails. */
#define CHILD_STABLE_MS 60000
#define CHILD_LOG_MAX (1024 * 1024)

static void
set_trace_from_recent(struct server_connector *c, const char *why)
{
	int			first = -1;
	size_t		off = 0;

	for (int i = 0; i < c->nrecent; i++)
		if (strstr(c->recent[i], "ERROR:") != NULL)
			first = i;
	if (first < 0)
		first = c->nrecent > 5 ? c->nrecent - 5 : 0;
	c->trace[0] = '\0';
	for (int i = first; i < c->nrecent && off < sizeof(c->trace); i++)
		off += (size_t) snprintf(c->trace + off, sizeof(c->trace) - off, "%s\n", c->recent[i]);
	if (off < sizeof(c->trace))
		snprintf(c->trace + off, sizeof(c->trace) - off, "%s", why);
}

static void
remember_line(struct server_connector *c, const char *line)
{
	if (c->nrecent == (int) (sizeof(c->recent) / sizeof(c->recent[0])))
	{
		memmove(c->recent[0], c->recent[1], sizeof(c->recent[0]) * (size_t) (c->nrecent - 1));
		c->nrecent--;
	}
	snprintf(c->recent[c->nrecent++], sizeof(c->recent[0]), "%s", line);
}

/* Append a chunk of the child's stderr to its log, rotating at 1 MiB. */
static void
append_log(struct server *s, struct server_connector *c, const char *p, size_t n)
{
	char		path[4096];
	int			fd;
	struct stat st;

	store_path(s, c->name, "walcap.log", path, sizeof(path));
	if (stat(path, &st) == 0 && st.st_size > CHILD_LOG_MAX)
	{
		char		old[4200];

		snprintf(old, sizeof(old), "%s.1", path);
		(void) rename(path, old);
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, p, n) < 0)
		log_debug("cannot write %s: %s", path, strerror(errno));
	close(fd);
}

static void
history_point(struct server_connector *c)
{
	int64_t		now = server_now_ms();
	const struct metrics_snap *m = &c->metrics;
	int64_t		total = m->events_create + m->events_update + m->events_delete +
		m->events_truncate + m->events_message;
	int			i;

	if (c->hist_last_ms == 0 || total < c->hist_events)
	{
		c->hist_last_ms = now;
		c->hist_events = total;
		return;
	}
	if (now - c->hist_last_ms < SERVER_HISTORY_STEP_MS)
		return;
	i = c->hist_pos;
	c->hist_t[i] = now;
	c->hist_eps[i] = (double) (total - c->hist_events) * 1000.0 / (double) (now - c->hist_last_ms);
	c->hist_lag[i] = m->behind_source_ms;
	c->hist_pos = (i + 1) % SERVER_HISTORY;
	if (c->hist_n < SERVER_HISTORY)
		c->hist_n++;
	c->hist_last_ms = now;
	c->hist_events = total;
}

static void
take_line(struct server_connector *c, int report, const char *line, size_t len)
{
	char		err[256];

	if (report)
	{
		struct metrics_snap m;

		if (metrics_parse_line(line, len, &m, err, sizeof(err)) == 0)
		{
			c->metrics = m;
			c->have_metrics = 1;
			history_point(c);
		}
		else
			log_debug("connector %s: unreadable report: %s", c->name, err);
		return;
	}
	remember_line(c, line);
	fprintf(stderr, "[%s] %s\n", c->name, line);
}

/* Read what is there; 1 at end of file or error (the fd is closed). */
static int
drain(struct server *s, struct server_connector *c, int report)
{
	int		   *fd = report ? &c->report_fd : &c->err_fd;
	struct buf *pending = report ? &c->report_line : &c->err_line;
	char		chunk[8192];

	for (;;)
	{
		ssize_t		n = read(*fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
		{
			if (pending->len > 0)
				take_line(c, report, pending->data, pending->len);
			buf_reset(pending);
			close(*fd);
			*fd = -1;
			return 1;
		}
		if (!report)
			append_log(s, c, chunk, (size_t) n);
		for (ssize_t i = 0; i < n; i++)
		{
			if (chunk[i] == '\n')
			{
				if (!buf_failed(pending))
					take_line(c, report, pending->data ? pending->data : "", pending->len);
				buf_reset(pending);
			}
			else
				buf_putc(pending, chunk[i]);
		}
	}
}

/*
 * A properties file at path: header, eff's keys but the secrets (those go
 * through the environment), then extra ("key=value\n" lines, or NULL;
 * later lines win).
 */
static int
write_properties(const char *path, const char *header, const struct connect_config *eff,
				 const char *extra, char *err, size_t errlen)
{
	struct buf	b;
	int			rc;

	buf_init(&b, 0);
	buf_puts(&b, header);
	for (int i = 0; i < eff->n; i++)
		if (!config_is_secret(eff->kv[i].key))
			buf_printf(&b, "%s=%s\n", eff->kv[i].key, eff->kv[i].value);
	if (extra != NULL)
		buf_puts(&b, extra);
	if (buf_failed(&b))
		rc = errbuf_fail(err, errlen, "out of memory");
	else
		rc = file_replace(path, b.data, b.len, 0600, err, errlen);
	buf_free(&b);
	return rc;
}

/*
 * environ plus WALCAP_<KEY>=value for each secret; NULL on out of memory.
 * Also GNUTLS_NO_IMPLICIT_INIT=1: GnuTLS comes with libpq (through
 * libldap) but no child uses it unless asked, and its constructor would
 * otherwise initialise it in every child (some 0.7 MiB each); libldap
 * and libmicrohttpd initialise it when they do use it.
 */
static char **
child_env(const struct connect_config *eff)
{
	int			n = 0;
	int			k = 0;
	char	  **env;

	while (environ[n] != NULL)
		n++;
	env = calloc((size_t) (n + eff->n + 2), sizeof(char *));
	if (env == NULL)
		return NULL;
	for (int i = 0; i < eff->n; i++)
	{
		char		name[256];
		size_t		len;

		if (!config_is_secret(eff->kv[i].key))
			continue;
		secret_env_name("WALCAP_", eff->kv[i].key, name, sizeof(name));
		len = strlen(name) + 1 + strlen(eff->kv[i].value) + 1;
		if ((env[k] = malloc(len)) == NULL)
			goto oom;
		snprintf(env[k++], len, "%s=%s", name, eff->kv[i].value);
	}
	if (getenv("GNUTLS_NO_IMPLICIT_INIT") == NULL)
		env[k++] = "GNUTLS_NO_IMPLICIT_INIT=1";
	for (int i = 0; i < n; i++)
	{
		int			dup = 0;
		size_t		nl = strcspn(environ[i], "=");

		for (int j = 0; j < k && !dup; j++)
			dup = strncmp(env[j], environ[i], nl + 1) == 0;
		if (!dup)
			env[k++] = environ[i];
	}
	return env;
oom:
	for (int j = 0; j < k; j++)
		free(env[j]);
	free(env);
	return NULL;
}

static void
free_env(char **env, const struct connect_config *eff)
{
	int			nsecrets = 0;

	if (env == NULL)
		return;
	for (int i = 0; i < eff->n; i++)
		nsecrets += config_is_secret(eff->kv[i].key) != 0;
	for (int j = 0; j < nsecrets; j++)
	{
		secret_wipe(env[j], strlen(env[j]));
		free(env[j]);
	}
	free(env);
}

/*
 * Start the server's own binary with argv and env: stdin /dev/null,
 * stdout out (-1: /dev/null), stderr errfd, fd 3 rep (-1: none).  A
 * supervised child stops (SIGTERM) when the server dies, even by kill -9,
 * and has its own process group, so that a terminal's ^C reaches only the
 * server, which stops the children in turn.  The pid, or -1 with errno.
 */
static pid_t
spawn(const struct server *s, char *const argv[], char *const env[], int out, int errfd,
	  int rep, int supervised)
{
	pid_t		server_pid = getpid();
	int			devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t		pid;
	int			saved;

	if (devnull < 0)
		return -1;
	pid = fork();
	if (pid == 0)
	{
		/* only async-signal-safe calls from here to execve */
		if (supervised)
		{
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != server_pid)
				_exit(1);
			setpgid(0, 0);
		}
		dup2(devnull, 0);
		dup2(out >= 0 ? out : devnull, 1);
		dup2(errfd, 2);
		if (rep >= 0)
			dup2(rep, 3);
		execve(s->self_exe, argv, env);
		_exit(127);
	}
	saved = errno;
	close(devnull);
	errno = saved;
	return pid;
}

static void
fail_held(struct server_connector *c, const char *msg)
{
	c->state = SRV_FAILED;
	c->hold = 1;
	snprintf(c->trace, sizeof(c->trace), "%s", msg);
	log_error("connector %s: %s", c->name, msg);
}

static void
start_child(struct server *s, struct server_connector *c)
{
	struct connect_config eff;
	char		err[1024];
	char		props[4096];
	char	  **env = NULL;
	char		header[256];
	char		extra[4400];
	int			errp[2] = {-1, -1};
	int			repp[2] = {-1, -1};
	pid_t		pid;
	char	   *argv[] = {"walcap", "run", "-c", props, "--report-fd", "3", NULL};

	connect_config_init(&eff);
	if (server_effective(s, c->name, &c->config, &eff, NULL, err, sizeof(err)) != 0)
	{
		fail_held(c, err);
		goto done;
	}
	/*
	 * The offset file is the server's: in the connector's directory.  The
	 * connector's name keys its offset record (offset.storage=postgres).
	 */
	snprintf(header, sizeof(header), "# generated by walcap server for connector %s: do not edit "
			 "(PUT /connectors/NAME/config changes it)\n", c->name);
	store_path(s, c->name, "offsets", props, sizeof(props));
	snprintf(extra, sizeof(extra), "offset.storage.file.filename=%s\nname=%s\n", props, c->name);
	store_path(s, c->name, "run.properties", props, sizeof(props));
	if (write_properties(props, header, &eff, extra, err, sizeof(err)) != 0)
	{
		fail_held(c, err);
		goto done;
	}
	env = child_env(&eff);
	if (env == NULL || pipe2(errp, O_CLOEXEC) != 0 || pipe2(repp, O_CLOEXEC) != 0)
	{
		c->state = SRV_FAILED;
		snprintf(c->trace, sizeof(c->trace), "cannot start walcap run: %s", strerror(errno));
		c->start_at_ms = server_now_ms() + c->backoff_ms;
		goto done;
	}
	pid = spawn(s, argv, env, -1, errp[1], repp[1], 1);
	if (pid < 0)
	{
		c->state = SRV_FAILED;
		snprintf(c->trace, sizeof(c->trace), "cannot start walcap run: fork: %s", strerror(errno));
		c->start_at_ms = server_now_ms() + c->backoff_ms;
		goto done;
	}
	c->pid = pid;
	c->err_fd = errp[0];
	c->report_fd = repp[0];
	errp[0] = repp[0] = -1;
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->report_fd, F_SETFL, O_NONBLOCK);
	c->state = SRV_RUNNING;
	c->stopping = 0;
	c->nrecent = 0;
	c->started_ms = server_now_ms();
	log_info("connector %s: started walcap run (pid %d)", c->name, (int) pid);
done:
	for (int i = 0; i < 2; i++)
	{
		if (errp[i] >= 0)
			close(errp[i]);
		if (repp[i] >= 0)
			close(repp[i]);
	}
	free_env(env, &eff);
	connect_config_free(&eff);
}

static void
child_exited(struct server *s, struct server_connector *c, int status)
{
	char		why[128];
	int64_t		now = server_now_ms();

	while (c->err_fd >= 0 && drain(s, c, 0) == 0)
		;
	while (c->report_fd >= 0 && drain(s, c, 1) == 0)
		;
	if (c->err_fd >= 0)
		close(c->err_fd);
	if (c->report_fd >= 0)
		close(c->report_fd);
	c->err_fd = c->report_fd = -1;
	c->pid = 0;
	c->metrics.connected = 0;
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "walcap run exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "walcap run was killed by signal %d", WTERMSIG(status));
	log_info("connector %s: %s", c->name, why);
	if (c->deleted)
		return;
	if (c->stopping)
	{
		c->stopping = 0;
		c->state = c->paused ? SRV_PAUSED : SRV_UNASSIGNED;
		if (c->restart)
		{
			c->restart = 0;
			c->hold = 0;
			c->start_at_ms = 0;
			c->backoff_ms = s->backoff_initial_ms;
			c->trace[0] = '\0';
		}
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
	{
		c->state = SRV_UNASSIGNED;
		c->hold = 1;
		snprintf(c->trace, sizeof(c->trace),
				 "walcap run stopped on its own (exit status 0); POST .../restart starts it again");
		return;
	}
	c->state = SRV_FAILED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
	{
		c->hold = 1;
		set_trace_from_recent(c, why);
		return;
	}
	if (now - c->started_ms > CHILD_STABLE_MS)
		c->backoff_ms = s->backoff_initial_ms;
	set_trace_from_recent(c, why);
	c->start_at_ms = now + c->backoff_ms;
	log_info("connector %s: restarting in %lld ms", c->name, (long long) c->backoff_ms);
	c->backoff_ms = c->backoff_ms * 2 > s->backoff_max_ms ? s->backoff_max_ms : c->backoff_ms * 2;
}

/* Start, stop and clean up what the connectors' targets say (lock held). */
static int
converge(struct server *s)
{
	int64_t		now = server_now_ms();
	int			children = 0;

	for (int i = 0; i < s->n; i++)
	{
		struct server_connector *c = s->c[i];

		if (c->pid != 0)
		{
			int			want_stop = c->deleted || c->paused || c->restart || s->stopping;

			if (want_stop && !c->stopping)
			{
				kill(c->pid, SIGTERM);
				c->stopping = 1;
				c->stop_sent_ms = now;
			}
			else if (c->stopping && now - c->stop_sent_ms > CHILD_STOP_TIMEOUT_MS)
			{
				log_warning("connector %s: walcap run (pid %d) did not stop within %d s; killing it",
							c->name, (int) c->pid, CHILD_STOP_TIMEOUT_MS / 1000);
				kill(c->pid, SIGKILL);
				c->stop_sent_ms = now;
			}
			children++;
			continue;
		}
		if (c->deleted)
		{
			char		err[1024];

			/* the child has stopped: nothing writes into its directory now */
			if (store_delete(s, c->name, err, sizeof(err)) != 0)
				log_warning("connector %s: %s", c->name, err);
			server_remove(s, c);
			i--;
			continue;
		}
		if (c->restart)
		{
			c->restart = 0;
			c->hold = 0;
			c->start_at_ms = 0;
			c->backoff_ms = s->backoff_initial_ms;
			if (!c->paused)
				c->state = SRV_UNASSIGNED;
		}
		if (c->paused)
		{
			c->state = SRV_PAUSED;
			continue;
		}
		if (s->stopping || c->hold || now < c->start_at_ms)
			continue;
		start_child(s, c);
		if (c->pid != 0)
			children++;
	}
	return children;
}

void
child_supervise(struct server *s, volatile sig_atomic_t *stop)
{
	struct pollfd *fds = NULL;
	struct server_connector **owner = NULL;
	int			cap = 0;

	for (;;)
	{
		int			nfds = 1;
		int			children;
		int			status;

		pthread_mutex_lock(&s->lock);
		if (*stop && !s->stopping)
		{
			s->stopping = 1;
			log_info("stopping every connector");
		}
		children = converge(s);
		if (s->stopping && children == 0)
		{
			pthread_mutex_unlock(&s->lock);
			break;
		}
		if (cap < 1 + 2 * s->n)
		{
			int			ncap = 2 * (1 + 2 * s->n);
			struct pollfd *nf = realloc(fds, (size_t) ncap * sizeof(*fds));
			struct server_connector **no = nf ? realloc(owner, (size_t) ncap * sizeof(*owner)) : NULL;

			if (nf != NULL)
				fds = nf;
			if (no != NULL)
				owner = no;
			if (nf != NULL && no != NULL)
				cap = ncap;
		}
		fds[0] = (struct pollfd) {.fd = s->wake[0], .events = POLLIN};
		owner[0] = NULL;
		for (int i = 0; i < s->n && nfds + 2 <= cap; i++)
		{
			struct server_connector *c = s->c[i];

			if (c->err_fd >= 0)
			{
				owner[nfds] = c;
				fds[nfds++] = (struct pollfd) {.fd = c->err_fd, .events = POLLIN};
			}
			if (c->report_fd >= 0)
			{
				owner[nfds] = c;
				fds[nfds++] = (struct pollfd) {.fd = c->report_fd, .events = POLLIN};
			}
		}
		pthread_mutex_unlock(&s->lock);

		(void) poll(fds, (nfds_t) nfds, 200);

		pthread_mutex_lock(&s->lock);
		if (fds[0].revents)
		{
			char		drainbuf[256];

			while (read(s->wake[0], drainbuf, sizeof(drainbuf)) > 0)
				;
		}
		for (int i = 1; i < nfds; i++)
		{
			struct server_connector *c = owner[i];

			if (fds[i].revents == 0)
				continue;
			if (fds[i].fd == c->err_fd)
				drain(s, c, 0);
			else if (fds[i].fd == c->report_fd)
				drain(s, c, 1);
		}
		/* each by its pid: child_run_once reaps its own */
		for (int i = 0; i < s->n; i++)
			if (s->c[i]->pid != 0 && waitpid(s->c[i]->pid, &status, WNOHANG) == s->c[i]->pid)
				child_exited(s, s->c[i], status);
		pthread_mutex_unlock(&s->lock);
	}
	free(fds);
	free(owner);
}

/* Append what fd has to b; 1 at end of file. */
static int
read_into(int fd, struct buf *b)
{
	char		chunk[4096];
	ssize_t		n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return 1;
	buf_append(b, chunk, (size_t) n);
	return 0;
}

int
child_run_once(const struct server *s, const struct connect_config *eff,
			   const char *const *args, int64_t timeout_ms,
			   struct buf *out, struct buf *errout, char *err, size_t errlen)
{
	static int	seq;
	char		props[4096];
	char	  **env = NULL;
	char	   *argv[16];
	int			na = 0;
	int			outp[2] = {-1, -1};
	int			errp[2] = {-1, -1};
	int			status = 0;
	int			rc = -1;
	int			open_fds = 2;
	pid_t		pid = -1;
	int64_t		deadline = server_now_ms() + timeout_ms;

	snprintf(props, sizeof(props), "%s/tmp/api-%d-%d.properties", s->state_dir, (int) getpid(),
			 __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	if (write_properties(props, "# a walcap server API request's configuration (removed when "
						 "it ends)\n", eff, NULL, err, errlen) != 0)
		return -1;
	argv[na++] = "walcap";
	argv[na++] = (char *) args[0];
	argv[na++] = "-c";
	argv[na++] = props;
	for (int i = 1; args[i] != NULL && na < 15; i++)
		argv[na++] = (char *) args[i];
	argv[na] = NULL;

	env = child_env(eff);
	if (env == NULL || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
	{
		errbuf_fail(err, errlen, "cannot run walcap %s: %s", args[0], strerror(errno));
		goto done;
	}
	pid = spawn(s, argv, env, outp[1], errp[1], -1, 0);
	if (pid < 0)
	{
		errbuf_fail(err, errlen, "cannot run walcap %s: fork: %s", args[0], strerror(errno));
		goto done;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	while (open_fds > 0)
	{
		struct pollfd p[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
		int64_t		left = deadline - server_now_ms();

		if (left <= 0)
		{
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			errbuf_fail(err, errlen, "walcap %s took longer than %lld s; stopped",
						args[0], (long long) (timeout_ms / 1000));
			goto done;
		}
		if (poll(p, 2, (int) (left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents && read_into(p[i].fd, i == 0 ? out : errout))
			{
				close(p[i].fd);
				if (i == 0)
					outp[0] = -1;
				else
					errp[0] = -1;
				open_fds--;
			}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
done:
	for (int i = 0; i < 2; i++)
	{
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free_env(env, eff);
	unlink(props);
	return rc;
}

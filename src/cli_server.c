/*
 * cli_server.c — `walcap server`: reads the server's file, opens the
 * state directory, starts the HTTP listener (server_api.c's handler) and
 * runs the supervisor (server_child.c) until SIGTERM/SIGINT, then stops
 * every child cleanly.  Also the small shared functions of server.h.
 */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "httpd.h"
#include "log.h"
#include "secret.h"

const char *const server_state_name[] = {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED"};

/* The server's own keys (docs/server.md). */
struct server_file
{
	char	   *listen;
	char	   *state_dir;
	char	   *token_file;
	char	   *tls_cert;
	char	   *tls_key;
	int64_t		max_body;
	int64_t		backoff_initial_ms;
	int64_t		backoff_max_ms;
	struct connect_config *defaults;
	struct config scratch;		/* checks each default as it is read */
};

int64_t
server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
server_wake(struct server *s)
{
	ssize_t		n = write(s->wake[1], "w", 1);

	(void) n;					/* a full pipe is already a wake-up */
}

int
server_name_ok(const char *name, char *err, size_t errlen)
{
	size_t		n = strlen(name);

	if (n == 0 || n > SERVER_NAME_MAX)
		return errbuf_fail(err, errlen, "a connector name is 1 to %d bytes long", SERVER_NAME_MAX);
	if (name[0] == '.')
		return errbuf_fail(err, errlen, "a connector name cannot start with '.'");
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char) name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return errbuf_fail(err, errlen,
							   "a connector name is made of letters, digits, '.', '_' and '-'");
	return 0;
}

struct server_connector *
server_find(struct server *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!s->c[i]->deleted && strcmp(s->c[i]->name, name) == 0)
			return s->c[i];
	return NULL;
}

struct server_connector *
server_add(struct server *s, const char *name)
{
	struct server_connector *c;
	struct server_connector **nc;
	int			at = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	nc = realloc(s->c, (size_t) (s->n + 1) * sizeof(*nc));
	if (nc == NULL)
	{
		free(c);
		return NULL;
	}
	s->c = nc;
	snprintf(c->name, sizeof(c->name), "%s", name);
	connect_config_init(&c->config);
	c->err_fd = c->report_fd = -1;
	c->backoff_ms = s->backoff_initial_ms;
	buf_init(&c->err_line, 64 * 1024);
	buf_init(&c->report_line, 1024 * 1024);
	while (at < s->n && strcmp(s->c[at]->name, name) < 0)
		at++;
	memmove(s->c + at + 1, s->c + at, (size_t) (s->n - at) * sizeof(*nc));
	s->c[at] = c;
	s->n++;
	return c;
}

void
server_remove(struct server *s, struct server_connector *c)
{
	for (int i = 0; i < s->n; i++)
		if (s->c[i] == c)
		{
			memmove(s->c + i, s->c + i + 1, (size_t) (s->n - i - 1) * sizeof(*s->c));
			s->n--;
			break;
		}
	connect_config_free(&c->config);
	buf_free(&c->err_line);
	buf_free(&c->report_line);
	free(c);
}

int
server_effective(const struct server *s, const char *name, const struct connect_config *given,
				 struct connect_config *out, struct config *cfg_out, char *err, size_t errlen)
{
	struct connect_config tr;
	struct config local;
	struct config *cfgp = cfg_out ? cfg_out : &local;
	int			rc = -1;

	connect_config_init(&tr);
	config_init(cfgp);
	if (connect_translate(name, given, &tr, err, errlen) != 0)
		goto done;
	for (int i = 0; i < s->defaults.n; i++)
		if (connect_config_put(out, s->defaults.kv[i].key, s->defaults.kv[i].value) != 0)
			goto oom;
	for (int i = 0; i < tr.n; i++)
		if (connect_config_put(out, tr.kv[i].key, tr.kv[i].value) != 0)
			goto oom;
	for (int i = 0; i < out->n; i++)
		if (config_set(cfgp, out->kv[i].key, out->kv[i].value, err, errlen) != 0)
			goto done;
	if (config_finish(cfgp, err, errlen) != 0)
		goto done;
	if (cfgp->sink == CONFIG_SINK_STDOUT)
	{
		errbuf_fail(err, errlen,
					"sink.type: stdout has no reader under walcap server; set sink.type=kafka "
					"(with kafka.bootstrap.servers), http (with sink.http.url), redis (with "
					"sink.redis.address) or file (with sink.file.path), "
					"in the connector's configuration or in the server's file");
		goto done;
	}
	rc = 0;
	goto done;
oom:
	errbuf_fail(err, errlen, "out of memory");
done:
	if (cfg_out == NULL)
		config_free(cfgp);
	connect_config_free(&tr);
	return rc;
}

static int
parse_int(const char *key, const char *v, int64_t min, int64_t *out, char *msg, size_t msglen)
{
	char	   *end;
	long long	x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < min)
		return errbuf_fail(msg, msglen, "%s: \"%s\" is not a whole number >= %lld", key, v,
						   (long long) min);
	*out = x;
	return 0;
}

static int
replace_str(char **field, const char *v, char *msg, size_t msglen)
{
	char	   *copy = strdup(v);

	if (copy == NULL)
		return errbuf_fail(msg, msglen, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int
server_line(void *arg, const char *key, const char *value, char *msg, size_t msglen)
{
	struct server_file *f = arg;

	if (strncmp(key, "server.", 7) != 0)
	{
		if (config_set(&f->scratch, key, value, msg, msglen) != 0)
			return -1;
		return connect_config_put(f->defaults, key, value) == 0 ? 0 :
			errbuf_fail(msg, msglen, "out of memory");
	}
	if (strcmp(key, "server.listen") == 0)
		return replace_str(&f->listen, value, msg, msglen);
	if (strcmp(key, "server.state.dir") == 0)
		return replace_str(&f->state_dir, value, msg, msglen);
	if (strcmp(key, "server.auth.token.file") == 0)
		return replace_str(&f->token_file, value, msg, msglen);
	if (strcmp(key, "server.tls.cert.file") == 0)
		return replace_str(&f->tls_cert, value, msg, msglen);
	if (strcmp(key, "server.tls.key.file") == 0)
		return replace_str(&f->tls_key, value, msg, msglen);
	if (strcmp(key, "server.max.body.bytes") == 0)
		return parse_int(key, value, 1024, &f->max_body, msg, msglen);
	if (strcmp(key, "server.restart.backoff.initial.ms") == 0)
		return parse_int(key, value, 1, &f->backoff_initial_ms, msg, msglen);
	if (strcmp(key, "server.restart.backoff.max.ms") == 0)
		return parse_int(key, value, 1, &f->backoff_max_ms, msg, msglen);
	return errbuf_fail(msg, msglen,
					   "unknown key %s (the server's keys are server.listen, server.state.dir, "
					   "server.auth.token.file, server.tls.cert.file, server.tls.key.file, "
					   "server.max.body.bytes, server.restart.backoff.initial.ms and "
					   "server.restart.backoff.max.ms; see docs/server.md)", key);
}

static void
server_file_free(struct server_file *f)
{
	free(f->listen);
	free(f->state_dir);
	free(f->token_file);
	free(f->tls_cert);
	free(f->tls_key);
	config_free(&f->scratch);
}

/* The token from its file (secret.h's rules: one line alone), long enough. */
static char *
read_token(const char *path, char *err, size_t errlen)
{
	char	   *t = NULL;

	if (secret_read_file("server.auth.token.file", path, &t, err, errlen) != 0)
		return NULL;
	if (strlen(t) < 16)
	{
		secret_free(t);
		errbuf_fail(err, errlen, "server.auth.token.file %s must hold one token of at least "
					"16 characters on one line", path);
		return NULL;
	}
	return t;
}

int
cli_server(const char *config_path)
{
	struct server_file f;
	struct server s;
	struct httpd_opts ho;
	struct httpd *h = NULL;
	char		err[1024];
	char	   *token = NULL;
	char		exe[PATH_MAX];
	ssize_t		n;
	int			rc = EXIT_USAGE;

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	s.wake[0] = s.wake[1] = -1;
	connect_config_init(&s.defaults);
	config_init(&f.scratch);
	f.defaults = &s.defaults;
	f.max_body = 1024 * 1024;
	f.backoff_initial_ms = 1000;
	f.backoff_max_ms = 60000;
	if ((f.listen = strdup("127.0.0.1:8083")) == NULL ||
		(f.state_dir = strdup("./walcap-server")) == NULL)
	{
		log_error("out of memory");
		goto done;
	}
	if (config_path != NULL && config_read_file(config_path, server_line, &f, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		goto done;
	}
	log_set_level((enum log_level) f.scratch.log_level);
	/* a configuration error: exit 2 before the state directory is made */
	if ((f.tls_cert == NULL) != (f.tls_key == NULL))
	{
		log_error("%s is set without %s: HTTPS needs both the certificate and its key",
				  f.tls_cert ? "server.tls.cert.file" : "server.tls.key.file",
				  f.tls_cert ? "server.tls.key.file" : "server.tls.cert.file");
		goto done;
	}
	if (f.token_file != NULL && (token = read_token(f.token_file, err, sizeof(err))) == NULL)
	{
		log_error("%s", err);
		goto done;
	}
	if (token == NULL && !httpd_listen_is_loopback(f.listen))
	{
		log_error("server.listen %s is not a loopback address, and no bearer token is set",
				  f.listen);
		log_hint("set server.auth.token.file to a file holding a long random token "
				 "(and server.tls.cert.file/server.tls.key.file for HTTPS), or listen on 127.0.0.1");
		goto done;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
	{
		log_error("cannot find walcap's own binary (/proc/self/exe): %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto done;
	}
	exe[n] = '\0';
	s.self_exe = exe;
	s.state_dir = f.state_dir;
	s.worker_id = f.listen;
	s.backoff_initial_ms = f.backoff_initial_ms;
	s.backoff_max_ms = f.backoff_max_ms;
	pthread_mutex_init(&s.lock, NULL);
	rc = EXIT_RUNTIME;
	if (pipe2(s.wake, O_CLOEXEC | O_NONBLOCK) != 0)
	{
		log_error("pipe: %s", strerror(errno));
		goto done_lock;
	}
	if (store_open(&s, err, sizeof(err)) != 0 || store_load(&s, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		goto done_lock;
	}
	memset(&ho, 0, sizeof(ho));
	ho.listen = f.listen;
	ho.token = token;
	ho.tls_cert_file = f.tls_cert;
	ho.tls_key_file = f.tls_key;
	ho.max_body = (size_t) f.max_body;
	ho.threads = 1;
	if ((h = httpd_start(&ho, api_handle, &s, err, sizeof(err))) == NULL)
	{
		log_error("%s", err);
		goto done_lock;
	}
	log_info("walcap server listening on %s%s (state in %s, %d connector%s)",
			 f.tls_cert ? "https://" : "http://", f.listen, f.state_dir, s.n, s.n == 1 ? "" : "s");

	/* the supervisor polls every 200 ms: it sees the flag soon enough */
	child_supervise(&s, &cli_stop_requested);
	httpd_stop(h);
	h = NULL;
	log_info("walcap server stopped");
	rc = 0;
done_lock:
	httpd_stop(h);
	while (s.n > 0)
		server_remove(&s, s.c[0]);
	free(s.c);
	pthread_mutex_destroy(&s.lock);
done:
	if (s.wake[0] >= 0)
		close(s.wake[0]);
	if (s.wake[1] >= 0)
		close(s.wake[1]);
	secret_free(token);
	connect_config_free(&s.defaults);
	server_file_free(&f);
	return rc;
}

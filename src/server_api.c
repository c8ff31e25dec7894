/*
 * server_api.c — walcap server's HTTP handler: Kafka Connect's REST API,
 * the console's /walcap/ endpoints, /metrics and the console's files
 * (docs/server.md lists every request and answer).
 *
 * Request bodies are parsed by jansson and answers built with it, so
 * every string is escaped by the library.  Each handler takes the
 * server's lock for what it reads or changes, writes the state directory
 * under it (so concurrent requests serialise their writes), and leaves
 * processes to the supervisor (server_wake).
 */
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "console.h"
#include "event.h"
#include "httpd.h"
#include "log.h"
#include "offset.h"
#include "secret.h"

#define API_CHECK_TIMEOUT_MS 60000
#define API_SNAPSHOT_TIMEOUT_MS 60000

static void
send_json(struct httpd_response *resp, int status, json_t *j)
{
	char	   *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(j);
	if (text == NULL)
	{
		httpd_error(resp, 500, "out of memory");
		return;
	}
	resp->status = status;
	resp->content_type = "application/json";
	buf_puts(&resp->body, text);
	free(text);
}

static void
no_content(struct httpd_response *resp, int status)
{
	resp->status = status;
	buf_reset(&resp->body);
}

/* The configuration as GET shows it: secrets masked, the name added. */
static json_t *
config_json(const struct server_connector *c)
{
	json_t	   *o = json_object();

	for (int i = 0; i < c->config.n; i++)
		json_object_set_new(o, c->config.kv[i].key,
							json_string(config_is_secret(c->config.kv[i].key) ?
										CONNECT_SECRET_MASK : c->config.kv[i].value));
	if (json_object_get(o, "name") == NULL)
		json_object_set_new(o, "name", json_string(c->name));
	return o;
}

static json_t *
info_json(const struct server_connector *c)
{
	return json_pack("{s:s, s:o, s:[{s:s, s:i}], s:s}", "name", c->name, "config", config_json(c),
					 "tasks", "connector", c->name, "task", 0, "type", "source");
}

static json_t *
state_json(const struct server *s, const struct server_connector *c, int task)
{
	json_t	   *o = json_object();

	if (task)
		json_object_set_new(o, "id", json_integer(0));
	json_object_set_new(o, "state", json_string(server_state_name[c->state]));
	json_object_set_new(o, "worker_id", json_string(s->worker_id));
	if ((c->state == SRV_FAILED || c->state == SRV_UNASSIGNED) && c->trace[0])
		json_object_set_new(o, "trace", json_string(c->trace));
	return o;
}

static json_t *
status_json(const struct server *s, const struct server_connector *c)
{
	return json_pack("{s:s, s:o, s:[o], s:s}", "name", c->name, "connector", state_json(s, c, 0),
					 "tasks", state_json(s, c, 1), "type", "source");
}

/* A JSON body, or NULL with the 400 answered. */
static json_t *
parse_body(const struct httpd_request *req, struct httpd_response *resp)
{
	json_error_t je;
	json_t	   *j;

	if (req->body_len == 0)
	{
		httpd_error(resp, 400, "the request needs a JSON body");
		return NULL;
	}
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		httpd_error(resp, 400, "the request body is not valid JSON: %s (line %d, column %d)",
					je.text, je.line, je.column);
	return j;
}

/* The client's configuration object as key/value text; -1 with 400 answered. */
static int
config_from_json(json_t *obj, struct connect_config *out, struct httpd_response *resp)
{
	const char *k;
	json_t	   *v;

	if (!json_is_object(obj))
	{
		httpd_error(resp, 400, "the connector configuration must be a JSON object of "
					"string values");
		return -1;
	}
	json_object_foreach(obj, k, v)
	{
		char		num[64];
		const char *text;

		if (json_is_string(v) && json_string_length(v) != strlen(json_string_value(v)))
		{
			httpd_error(resp, 400, "%s: values cannot contain NUL characters", k);
			return -1;
		}
		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long) json_integer_value(v)), text = num;
		else if (json_is_boolean(v))
			text = json_is_true(v) ? "true" : "false";
		else
		{
			httpd_error(resp, 400, "%s: the value must be a string", k);
			return -1;
		}
		if (connect_config_put(out, k, text) != 0)
		{
			httpd_error(resp, 500, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Kafka Connect's message for a configuration that does not validate. */
static void
invalid_config(struct httpd_response *resp, const char *err)
{
	httpd_error(resp, 400, "Connector configuration is invalid and contains the following 1 "
				"error(s):\n%s\nYou can also find the above list of errors at the endpoint "
				"`/connector-plugins/{connectorType}/config/validate`", err);
}

/* A secret sent back masked keeps the stored value. */
static int
keep_masked_secrets(struct connect_config *given, const struct connect_config *stored)
{
	for (int i = 0; i < given->n; i++)
	{
		const char *old;

		if (!config_is_secret(given->kv[i].key) ||
			strcmp(given->kv[i].value, CONNECT_SECRET_MASK) != 0 ||
			(old = connect_config_get(stored, given->kv[i].key)) == NULL)
			continue;
		if (connect_config_put(given, given->kv[i].key, old) != 0)
			return -1;
	}
	return 0;
}

/* Whether a deleted connector of this name still has its child (lock held). */
static int
being_deleted(const struct server *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (s->c[i]->deleted && strcmp(s->c[i]->name, name) == 0)
			return 1;
	return 0;
}

/*
 * Create (c == NULL) or replace a connector's configuration; the lock is
 * held.  Answers 201 or 200 with the info.
 */
static void
put_connector(struct server *s, const char *name, struct connect_config *given,
			  struct httpd_response *resp)
{
	struct server_connector *c = server_find(s, name);
	struct connect_config eff;
	struct connect_config old;
	char		err[1024];
	int			created = c == NULL;

	connect_config_init(&eff);
	if (server_name_ok(name, err, sizeof(err)) != 0)
	{
		httpd_error(resp, 400, "connector name \"%s\": %s", name, err);
		goto done;
	}
	if (created && being_deleted(s, name))
	{
		/* its child still writes into the directory a new one would use */
		httpd_error(resp, 409, "Connector %s is being deleted: try again in a moment", name);
		goto done;
	}
	if (c != NULL && keep_masked_secrets(given, &c->config) != 0)
	{
		httpd_error(resp, 500, "out of memory");
		goto done;
	}
	if (server_effective(s, name, given, &eff, NULL, err, sizeof(err)) != 0)
	{
		invalid_config(resp, err);
		goto done;
	}
	if (created)
	{
		if (s->n >= SERVER_MAX_CONNECTORS)
		{
			httpd_error(resp, 400, "this server already has %d connectors, its limit",
						SERVER_MAX_CONNECTORS);
			goto done;
		}
		if ((c = server_add(s, name)) == NULL)
		{
			httpd_error(resp, 500, "out of memory");
			goto done;
		}
	}
	old = c->config;
	c->config = *given;
	if (store_save(s, c, err, sizeof(err)) != 0)
	{
		c->config = old;
		if (created)
			server_remove(s, c);
		httpd_error(resp, 500, "cannot save connector %s: %s", name, err);
		goto done;
	}
	connect_config_free(&old);
	connect_config_init(given);	/* now c's */
	c->hold = 0;
	c->trace[0] = '\0';
	if (created)
		c->state = SRV_UNASSIGNED;
	else
		c->restart = 1;
	server_wake(s);
	log_info("connector %s %s", name, created ? "created" : "reconfigured");
	send_json(resp, created ? 201 : 200, info_json(c));
done:
	connect_config_free(&eff);
}

static void
post_connectors(struct server *s, const struct httpd_request *req, struct httpd_response *resp)
{
	json_t	   *body = parse_body(req, resp);
	json_t	   *name;
	struct connect_config given;

	if (body == NULL)
		return;
	connect_config_init(&given);
	name = json_object_get(body, "name");
	if (!json_is_object(body) || !json_is_string(name))
		httpd_error(resp, 400, "the body must be {\"name\": \"...\", \"config\": {...}}");
	else if (json_object_get(body, "config") == NULL)
		httpd_error(resp, 400, "the body has no \"config\" object");
	else if (config_from_json(json_object_get(body, "config"), &given, resp) == 0)
	{
		pthread_mutex_lock(&s->lock);
		if (server_find(s, json_string_value(name)) != NULL)
			httpd_error(resp, 409, "Connector %s already exists", json_string_value(name));
		else
			put_connector(s, json_string_value(name), &given, resp);
		pthread_mutex_unlock(&s->lock);
	}
	connect_config_free(&given);
	json_decref(body);
}

static void
get_connectors(struct server *s, const struct httpd_request *req, struct httpd_response *resp)
{
	int			st = httpd_arg_is(req, "expand", "status");
	int			info = httpd_arg_is(req, "expand", "info");
	json_t	   *out = st || info ? json_object() : json_array();

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n; i++)
	{
		const struct server_connector *c = s->c[i];
		json_t	   *e;

		if (c->deleted)
			continue;
		if (!st && !info)
		{
			json_array_append_new(out, json_string(c->name));
			continue;
		}
		e = json_object();
		if (st)
			json_object_set_new(e, "status", status_json(s, c));
		if (info)
			json_object_set_new(e, "info", info_json(c));
		json_object_set_new(out, c->name, e);
	}
	pthread_mutex_unlock(&s->lock);
	send_json(resp, 200, out);
}

static void
get_offsets(struct server *s, struct server_connector *c, struct httpd_response *resp)
{
	char		path[4096];
	char		err[1024];
	struct offset o;
	struct connect_config eff;
	struct config cfg;
	json_t	   *list = json_array();
	int			r;

	store_path(s, c->name, "offsets", path, sizeof(path));
	memset(&o, 0, sizeof(o));
	r = offset_load(path, &o, err, sizeof(err));
	if (r < 0)
	{
		json_decref(list);
		httpd_error(resp, 500, "%s", err);
		return;
	}
	connect_config_init(&eff);
	if (r == 1 && server_effective(s, c->name, &c->config, &eff, &cfg, err, sizeof(err)) == 0)
		json_array_append_new(list, json_pack("{s:{s:s}, s:{s:I, s:I, s:I}}",
											  "partition", "server", cfg.topic_prefix,
											  "offset", "lsn", (json_int_t) o.lsn,
											  "lsn_proc", (json_int_t) o.lsn,
											  "lsn_commit", (json_int_t) o.lsn));
	if (r == 1)
		config_free(&cfg);
	offset_clear(&o);
	connect_config_free(&eff);
	send_json(resp, 200, json_pack("{s:o}", "offsets", list));
}

/* `walcap check --json` of a configuration: its document, or NULL. */
static json_t *
run_check(struct server *s, const struct connect_config *eff)
{
	const char *args[] = {"check", "--json", NULL};
	struct buf	out;
	struct buf	errout;
	char		err[512];
	json_t	   *j = NULL;

	buf_init(&out, 1024 * 1024);
	buf_init(&errout, 64 * 1024);
	if (child_run_once(s, eff, args, API_CHECK_TIMEOUT_MS, &out, &errout, err, sizeof(err)) >= 0 &&
		out.len > 0)
		j = json_loadb(out.data, out.len, 0, NULL);
	else
		log_warning("validate: walcap check did not run: %s", err);
	buf_free(&out);
	buf_free(&errout);
	return j;
}

static void
validate(struct server *s, const char *cls, const struct httpd_request *req,
		 struct httpd_response *resp)
{
	json_t	   *body = parse_body(req, resp);
	struct connect_config given;
	struct connect_config eff;
	struct connect_verdicts v;
	json_t	   *configs;
	json_t	   *out;
	char		err[1024];

	if (body == NULL)
		return;
	connect_config_init(&given);
	connect_config_init(&eff);
	if (config_from_json(body, &given, resp) != 0)
	{
		json_decref(body);
		connect_config_free(&given);
		return;
	}
	json_decref(body);
	/* as Kafka Connect: the class in the path stands for a missing connector.class */
	if (connect_config_get(&given, "connector.class") == NULL &&
		connect_config_put(&given, "connector.class", cls) != 0)
	{
		connect_config_free(&given);
		httpd_error(resp, 500, "out of memory");
		return;
	}
	memset(&v, 0, sizeof(v));
	connect_validate(NULL, &given, &s->defaults, &v);
	if (v.error_count < 0)
	{
		connect_verdicts_free(&v);
		connect_config_free(&given);
		httpd_error(resp, 500, "out of memory");
		return;
	}
	configs = json_array();
	for (int i = 0; i < v.n; i++)
	{
		json_t	   *errors = json_array();

		if (v.v[i].error != NULL)
			json_array_append_new(errors, json_string(v.v[i].error));
		json_array_append_new(configs, json_pack(
			"{s:{s:s, s:s, s:b, s:n, s:s, s:s, s:s, s:s, s:s, s:[], s:i},"
			" s:{s:s, s:s?, s:[], s:o, s:b}}",
			"definition", "name", v.v[i].key, "type", "STRING", "required", 0, "default_value",
			"importance", "MEDIUM", "documentation", "", "group", "walcap", "width", "NONE",
			"display_name", v.v[i].key, "dependents", "order", i,
			"value", "name", v.v[i].key, "value", v.v[i].value, "recommended_values",
			"errors", errors, "visible", 1));
	}
	out = json_pack("{s:s, s:i, s:[s], s:o}", "name", cls, "error_count", v.error_count,
					"groups", "walcap", "configs", configs);
	if (v.general != NULL)
		json_object_set_new(out, "walcap_errors", json_pack("[s]", v.general));
	if (v.error_count == 0 &&
		server_effective(s, connect_config_get(&given, "name") ?
						 connect_config_get(&given, "name") : "validate",
						 &given, &eff, NULL, err, sizeof(err)) == 0)
	{
		json_t	   *check = run_check(s, &eff);

		json_object_set_new(out, "walcap_check", check ? check : json_null());
	}
	else
		json_object_set_new(out, "walcap_check", json_null());
	connect_verdicts_free(&v);
	connect_config_free(&given);
	connect_config_free(&eff);
	send_json(resp, 200, out);
}

static void
snapshot_tables(struct server *s, const char *name, const struct httpd_request *req,
				struct httpd_response *resp)
{
	json_t	   *body = parse_body(req, resp);
	json_t	   *tables;
	const char *args[16] = {"snapshot"};
	int			na = 1;
	struct connect_config eff;
	struct server_connector *c;
	struct buf	out;
	struct buf	errout;
	char		err[1024];
	size_t		i;
	json_t	   *t;
	int			rc;

	if (body == NULL)
		return;
	tables = json_object_get(body, "tables");
	if (!json_is_array(tables) || json_array_size(tables) == 0 || json_array_size(tables) > 14)
	{
		httpd_error(resp, 400, "the body must be {\"tables\": [\"schema.table\", ...]} "
					"with 1 to 14 tables");
		json_decref(body);
		return;
	}
	json_array_foreach(tables, i, t)
	{
		if (!json_is_string(t))
		{
			httpd_error(resp, 400, "tables: each entry must be a \"schema.table\" string");
			json_decref(body);
			return;
		}
		args[na++] = json_string_value(t);
	}
	args[na] = NULL;
	connect_config_init(&eff);
	buf_init(&out, 64 * 1024);
	buf_init(&errout, 64 * 1024);
	/* the child runs without the lock: other requests go on meanwhile */
	pthread_mutex_lock(&s->lock);
	c = server_find(s, name);
	rc = c ? server_effective(s, c->name, &c->config, &eff, NULL, err, sizeof(err)) : 0;
	pthread_mutex_unlock(&s->lock);
	if (c == NULL)
		httpd_error(resp, 404, "Connector %s not found", name);
	else if (rc != 0)
		invalid_config(resp, err);
	else if ((rc = child_run_once(s, &eff, args, API_SNAPSHOT_TIMEOUT_MS, &out, &errout,
								  err, sizeof(err))) < 0)
		httpd_error(resp, 500, "%s", err);
	else if (rc != 0)
	{
		while (errout.len > 0 && errout.data[errout.len - 1] == '\n')
			errout.data[--errout.len] = '\0';
		httpd_error(resp, rc == 2 ? 400 : 500, "%s", errout.len ? errout.data : "walcap snapshot failed");
	}
	else
	{
		while (out.len > 0 && out.data[out.len - 1] == '\n')
			out.data[--out.len] = '\0';
		send_json(resp, 202, json_pack("{s:s}", "id", out.len ? out.data : ""));
	}
	buf_free(&out);
	buf_free(&errout);
	connect_config_free(&eff);
	json_decref(body);
}

static json_t *
metrics_json(const struct server_connector *c)
{
	struct buf	b;
	json_t	   *j;

	if (!c->have_metrics)
		return json_null();
	buf_init(&b, 0);
	metrics_report_line(&b, &c->metrics);
	j = buf_failed(&b) ? NULL : json_loadb(b.data, b.len, 0, NULL);
	buf_free(&b);
	return j ? j : json_null();
}

static void
console_list(struct server *s, struct httpd_response *resp)
{
	json_t	   *out = json_array();

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n; i++)
	{
		const struct server_connector *c = s->c[i];

		if (c->deleted)
			continue;
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", c->name,
											 "state", server_state_name[c->state],
											 "trace", c->trace, "paused", c->paused,
											 "metrics", metrics_json(c)));
	}
	pthread_mutex_unlock(&s->lock);
	send_json(resp, 200, out);
}

static void
console_history(const struct server_connector *c, struct httpd_response *resp)
{
	json_t	   *t = json_array();
	json_t	   *eps = json_array();
	json_t	   *lag = json_array();
	int			start = (c->hist_pos - c->hist_n + SERVER_HISTORY) % SERVER_HISTORY;

	for (int k = 0; k < c->hist_n; k++)
	{
		int			i = (start + k) % SERVER_HISTORY;

		json_array_append_new(t, json_integer(c->hist_t[i]));
		json_array_append_new(eps, json_real(c->hist_eps[i]));
		json_array_append_new(lag, json_integer(c->hist_lag[i]));
	}
	send_json(resp, 200, json_pack("{s:o, s:o, s:o}", "t", t, "events_per_second", eps,
								   "lag_ms", lag));
}

static void
get_metrics(struct server *s, struct httpd_response *resp)
{
	struct metrics_labelled *v;
	int			n = 0;

	pthread_mutex_lock(&s->lock);
	v = calloc((size_t) s->n + 1, sizeof(*v));
	if (v != NULL)
	{
		for (int i = 0; i < s->n; i++)
			if (!s->c[i]->deleted && s->c[i]->have_metrics)
			{
				v[n].connector = s->c[i]->name;
				v[n++].snap = &s->c[i]->metrics;
			}
		metrics_render(&resp->body, v, n);
	}
	pthread_mutex_unlock(&s->lock);
	free(v);
	if (v == NULL)
	{
		httpd_error(resp, 500, "out of memory");
		return;
	}
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Split path into at most 6 segments (in place in copy). */
static int
split_path(char *copy, char **seg, int max)
{
	int			n = 0;
	char	   *save = NULL;

	for (char *p = strtok_r(copy, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save))
	{
		if (n == max)
			return -1;
		seg[n++] = p;
	}
	return n;
}

static void
not_found(struct httpd_response *resp)
{
	httpd_error(resp, 404, "HTTP 404 Not Found");
}

static void
not_allowed(struct httpd_response *resp)
{
	httpd_error(resp, 405, "HTTP 405 Method Not Allowed");
}

/* /connectors/{name}[/action]; the name is seg[1]. */
static void
connector_request(struct server *s, const struct httpd_request *req, char **seg, int nseg,
				  struct httpd_response *resp)
{
	const char *m = req->method;
	const char *action = nseg >= 3 ? seg[2] : "";
	struct server_connector *c;
	char		err[512];

	if (nseg == 3 && strcmp(action, "config") == 0 && strcmp(m, "PUT") == 0)
	{
		json_t	   *body = parse_body(req, resp);
		struct connect_config given;

		if (body == NULL)
			return;
		connect_config_init(&given);
		if (config_from_json(body, &given, resp) == 0)
		{
			pthread_mutex_lock(&s->lock);
			put_connector(s, seg[1], &given, resp);
			pthread_mutex_unlock(&s->lock);
		}
		connect_config_free(&given);
		json_decref(body);
		return;
	}
	pthread_mutex_lock(&s->lock);
	c = server_find(s, seg[1]);
	if (c == NULL)
	{
		pthread_mutex_unlock(&s->lock);
		httpd_error(resp, 404, "Connector %s not found", seg[1]);
		return;
	}
	if (nseg == 2 && strcmp(m, "GET") == 0)
		send_json(resp, 200, info_json(c));
	else if (nseg == 2 && strcmp(m, "DELETE") == 0)
	{
		/*
		 * A running child keeps writing its offsets into the directory
		 * until it has stopped: the supervisor removes the directory then
		 * (converge).  Without a child it goes now.
		 */
		if (c->pid == 0 ? store_delete(s, c->name, err, sizeof(err)) != 0 :
			store_forget(s, c->name, err, sizeof(err)) != 0)
			httpd_error(resp, 500, "%s", err);
		else
		{
			log_info("connector %s deleted", c->name);
			if (c->pid == 0)
				server_remove(s, c);
			else
				c->deleted = 1;
			server_wake(s);
			no_content(resp, 204);
		}
	}
	else if (strcmp(action, "config") == 0 && strcmp(m, "GET") == 0)
	{
		json_t	   *o = config_json(c);

		send_json(resp, 200, o);
	}
	else if (strcmp(action, "status") == 0 && strcmp(m, "GET") == 0)
		send_json(resp, 200, status_json(s, c));
	else if ((strcmp(action, "pause") == 0 || strcmp(action, "resume") == 0) &&
			 strcmp(m, "PUT") == 0)
	{
		int			was = c->paused;

		c->paused = action[0] == 'p';
		if (store_save(s, c, err, sizeof(err)) != 0)
		{
			c->paused = was;
			httpd_error(resp, 500, "%s", err);
		}
		else
		{
			if (c->paused)
				c->state = SRV_PAUSED;
			else if (was)
			{
				c->state = SRV_UNASSIGNED;
				c->hold = 0;
				c->start_at_ms = 0;
			}
			server_wake(s);
			no_content(resp, 202);
		}
	}
	else if (strcmp(action, "restart") == 0 && strcmp(m, "POST") == 0)
	{
		int			only_failed = httpd_arg_is(req, "onlyFailed", "true");

		/* onlyFailed: the one task is restarted only if it failed */
		if (!only_failed || c->state == SRV_FAILED)
		{
			c->restart = 1;
			server_wake(s);
		}
		/* with either option Kafka Connect answers 202 and the status */
		if (httpd_arg(req, "includeTasks") != NULL || httpd_arg(req, "onlyFailed") != NULL)
			send_json(resp, 202, status_json(s, c));
		else
			no_content(resp, 204);
	}
	else if (strcmp(action, "tasks") == 0 && nseg == 3 && strcmp(m, "GET") == 0)
		send_json(resp, 200, json_pack("[{s:{s:s, s:i}, s:o}]", "id", "connector", c->name,
									   "task", 0, "config", config_json(c)));
	else if (strcmp(action, "tasks") == 0 && nseg >= 4 && strcmp(seg[3], "0") != 0)
		httpd_error(resp, 404, "Task not found: %s-%s", c->name, seg[3]);
	else if (strcmp(action, "tasks") == 0 && nseg == 5 && strcmp(seg[4], "status") == 0 &&
			 strcmp(m, "GET") == 0)
		send_json(resp, 200, state_json(s, c, 1));
	else if (strcmp(action, "tasks") == 0 && nseg == 5 && strcmp(seg[4], "restart") == 0 &&
			 strcmp(m, "POST") == 0)
	{
		c->restart = 1;
		server_wake(s);
		no_content(resp, 204);
	}
	else if (strcmp(action, "offsets") == 0 && strcmp(m, "GET") == 0)
		get_offsets(s, c, resp);
	else if (nseg == 2 || (nseg == 3 && (strcmp(action, "config") == 0 ||
										 strcmp(action, "status") == 0 ||
										 strcmp(action, "pause") == 0 ||
										 strcmp(action, "resume") == 0 ||
										 strcmp(action, "restart") == 0 ||
										 strcmp(action, "offsets") == 0 ||
										 strcmp(action, "tasks") == 0)) ||
			 (nseg == 5 && strcmp(action, "tasks") == 0 &&
			  (strcmp(seg[4], "status") == 0 || strcmp(seg[4], "restart") == 0)))
		not_allowed(resp);
	else
		not_found(resp);
	pthread_mutex_unlock(&s->lock);
}

/* /walcap/connectors[/{name}/history|snapshot] */
static void
console_request(struct server *s, const struct httpd_request *req, char **seg, int nseg,
				struct httpd_response *resp)
{
	struct server_connector *c;

	if (nseg == 2 && strcmp(seg[1], "connectors") == 0)
	{
		if (strcmp(req->method, "GET") == 0)
			console_list(s, resp);
		else
			not_allowed(resp);
		return;
	}
	if (nseg != 4 || strcmp(seg[1], "connectors") != 0 ||
		(strcmp(seg[3], "history") != 0 && strcmp(seg[3], "snapshot") != 0))
	{
		not_found(resp);
		return;
	}
	if (strcmp(seg[3], "snapshot") == 0)
	{
		if (strcmp(req->method, "POST") == 0)
			snapshot_tables(s, seg[2], req, resp);
		else
			not_allowed(resp);
		return;
	}
	pthread_mutex_lock(&s->lock);
	c = server_find(s, seg[2]);
	if (c == NULL)
		httpd_error(resp, 404, "Connector %s not found", seg[2]);
	else if (strcmp(req->method, "GET") == 0)
		console_history(c, resp);
	else
		not_allowed(resp);
	pthread_mutex_unlock(&s->lock);
}

static void
serve_console(const struct httpd_request *req, struct httpd_response *resp)
{
	const unsigned char *data;
	size_t		len;
	const char *type;

	if (strcmp(req->method, "GET") != 0 || console_asset(req->path, &data, &len, &type) != 0)
	{
		not_found(resp);
		return;
	}
	resp->content_type = type;
	resp->cache_control = "no-cache";
	buf_append(&resp->body, data, len);
}

void
api_handle(void *arg, const struct httpd_request *req, struct httpd_response *resp)
{
	struct server *s = arg;
	char		copy[1024];
	char	   *seg[6];
	int			nseg;

	if (strlen(req->path) >= sizeof(copy))
	{
		not_found(resp);
		return;
	}
	strcpy(copy, req->path);
	nseg = split_path(copy, seg, 6);
	if (nseg < 0)
	{
		not_found(resp);
		return;
	}
	if (nseg == 0)
	{
		/* a browser asks for the page; Kafka Connect's clients for the version */
		if (strcmp(req->method, "GET") == 0 && req->accept != NULL &&
			strstr(req->accept, "text/html") != NULL)
			serve_console(req, resp);
		else if (strcmp(req->method, "GET") == 0)
			send_json(resp, 200, json_pack("{s:s, s:s, s:s}", "version", WALCAP_VERSION,
										   "commit", "", "kafka_cluster_id", "walcap"));
		else
			not_allowed(resp);
		return;
	}
	if (strcmp(seg[0], "connectors") == 0)
	{
		if (nseg == 1 && strcmp(req->method, "GET") == 0)
			get_connectors(s, req, resp);
		else if (nseg == 1 && strcmp(req->method, "POST") == 0)
			post_connectors(s, req, resp);
		else if (nseg == 1)
			not_allowed(resp);
		else if (nseg <= 3 || (nseg <= 5 && strcmp(seg[2], "tasks") == 0))
			connector_request(s, req, seg, nseg, resp);
		else
			not_found(resp);
		return;
	}
	if (strcmp(seg[0], "connector-plugins") == 0)
	{
		if (nseg == 1 && strcmp(req->method, "GET") == 0)
			send_json(resp, 200, json_pack("[{s:s, s:s, s:s}]", "class", CONNECT_CLASS_DEBEZIUM,
										   "type", "source", "version", WALCAP_VERSION));
		else if (nseg == 4 && strcmp(seg[2], "config") == 0 && strcmp(seg[3], "validate") == 0)
		{
			if (strcmp(req->method, "PUT") != 0)
				not_allowed(resp);
			else if (strcmp(seg[1], CONNECT_CLASS_DEBEZIUM) != 0 &&
					 strcmp(seg[1], CONNECT_CLASS_WALCAP) != 0 &&
					 strcmp(seg[1], "PostgresConnector") != 0)
				httpd_error(resp, 400, "Failed to find any class that implements Connector and "
							"which name matches %s: this server runs "
							CONNECT_CLASS_DEBEZIUM " (walcap)", seg[1]);
			else
				validate(s, seg[1], req, resp);
		}
		else if (nseg == 1)
			not_allowed(resp);
		else
			not_found(resp);
		return;
	}
	if (strcmp(seg[0], "metrics") == 0 && nseg == 1)
	{
		if (strcmp(req->method, "GET") == 0)
			get_metrics(s, resp);
		else
			not_allowed(resp);
		return;
	}
	if (strcmp(seg[0], "walcap") == 0)
	{
		console_request(s, req, seg, nseg, resp);
		return;
	}
	serve_console(req, resp);
}

/*
 * server_store.c — walcap server's state directory (see server.h and
 * docs/server.md, "The state directory").
 *
 * connector.json holds what the client gave except the secrets, which go
 * to secrets.json (0600); both are replaced atomically, secrets first,
 * so that a crash between the two leaves a connector whose secrets are
 * at least as new as its configuration.
 */
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "fileio.h"
#include "log.h"
#include "secret.h"

#define STORE_FILE_MAX (4 * 1024 * 1024)

void
store_path(const struct server *s, const char *name, const char *file, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/connectors/%s%s%s", s->state_dir, name, file ? "/" : "",
			 file ? file : "");
}

static int
make_dir(const char *path, mode_t mode, char *err, size_t errlen)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST)
		return errbuf_fail(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

/* Remove a directory of plain files (a connector's); best effort. */
static int
remove_dir(const char *path)
{
	DIR		   *d = opendir(path);
	struct dirent *e;
	char		p[4096];

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
	{
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		(void) unlink(p);
	}
	closedir(d);
	return rmdir(path);
}

int
store_open(struct server *s, char *err, size_t errlen)
{
	char		p[4096];
	int			fd;
	DIR		   *d;
	struct dirent *e;

	if (make_dir(s->state_dir, 0700, err, errlen) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/connectors", s->state_dir);
	if (make_dir(p, 0700, err, errlen) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/tmp", s->state_dir);
	if (make_dir(p, 0700, err, errlen) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/trash", s->state_dir);
	if (make_dir(p, 0700, err, errlen) != 0)
		return -1;
	/* what a crash left in the trash */
	if ((d = opendir(p)) != NULL)
	{
		while ((e = readdir(d)) != NULL)
		{
			char		q[4096 + 256];

			if (e->d_name[0] == '.')
				continue;
			snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
			(void) remove_dir(q);
		}
		closedir(d);
	}
	snprintf(p, sizeof(p), "%s/server.lock", s->state_dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errbuf_fail(err, errlen, "cannot create %s: %s", p, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
	{
		close(fd);
		return errbuf_fail(err, errlen,
						   "another walcap server uses the state directory %s "
						   "(%s is locked): stop it, or set server.state.dir to another "
						   "directory", s->state_dir, p);
	}
	/* the lock lives as long as the process: fd stays open on purpose */
	return 0;
}

static int
put_object(struct connect_config *c, json_t *obj, const char *path, char *err, size_t errlen)
{
	const char *k;
	json_t	   *v;

	if (!json_is_object(obj))
		return errbuf_fail(err, errlen, "%s: expected a JSON object", path);
	json_object_foreach(obj, k, v)
	{
		if (!json_is_string(v))
			return errbuf_fail(err, errlen, "%s: %s is not a string", path, k);
		if (connect_config_put(c, k, json_string_value(v)) != 0)
			return errbuf_fail(err, errlen, "out of memory");
	}
	return 0;
}

static json_t *
load_json(const char *path, int missing_ok, char *err, size_t errlen)
{
	size_t		len;
	char	   *text = file_read_all(path, STORE_FILE_MAX, &len, err, errlen);
	json_t	   *j;
	json_error_t je;

	if (text == NULL)
	{
		if (missing_ok && errno == ENOENT)
			return json_object();
		return NULL;
	}
	j = json_loadb(text, len, 0, &je);
	secret_wipe(text, len);
	free(text);
	if (j == NULL)
		errbuf_fail(err, errlen, "%s: line %d: %s", path, je.line, je.text);
	return j;
}

static int
load_one(struct server *s, const char *name, char *err, size_t errlen)
{
	char		p[4096];
	json_t	   *conn;
	json_t	   *sec;
	struct server_connector *c;
	int			rc = -1;

	store_path(s, name, "connector.json", p, sizeof(p));
	if ((conn = load_json(p, 0, err, errlen)) == NULL)
		return -1;
	store_path(s, name, "secrets.json", p, sizeof(p));
	if ((sec = load_json(p, 1, err, errlen)) == NULL)
	{
		json_decref(conn);
		return -1;
	}
	if ((c = server_add(s, name)) == NULL)
	{
		errbuf_fail(err, errlen, "out of memory");
		goto done;
	}
	c->paused = json_is_true(json_object_get(conn, "paused"));
	store_path(s, name, "connector.json", p, sizeof(p));
	if (put_object(&c->config, json_object_get(conn, "config"), p, err, errlen) != 0 ||
		put_object(&c->config, sec, "secrets.json", err, errlen) != 0)
	{
		server_remove(s, c);
		goto done;
	}
	c->state = c->paused ? SRV_PAUSED : SRV_UNASSIGNED;
	rc = 0;
done:
	json_decref(conn);
	json_decref(sec);
	return rc;
}

int
store_load(struct server *s, char *err, size_t errlen)
{
	char		p[4096];
	DIR		   *d;
	struct dirent *e;
	char		msg[1024];

	snprintf(p, sizeof(p), "%s/connectors", s->state_dir);
	if ((d = opendir(p)) == NULL)
		return errbuf_fail(err, errlen, "cannot read %s: %s", p, strerror(errno));
	while ((e = readdir(d)) != NULL)
	{
		if (e->d_name[0] == '.')
			continue;
		if (server_name_ok(e->d_name, msg, sizeof(msg)) != 0)
		{
			log_warning("ignoring %s/%s: not a connector's directory (%s)", p, e->d_name, msg);
			continue;
		}
		{
			char		conf[4096];

			store_path(s, e->d_name, "connector.json", conf, sizeof(conf));
			if (access(conf, F_OK) != 0 && errno == ENOENT)
			{
				/* deleted while its child was stopping, then the server died */
				log_info("removing %s/%s: its connector was deleted", p, e->d_name);
				if (store_delete(s, e->d_name, msg, sizeof(msg)) != 0)
					log_warning("%s", msg);
				continue;
			}
		}
		if (load_one(s, e->d_name, msg, sizeof(msg)) != 0)
			log_error("connector %s is not loaded: %s", e->d_name, msg);
		else
			log_info("connector %s loaded (%s)", e->d_name,
					 server_find(s, e->d_name)->paused ? "paused" : "to run");
	}
	closedir(d);
	return 0;
}

static int
save_json(const char *path, json_t *j, mode_t mode, char *err, size_t errlen)
{
	char	   *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int			rc;

	if (text == NULL)
		return errbuf_fail(err, errlen, "out of memory");
	rc = file_replace(path, text, strlen(text), mode, err, errlen);
	secret_wipe(text, strlen(text));
	free(text);
	return rc;
}

int
store_save(const struct server *s, const struct server_connector *c, char *err, size_t errlen)
{
	char		p[4096];
	json_t	   *conf = json_object();
	json_t	   *sec = json_object();
	json_t	   *doc = json_object();
	int			rc = -1;

	store_path(s, c->name, NULL, p, sizeof(p));
	if (make_dir(p, 0700, err, errlen) != 0)
		goto done;
	for (int i = 0; i < c->config.n; i++)
	{
		const struct connect_kv *kv = &c->config.kv[i];

		json_object_set_new(config_is_secret(kv->key) ? sec : conf, kv->key,
							json_string(kv->value));
	}
	json_object_set_new(doc, "name", json_string(c->name));
	json_object_set_new(doc, "paused", json_boolean(c->paused));
	json_object_set(doc, "config", conf);
	store_path(s, c->name, "secrets.json", p, sizeof(p));
	if (save_json(p, sec, 0600, err, errlen) != 0)
		goto done;
	store_path(s, c->name, "connector.json", p, sizeof(p));
	if (save_json(p, doc, 0600, err, errlen) != 0)
		goto done;
	rc = 0;
done:
	/* jansson keeps its own copies of the secrets: wipe them */
	{
		const char *k;
		json_t	   *v;

		json_object_foreach(sec, k, v)
		{
			char	   *t = (char *) json_string_value(v);

			if (t != NULL)
				secret_wipe(t, strlen(t));
		}
	}
	json_decref(conf);
	json_decref(sec);
	json_decref(doc);
	return rc;
}

int
store_forget(const struct server *s, const char *name, char *err, size_t errlen)
{
	char		p[4096];
	int			dfd;

	/* the configuration first: without it the directory is a leftover */
	store_path(s, name, "connector.json", p, sizeof(p));
	if (unlink(p) != 0 && errno != ENOENT)
		return errbuf_fail(err, errlen, "cannot remove %s: %s", p, strerror(errno));
	store_path(s, name, "secrets.json", p, sizeof(p));
	if (unlink(p) != 0 && errno != ENOENT)
		return errbuf_fail(err, errlen, "cannot remove %s: %s", p, strerror(errno));
	store_path(s, name, NULL, p, sizeof(p));
	if ((dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
	{
		(void) fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
store_delete(const struct server *s, const char *name, char *err, size_t errlen)
{
	char		from[4096];
	char		to[4096];

	store_path(s, name, NULL, from, sizeof(from));
	snprintf(to, sizeof(to), "%s/trash/%s.%lld", s->state_dir, name,
			 (long long) server_now_ms());
	if (rename(from, to) != 0)
		return errbuf_fail(err, errlen, "cannot remove %s: %s", from, strerror(errno));
	/* a crash before the removal leaves it in the trash: the next start clears it */
	(void) remove_dir(to);
	return 0;
}

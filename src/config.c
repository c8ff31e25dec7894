/*
 * config.c — the properties file, --set overrides and their validation;
 * see config.h for the contract and docs/config.md for every key.
 *
 * One table, config_keys[] (config_keys.c), describes every key once:
 * its name, the type that says how its text is parsed and checked, its
 * default, its allowed values or range, whether it is a secret, the
 * struct config field it fills and a line of documentation.  Parsing,
 * defaults, --print-config and docs/config.md's unit test all read the
 * table; a key whose parsing is its own has a parse function in its
 * entry.  Families of keys (kafka.*, column.mask.*, column.truncate.*,
 * transforms.*, sink.http.header.*) and the refused signal.* names are
 * handled by prefix and name, before the table is consulted.
 *
 * Each key is validated when it is set, so an error in a file names its
 * line; what depends on several keys or on other files (required keys,
 * combinations, the password, table.include.list.file) is done once in
 * config_finish().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "log.h"
#include "sink_http.h"
#include "redis.h"

#include "config_int.h"

static int	set_kafka(struct config *c, const char *key, const char *value,
					  char *err, size_t errlen);
static int	set_column_rule(struct config *c, const char *key, const char *value,
							char *err, size_t errlen);
static int	set_transform(struct config *c, const char *key, const char *value,
						  char *err, size_t errlen);
static int	set_http_header(struct config *c, const char *key, const char *value,
							char *err, size_t errlen);

/*
 * Families of keys: every key with the prefix goes, whole, to the
 * family's setter, which keeps it for another component to validate.
 * --print-config lists them after the table's keys; docs/config.md
 * documents each family as one row, "<prefix><property>".
 */
static const struct
{
	const char *prefix;
	int			(*set) (struct config *c, const char *key, const char *value,
						char *err, size_t errlen);
	const char *doc;
}			config_families[] = {
	{CONFIG_KAFKA_PREFIX, set_kafka, "a librdkafka producer property, passed on"},
	{"column.mask.", set_column_rule, "a mask or hash of the columns listed (columns.h)"},
	{"column.truncate.", set_column_rule, "a truncation of the columns listed (columns.h)"},
	{"transforms.", set_transform, "a property of a transform (transform.h)"},
	{CONFIG_HTTP_HEADER_PREFIX, set_http_header, "a request header of the HTTP sink"},
};

/* Names that are not keys here but are Debezium's: refused with a reason. */
static const char *const refused_signal_keys[] = {
	"signal.data.collection", "signal.table", NULL
};

/* Replace *dst by a copy of src (NULL allowed); -1 if out of memory. */
static int
replace_str(char **dst, const char *src)
{
	char	   *copy = NULL;

	if (src != NULL && (copy = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/*
 * Parse a decimal integer in [lo, hi]: digits only (no sign, no spaces),
 * checked with strtoll's errno and end pointer.
 */
static int
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char	   *end;
	long long	v;

	if (!isdigit((unsigned char) s[0]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int64_t) v;
	return 0;
}

/* Set *out from an integer key whose allowed range is [lo, hi]. */
static int
set_int(int64_t *out, const char *key, const char *value, int64_t lo,
		int64_t hi, char *err, size_t errlen)
{
	if (parse_int(value, lo, hi, out) != 0)
		return errbuf_fail(err, errlen, "%s: \"%s\" is not an integer from %lld to %lld",
					key, value, (long long) lo, (long long) hi);
	return 0;
}

/*
 * Index of value in the NULL-terminated names, or -1 with a message
 * listing every allowed value.
 */
static int
choose(const char *const *names, const char *key, const char *value,
	   char *err, size_t errlen)
{
	char		allowed[256];
	size_t		used = 0;

	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	allowed[0] = '\0';
	for (int i = 0; names[i] != NULL && used < sizeof(allowed); i++)
		used += (size_t) snprintf(allowed + used, sizeof(allowed) - used,
								  "%s%s", i ? ", " : "", names[i]);
	return errbuf_fail(err, errlen, "%s: \"%s\" is not one of %s", key, value, allowed);
}

/* Set a string key that may be unset: an empty value means NULL. */
int
config_set_optional(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (replace_str(field, value[0] ? value : NULL) != 0)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a string key that has a default and must not be empty. */
int
config_set_nonempty(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (value[0] == '\0')
		return errbuf_fail(err, errlen, "%s: must not be empty", key);
	if (replace_str(field, value) != 0)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a PostgreSQL object name: 1 to 63 bytes. */
static int
set_name(char **field, const char *key, const char *value,
		 char *err, size_t errlen)
{
	if (value[0] == '\0' || strlen(value) > CONFIG_NAME_MAX)
		return errbuf_fail(err, errlen, "%s: \"%s\" is not a name of 1 to %d bytes",
					key, value, CONFIG_NAME_MAX);
	return config_set_nonempty(field, key, value, err, errlen);
}

/* The field of key k in c. */
static void *
key_field(const struct config *c, const struct config_key *k)
{
	return (char *) c + k->off;
}

/* Validate value and store it in the field of key k, as its type says. */
static int
set_value(struct config *c, const struct config_key *k, const char *value,
		  char *err, size_t errlen)
{
	const char *key = k->name;
	void	   *field = key_field(c, k);
	int64_t		v;
	int			i;

	if (k->parse != NULL)
		return k->parse(c, k, value, err, errlen);
	if (k->flags & KF_SECRET)
		return secret_set(field, (const char **) (void *) ((char *) c + k->from_off),
						  key, value, err, errlen);
	switch (k->type)
	{
		case KT_TEXT:
			if (replace_str(field, value) != 0)
				return errbuf_fail(err, errlen, "%s: out of memory", key);
			return 0;
		case KT_OPTIONAL:
			return config_set_optional(field, key, value, err, errlen);
		case KT_NONEMPTY:
			return config_set_nonempty(field, key, value, err, errlen);
		case KT_NAME:
			return set_name(field, key, value, err, errlen);
		case KT_PORT:
			if (parse_int(value, k->lo, k->hi, &v) != 0)
				return errbuf_fail(err, errlen, "%s: \"%s\" is not a port number (%lld-%lld)",
							key, value, (long long) k->lo, (long long) k->hi);
			*(int *) field = (int) v;
			return 0;
		case KT_INT:
			return set_int(field, key, value, k->lo, k->hi, err, errlen);
		case KT_ENUM:
			if ((i = choose(k->allowed, key, value, err, errlen)) < 0)
				return -1;
			*(int *) field = i;
			return 0;
		case KT_ENUM_TEXT:
			if ((i = choose(k->allowed, key, value, err, errlen)) < 0)
				return -1;
			return config_set_nonempty(field, key, k->allowed[i], err, errlen);
		case KT_PATTERNS:
			return filter_patterns_set(field, key, value, err, errlen);
		case KT_KEY_RULES:
			return filter_key_rules_set(&c->key_rules, &c->nkey_rules, key, value,
										err, errlen);
	}
	return errbuf_fail(err, errlen, "unknown key \"%s\"", key);
}

/* Release what the field of key k holds (wiping a secret). */
static void
free_value(struct config *c, const struct config_key *k)
{
	void	   *field = key_field(c, k);

	switch (k->type)
	{
		case KT_TEXT:
		case KT_OPTIONAL:
		case KT_NONEMPTY:
		case KT_NAME:
		case KT_ENUM_TEXT:
			if (k->flags & KF_SECRET)
				secret_free(*(char **) field);
			else
				free(*(char **) field);
			break;
		case KT_PATTERNS:
			filter_patterns_free(field);
			break;
		case KT_KEY_RULES:
			filter_key_rules_free(c->key_rules, c->nkey_rules);
			break;
		case KT_PORT:
		case KT_INT:
		case KT_ENUM:
			break;
	}
}

/* The entry of key, or NULL. */
static const struct config_key *
find_key(const char *key)
{
	for (int i = 0; i < config_nkeys; i++)
		if (strcmp(key, config_keys[i].name) == 0)
			return &config_keys[i];
	return NULL;
}

int
config_key_info(int i, struct config_key_info *info)
{
	const struct config_key *k;

	if (i < 0 || i >= config_nkeys)
		return -1;
	k = &config_keys[i];
	info->name = k->name;
	info->def = k->def;
	info->allowed = k->allowed;
	info->secret = (k->flags & KF_SECRET) != 0;
	info->doc = k->doc;
	return 0;
}

/*
 * Defaults for every key: the key table's texts, set as if given, so that
 * a default is validated like any value and config_print shows it.
 */
void
config_init(struct config *c)
{
	char		err[256];

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < config_nkeys; i++)
		if (config_keys[i].def != NULL)
			/* only out of memory can fail: config_finish() reports the NULL */
			(void) config_set(c, config_keys[i].name, config_keys[i].def, err, sizeof(err));
}

/* Release all *c owns, wiping the secrets; *c is left zeroed. */
void
config_free(struct config *c)
{
	for (int i = 0; i < config_nkeys; i++)
		free_value(c, &config_keys[i]);
	for (int i = 0; i < CONFIG_NKEYS; i++)
		free(c->text[i]);
	filter_patterns_free(&c->file_tables);
	filter_patterns_free(&c->file_schemas);
	columns_free(&c->columns);
	transforms_free(&c->xf);
	free(c->redis_host);
	for (int i = 0; i < c->nkafka; i++)
	{
		free(c->kafka_keys[i]);
		secret_free(c->kafka_values[i]);
	}
	free(c->kafka_keys);
	free(c->kafka_values);
	for (int i = 0; i < c->nhttp_headers; i++)
	{
		free(c->http_header_names[i]);
		secret_free(c->http_header_values[i]);
	}
	free(c->http_header_names);
	free(c->http_header_values);
	memset(c, 0, sizeof(*c));
}

/*
 * A kafka.* key: kept as given, without the prefix, for librdkafka,
 * which validates it when the sink is opened (sink_check).  A later
 * setting replaces an earlier one.
 */
static int
set_kafka(struct config *c, const char *key, const char *value,
		  char *err, size_t errlen)
{
	const char *name = key + strlen(CONFIG_KAFKA_PREFIX);
	char	   *v;
	char	  **nk, **nv;

	if (name[0] == '\0')
		return errbuf_fail(err, errlen, "%s: a librdkafka property name must follow \"kafka.\"", key);
	if ((v = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < c->nkafka; i++)
		if (strcmp(c->kafka_keys[i], name) == 0)
		{
			secret_free(c->kafka_values[i]);
			c->kafka_values[i] = v;
			return 0;
		}
	nk = realloc(c->kafka_keys, sizeof(char *) * (size_t) (c->nkafka + 1));
	if (nk)
		c->kafka_keys = nk;
	nv = nk ? realloc(c->kafka_values, sizeof(char *) * (size_t) (c->nkafka + 1)) : NULL;
	if (nv)
		c->kafka_values = nv;
	if (nk == NULL || nv == NULL || (nk[c->nkafka] = strdup(name)) == NULL)
	{
		secret_free(v);
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	}
	nv[c->nkafka++] = v;
	return 0;
}

/* column.mask.* and column.truncate.* keys: columns.h parses and keeps them. */
static int
set_column_rule(struct config *c, const char *key, const char *value,
				char *err, size_t errlen)
{
	int			rc = columns_add_rule(&c->columns, key, value, err, errlen);

	if (rc > 0)
		return errbuf_fail(err, errlen, "unknown key \"%s\": column mappers are column.mask.with.<N>.chars, column.mask.hash.<algorithm>.with.salt.<salt> and column.truncate.to.<N>.chars", key);
	return rc;
}

/* transforms.<alias>.<property>: transform.h keeps them until config_finish. */
static int
set_transform(struct config *c, const char *key, const char *value,
			  char *err, size_t errlen)
{
	return transforms_set(&c->xf, key, value, err, errlen);
}

/* The value of librdkafka property name, or NULL if no kafka.* key set it. */
static const char *
kafka_value(const struct config *c, const char *name)
{
	for (int i = 0; i < c->nkafka; i++)
		if (strcmp(c->kafka_keys[i], name) == 0)
			return c->kafka_values[i];
	return NULL;
}

/*
 * A sink.http.header.<Name> key: Name must be an HTTP field name (RFC
 * 9110's token), the value one line; an empty value removes the header.
 * Names are compared without case, as HTTP does; a later setting
 * replaces an earlier one.  Authorization has its own key, a secret;
 * Content-Length and Transfer-Encoding are libcurl's.
 */
static int
set_http_header(struct config *c, const char *key, const char *value,
				char *err, size_t errlen)
{
	const char *name = key + strlen(CONFIG_HTTP_HEADER_PREFIX);
	char		why[256];
	char	   *v;
	char	  **nn, **nv;
	int			i;

	if (sink_http_header_check(name, value, why, sizeof(why)) != 0)
		return errbuf_fail(err, errlen, "%s: %s", key, why);
	for (i = 0; i < c->nhttp_headers; i++)
		if (strcasecmp(c->http_header_names[i], name) == 0)
			break;
	if (value[0] == '\0')
	{
		if (i < c->nhttp_headers)
		{
			free(c->http_header_names[i]);
			secret_free(c->http_header_values[i]);
			c->nhttp_headers--;
			memmove(c->http_header_names + i, c->http_header_names + i + 1,
					sizeof(char *) * (size_t) (c->nhttp_headers - i));
			memmove(c->http_header_values + i, c->http_header_values + i + 1,
					sizeof(char *) * (size_t) (c->nhttp_headers - i));
		}
		return 0;
	}
	if ((v = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	if (i < c->nhttp_headers)
	{
		secret_free(c->http_header_values[i]);
		c->http_header_values[i] = v;
		return 0;
	}
	nn = realloc(c->http_header_names, sizeof(char *) * (size_t) (c->nhttp_headers + 1));
	if (nn)
		c->http_header_names = nn;
	nv = nn ? realloc(c->http_header_values, sizeof(char *) * (size_t) (c->nhttp_headers + 1)) : NULL;
	if (nv)
		c->http_header_values = nv;
	if (nn == NULL || nv == NULL || (nn[c->nhttp_headers] = strdup(name)) == NULL)
	{
		secret_free(v);
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	}
	nv[c->nhttp_headers++] = v;
	return 0;
}

int
config_is_secret(const char *key)
{
	const struct config_key *k = find_key(key);
	size_t		len = strlen(key);

	if (k != NULL)
		return (k->flags & KF_SECRET) != 0;
	if (strncmp(key, CONFIG_HTTP_HEADER_PREFIX, strlen(CONFIG_HTTP_HEADER_PREFIX)) == 0)
		return config_http_header_secret(key + strlen(CONFIG_HTTP_HEADER_PREFIX));
	/* kafka.sasl.password.file names a file: a path, not a secret */
	if (len > 5 && strcmp(key + len - 5, ".file") == 0)
		return 0;
	return strncmp(key, CONFIG_KAFKA_PREFIX, strlen(CONFIG_KAFKA_PREFIX)) == 0 &&
		config_kafka_secret(key + strlen(CONFIG_KAFKA_PREFIX));
}

/*
 * Validate and store one key.  A failed set leaves the key's previous
 * value in place.  The message names the key, never a secret.
 */
int
config_set(struct config *c, const char *key, const char *value,
		   char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	char	   *text;

	if (k == NULL)
	{
		for (size_t i = 0; i < sizeof(config_families) / sizeof(config_families[0]); i++)
			if (strncmp(key, config_families[i].prefix,
						strlen(config_families[i].prefix)) == 0)
				return config_families[i].set(c, key, value, err, errlen);
		for (int i = 0; refused_signal_keys[i] != NULL; i++)
			if (strcmp(key, refused_signal_keys[i]) == 0)
				return errbuf_fail(err, errlen,
							"%s: cannot be set: the signal table must be named "
							CONFIG_SIGNAL_TABLE " and is always "
							"<signal.schema>." CONFIG_SIGNAL_TABLE
							"; set signal.schema to choose its schema", key);
		return errbuf_fail(err, errlen, "unknown key \"%s\"", key);
	}
	if (set_value(c, k, value, err, errlen) != 0)
		return -1;
	if (k->flags & KF_SECRET)
		return 0;				/* config_print shows where it came from instead */
	if ((text = strdup(value)) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	free(c->text[k - config_keys]);
	c->text[k - config_keys] = text;
	return 0;
}

/*
 * kafka.<secret>.file keys become kafka.<secret> (librdkafka knows no
 * *.file property); then the environment fills the secrets still unset.
 */
static int
kafka_secrets(struct config *c, char *err, size_t errlen)
{
	for (int i = 0; i < c->nkafka; i++)
	{
		const char *name = c->kafka_keys[i];
		size_t		len = strlen(name);
		char		stem[128];
		char		key[160];
		char	   *value = NULL;
		int			rc;

		if (len <= 5 || len - 5 >= sizeof(stem) || strcmp(name + len - 5, ".file") != 0)
			continue;
		memcpy(stem, name, len - 5);
		stem[len - 5] = '\0';
		/* a PEM key spans lines: librdkafka reads it from ssl.key.location */
		if (!config_kafka_secret(stem) || strcmp(stem, "ssl.key.pem") == 0)
			continue;
		snprintf(key, sizeof(key), "kafka.%s", name);
		if (secret_read_file(key, c->kafka_values[i], &value, err, errlen) != 0)
			return -1;
		/* drop the *.file entry, then set the secret unless the key gave it */
		free(c->kafka_keys[i]);
		free(c->kafka_values[i]);
		c->nkafka--;
		memmove(c->kafka_keys + i, c->kafka_keys + i + 1, sizeof(char *) * (size_t) (c->nkafka - i));
		memmove(c->kafka_values + i, c->kafka_values + i + 1, sizeof(char *) * (size_t) (c->nkafka - i));
		i--;
		snprintf(key, sizeof(key), "kafka.%s", stem);
		rc = 0;
		if (kafka_value(c, stem) == NULL)
			rc = set_kafka(c, key, value, err, errlen);
		secret_free(value);
		if (rc != 0)
			return -1;
	}
	for (int i = 0; secret_kafka_env[i] != NULL; i++)
	{
		char		env[96];
		char		key[96];
		const char *v;

		secret_env_name("WALCAP_KAFKA_", secret_kafka_env[i], env, sizeof(env));
		if (kafka_value(c, secret_kafka_env[i]) != NULL ||
			(v = getenv(env)) == NULL || v[0] == '\0')
			continue;
		snprintf(key, sizeof(key), "kafka.%s", secret_kafka_env[i]);
		if (set_kafka(c, key, v, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * The sink.redis.* keys with sink.type=redis: the address, keys that go
 * together, the password (key, file, environment).
 */
static int
finish_redis(struct config *c, char *err, size_t errlen)
{
	if (c->sink != CONFIG_SINK_REDIS)
		return 0;
	if (c->redis_null_key == NULL || c->redis_null_value == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (c->redis_address == NULL)
		return errbuf_fail(err, errlen,
					"sink.redis.address is required when sink.type is redis (host:port of the Redis server)");
	if (c->redis_retry_max_ms < c->redis_retry_initial_ms)
		return errbuf_fail(err, errlen,
					"sink.redis.retry.max.delay.ms: %lld is less than sink.redis.retry.initial.delay.ms (%lld)",
					(long long) c->redis_retry_max_ms, (long long) c->redis_retry_initial_ms);
	if (!c->redis_ssl && (c->redis_ssl_ca || c->redis_ssl_cert || c->redis_ssl_key))
		return errbuf_fail(err, errlen,
					"%s is set but sink.redis.ssl.enabled is false: set sink.redis.ssl.enabled=true, or remove the key",
					c->redis_ssl_ca ? "sink.redis.ssl.ca.location" :
					c->redis_ssl_cert ? "sink.redis.ssl.certificate.location" : "sink.redis.ssl.key.location");
	if ((c->redis_ssl_cert == NULL) != (c->redis_ssl_key == NULL))
		return errbuf_fail(err, errlen,
					"%s is set without %s: a client certificate needs both",
					c->redis_ssl_cert ? "sink.redis.ssl.certificate.location" : "sink.redis.ssl.key.location",
					c->redis_ssl_cert ? "sink.redis.ssl.key.location" : "sink.redis.ssl.certificate.location");
	if (secret_fallback(&c->redis_password, &c->redis_password_from, "sink.redis.password.file",
						c->redis_password_file, CONFIG_REDIS_PASSWORD_ENV, err, errlen) != 0)
		return -1;
	if (c->redis_user && c->redis_password == NULL)
		return errbuf_fail(err, errlen,
					"sink.redis.user is set without a password: set sink.redis.password, sink.redis.password.file or "
					CONFIG_REDIS_PASSWORD_ENV " (an ACL user logs in with both)");
	return 0;
}

/* The ssh.* keys: required ones, and ~/ in the known hosts path. */
static int
finish_ssh(struct config *c, char *err, size_t errlen)
{
	const char *home;
	char	   *path;

	if (!c->ssh_enabled)
		return 0;
	if (c->ssh_host == NULL || c->ssh_user == NULL || c->ssh_key_file == NULL)
		return errbuf_fail(err, errlen,
					"ssh.enabled is true: set ssh.host, ssh.user and ssh.private.key.file (the bastion, the user to log in as and its private key)");
	if (c->hostname[0] == '/')
		return errbuf_fail(err, errlen,
					"ssh.enabled is true but database.hostname \"%s\" is a Unix-domain socket directory: give the database's host name or address as the bastion sees it",
					c->hostname);
	if (c->ssh_known_hosts == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (strncmp(c->ssh_known_hosts, "~/", 2) != 0)
		return 0;
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return errbuf_fail(err, errlen,
					"ssh.known.hosts.file: \"%s\" needs $HOME, which is not set; give an absolute path",
					c->ssh_known_hosts);
	if ((path = malloc(strlen(home) + strlen(c->ssh_known_hosts))) == NULL)
		return errbuf_fail(err, errlen, "ssh.known.hosts.file: out of memory");
	sprintf(path, "%s%s", home, c->ssh_known_hosts + 1);
	free(c->ssh_known_hosts);
	c->ssh_known_hosts = path;
	return 0;
}

/*
 * Derived values, required keys, combinations, the password and the
 * include file; may be called again (the include file is re-read).
 */
int
config_finish(struct config *c, char *err, size_t errlen)
{
	if (c->hostname == NULL || c->sslmode == NULL || c->slot_name == NULL ||
		c->publication_name == NULL || c->signal_schema == NULL ||
		c->unavailable_placeholder == NULL || c->offset_file == NULL ||
		c->heartbeat_prefix == NULL)
		return errbuf_fail(err, errlen, "config: out of memory");
	if (c->heartbeat_ms == 0 && (c->heartbeat_query || c->heartbeat_message || c->heartbeat_events))
		return errbuf_fail(err, errlen,
					"heartbeat.interval.ms is 0 (off): set it to use heartbeat.action.query, heartbeat.logical.message or heartbeat.events");

	if (c->user == NULL)
		return errbuf_fail(err, errlen,
					"database.user is required (the PostgreSQL user to connect as)");
	if (c->dbname == NULL)
		return errbuf_fail(err, errlen,
					"database.dbname is required (the database to capture changes from)");
	if (transforms_finish(&c->xf, c->transforms_list, err, errlen) != 0)
		return -1;
	if (c->columns.include.n > 0 && c->columns.exclude.n > 0)
		return errbuf_fail(err, errlen,
					"column.include.list and column.exclude.list are both set: use one of them");
	if (c->sink == CONFIG_SINK_FILE && c->sink_file_path == NULL)
		return errbuf_fail(err, errlen,
					"sink.file.path is required when sink.type is file");
	if (c->sink == CONFIG_SINK_HTTP && c->http_url == NULL)
		return errbuf_fail(err, errlen,
					"sink.http.url is required when sink.type is http (the receiver's http:// or https:// URL)");
	if (c->http_retry_max_ms < c->http_retry_ms)
		return errbuf_fail(err, errlen,
					"sink.http.retry.max.interval.ms: %lld is less than "
					"sink.http.retry.interval.ms (%lld)",
					(long long) c->http_retry_max_ms, (long long) c->http_retry_ms);
	if (c->backoff_max_ms < c->backoff_initial_ms)
		return errbuf_fail(err, errlen,
					"connect.backoff.max.ms: %lld is less than "
					"connect.backoff.initial.ms (%lld)",
					(long long) c->backoff_max_ms,
					(long long) c->backoff_initial_ms);

	/* Debezium accepts only one of each include/exclude pair */
	if (c->table_include.n > 0 && c->table_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"table.include.list and table.exclude.list cannot both be set");
	if (c->table_include_file != NULL && c->table_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"table.include.list.file and table.exclude.list cannot both be set");
	if (c->schema_include.n > 0 && c->schema_exclude.n > 0)
		return errbuf_fail(err, errlen,
					"schema.include.list and schema.exclude.list cannot both be set");

	if (c->ha_enabled && c->offset_storage == CONFIG_OFFSETS_FILE)
		return errbuf_fail(err, errlen,
					"ha.enabled=true needs offset.storage=postgres (or kafka, with "
					"exactly.once.support=required): a standby on another machine must read "
					"the position the active one recorded, and the offset file is local to "
					"each machine");
	if (c->ha_enabled && c->offset_storage == CONFIG_OFFSETS_KAFKA &&
		c->exactly_once != CONFIG_EOS_REQUIRED)
		return errbuf_fail(err, errlen,
					"ha.enabled=true with offset.storage=kafka needs exactly.once.support=required: "
					"only a transactional producer, fenced by the next active one, keeps a stale "
					"active walcap from recording an older position (or use offset.storage=postgres)");
	if (c->exactly_once == CONFIG_EOS_REQUIRED && c->sink != CONFIG_SINK_KAFKA)
		return errbuf_fail(err, errlen,
					"exactly.once.support=required needs sink.type=kafka: it commits each batch "
					"of events in a Kafka transaction");
	if (c->exactly_once == CONFIG_EOS_REQUIRED && c->offset_storage != CONFIG_OFFSETS_KAFKA)
		return errbuf_fail(err, errlen,
					"exactly.once.support=required needs offset.storage=kafka: the offset record "
					"must commit in the same Kafka transaction as the events it covers");
	if (c->offset_storage == CONFIG_OFFSETS_KAFKA)
	{
		int			have = 0;

		for (int i = 0; i < c->nkafka; i++)
			if ((strcmp(c->kafka_keys[i], "bootstrap.servers") == 0 ||
				 strcmp(c->kafka_keys[i], "metadata.broker.list") == 0) && c->kafka_values[i][0])
				have = 1;
		if (!have)
			return errbuf_fail(err, errlen,
						"kafka.bootstrap.servers is required when offset.storage is kafka "
						"(host:port of one or more brokers)");
	}
	if (c->name == NULL && (c->name = strdup(c->slot_name)) == NULL)
		return errbuf_fail(err, errlen, "name: out of memory");
	if (!c->topic_prefix_set)
	{
		free(c->topic_prefix);
		if ((c->topic_prefix = strdup(c->dbname)) == NULL)
			return errbuf_fail(err, errlen, "topic.prefix: out of memory");
	}

	/* secrets: the key, else its file, else the environment (else libpq's) */
	if (secret_fallback(&c->password, &c->password_from, "database.password.file",
						c->password_file, CONFIG_PASSWORD_ENV, err, errlen) != 0 ||
		secret_fallback(&c->ssh_passphrase, &c->ssh_passphrase_from,
						"ssh.private.key.passphrase.file", c->ssh_passphrase_file,
						CONFIG_SSH_PASSPHRASE_ENV, err, errlen) != 0 ||
		secret_fallback(&c->http_auth, &c->http_auth_from, "sink.http.authorization.file",
						c->http_auth_file, CONFIG_HTTP_AUTH_ENV, err, errlen) != 0)
		return -1;
	/* a header's value: one line (never shown, it is a secret) */
	if (c->http_auth != NULL && !sink_http_value_ok(c->http_auth))
		return errbuf_fail(err, errlen,
					"%s: the value holds a line break or another control character; give the Authorization header's value alone, on one line (e.g. Bearer <token>)",
					c->http_auth_from ? c->http_auth_from : "sink.http.authorization");
	if ((c->sink == CONFIG_SINK_KAFKA || c->offset_storage == CONFIG_OFFSETS_KAFKA) &&
		kafka_secrets(c, err, errlen) != 0)
		return -1;
	if (finish_ssh(c, err, errlen) != 0 || finish_redis(c, err, errlen) != 0)
		return -1;

	filter_patterns_free(&c->file_tables);
	filter_patterns_free(&c->file_schemas);
	if (c->table_include_file != NULL &&
		filter_read_include_file("table.include.list.file", c->table_include_file,
								 &c->file_tables, &c->file_schemas, err, errlen) != 0)
		return -1;
	return 0;
}

/* One "key = value" line of config_print; NULL value: unset. */
static void
print_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s =%s%s\n", key, value ? " " : "", value ? value : "");
}

void
config_print(const struct config *c, FILE *f)
{
	fprintf(f, "# walcap: the configuration in effect (secrets masked)\n");
	for (int i = 0; i < config_nkeys; i++)
	{
		const struct config_key *k = &config_keys[i];
		char	   *const *field = key_field(c, k);

		if (k->flags & KF_SECRET)
			secret_print(f, k->name, *field,
						 *(const char *const *) (const void *) ((const char *) c + k->from_off));
		else if (k->flags & KF_SHOW_FIELD)
			print_line(f, k->name, *field);
		else
			print_line(f, k->name, c->text[i]);
	}
	for (int i = 0; i < c->columns.nrules; i++)
		fprintf(f, "%s = %s\n", c->columns.rules[i].key, c->columns.rules[i].value);
	transforms_print(&c->xf, f);
	for (int i = 0; i < c->nkafka; i++)
	{
		if (config_kafka_secret(c->kafka_keys[i]))
			fprintf(f, "kafka.%s = ********\n", c->kafka_keys[i]);
		else
			fprintf(f, "kafka.%s = %s\n", c->kafka_keys[i], c->kafka_values[i]);
	}
	for (int i = 0; i < c->nhttp_headers; i++)
	{
		if (config_http_header_secret(c->http_header_names[i]))
			fprintf(f, CONFIG_HTTP_HEADER_PREFIX "%s = ********\n", c->http_header_names[i]);
		else
			fprintf(f, CONFIG_HTTP_HEADER_PREFIX "%s = %s\n", c->http_header_names[i],
					c->http_header_values[i]);
	}
}

int32_t
config_ha_lock_key(const char *slot)
{
	uint32_t	h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *) slot; *p; p++)
	{
		h ^= *p;
		h *= 16777619u;
	}
	return (int32_t) (h & 0x7fffffffu);
}

/*
 * config.c — the properties file, --set overrides and their validation;
 * see config.h for the contract and docs/config.md for every key.
 *
 * Each key is validated when it is set, so an error in a file names its
 * line; what depends on several keys or on other files (required keys,
 * combinations, the password, table.include.list.file) is done once in
 * config_finish().  Pattern lists are matched whole-name: a pattern is
 * compiled as written and a name matches only if the leftmost-longest
 * match POSIX regexec() reports spans the entire name.  That is the
 * meaning of "^(pattern)$" without pasting text around the user's
 * pattern, which a stray ')' or a back-reference would subvert.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

/* Longest password accepted from database.password.file. */
#define CONFIG_PASSWORD_MAX 4096

/* PostgreSQL's NAMEDATALEN - 1: the longest identifier it keeps. */
#define CONFIG_NAME_MAX 63

enum config_key_id
{
	KEY_HOSTNAME,
	KEY_PORT,
	KEY_USER,
	KEY_PASSWORD,
	KEY_PASSWORD_FILE,
	KEY_DBNAME,
	KEY_SSLMODE,
	KEY_SSLROOTCERT,
	KEY_SSLCERT,
	KEY_SSLKEY,
	KEY_SLOT_NAME,
	KEY_SLOT_FAILOVER,
	KEY_PUBLICATION_NAME,
	KEY_SIGNAL_SCHEMA,
	KEY_TOPIC_PREFIX,
	KEY_TABLE_INCLUDE,
	KEY_TABLE_EXCLUDE,
	KEY_SCHEMA_INCLUDE,
	KEY_SCHEMA_EXCLUDE,
	KEY_TABLE_INCLUDE_FILE,
	KEY_BINARY_MODE,
	KEY_DECIMAL_MODE,
	KEY_TIME_MODE,
	KEY_INTERVAL_MODE,
	KEY_HSTORE_MODE,
	KEY_PLACEHOLDER,
	KEY_STATUS_INTERVAL,
	KEY_SINK_TYPE,
	KEY_SINK_FILE_PATH,
	KEY_OFFSET_FILE,
	KEY_BACKOFF_INITIAL,
	KEY_BACKOFF_MAX,
	KEY_MAX_ATTEMPTS,
	KEY_LOG_LEVEL,
	KEY_SNAPSHOT_MODE,
	KEY_CHUNK_SIZE,
	KEY_WATERMARKING,
	KEY_READ_ONLY,
	KEY_NEW_TABLES,
	KEY_TOMBSTONES,
	KEY_KAFKA_FLUSH,
	KEY_HB_INTERVAL,
	KEY_HB_QUERY,
	KEY_HB_MESSAGE,
	KEY_HB_EVENTS,
	KEY_HB_PREFIX,
	KEY_KEY_COLUMNS,
	KEY_KEY_SCHEMAS,
	KEY_VALUE_SCHEMAS,
	KEY_CONFIRM_IDLE,
	KEY_CONNECT_TIMEOUT,
	KEY_KEEPALIVE_IDLE,
	KEY_KEEPALIVE_INTERVAL,
	KEY_KEEPALIVE_COUNT,
	KEY_TCP_USER_TIMEOUT,
	KEY_RECEIVE_TIMEOUT,
	KEY_WAL_WARN,
	KEY_WAL_CHECK,
	KEY_SSH_ENABLED,
	KEY_SSH_HOST,
	KEY_SSH_PORT,
	KEY_SSH_USER,
	KEY_SSH_KEY_FILE,
	KEY_SSH_PASSPHRASE,
	KEY_SSH_PASSPHRASE_FILE,
	KEY_SSH_KNOWN_HOSTS,
	KEY_SSH_HOST_KEY_CHECK,
	KEY_COUNT
};

_Static_assert(KEY_COUNT <= CONFIG_NKEYS, "CONFIG_NKEYS is too small");

/* A key, and the text of its default (NULL: unset until given). */
struct config_key
{
	const char *name;
	enum config_key_id id;
	const char *def;
};

static const struct config_key config_keys[] = {
	{"database.hostname", KEY_HOSTNAME, "localhost"},
	{"database.port", KEY_PORT, "5432"},
	{"database.user", KEY_USER, NULL},
	{"database.password", KEY_PASSWORD, NULL},
	{"database.password.file", KEY_PASSWORD_FILE, NULL},
	{"database.dbname", KEY_DBNAME, NULL},
	{"database.sslmode", KEY_SSLMODE, "prefer"},
	{"database.sslrootcert", KEY_SSLROOTCERT, NULL},
	{"database.sslcert", KEY_SSLCERT, NULL},
	{"database.sslkey", KEY_SSLKEY, NULL},
	{"ssh.enabled", KEY_SSH_ENABLED, "false"},
	{"ssh.host", KEY_SSH_HOST, NULL},
	{"ssh.port", KEY_SSH_PORT, "22"},
	{"ssh.user", KEY_SSH_USER, NULL},
	{"ssh.private.key.file", KEY_SSH_KEY_FILE, NULL},
	{"ssh.private.key.passphrase", KEY_SSH_PASSPHRASE, NULL},
	{"ssh.private.key.passphrase.file", KEY_SSH_PASSPHRASE_FILE, NULL},
	{"ssh.known.hosts.file", KEY_SSH_KNOWN_HOSTS, "~/.ssh/known_hosts"},
	{"ssh.host.key.check", KEY_SSH_HOST_KEY_CHECK, "true"},
	{"slot.name", KEY_SLOT_NAME, "streamkap_pgoutput_slot"},
	{"slot.failover", KEY_SLOT_FAILOVER, "false"},
	{"publication.name", KEY_PUBLICATION_NAME, "streamkap_pub"},
	{"signal.schema", KEY_SIGNAL_SCHEMA, "streamkap"},
	{"topic.prefix", KEY_TOPIC_PREFIX, NULL},
	{"table.include.list", KEY_TABLE_INCLUDE, NULL},
	{"table.exclude.list", KEY_TABLE_EXCLUDE, NULL},
	{"schema.include.list", KEY_SCHEMA_INCLUDE, NULL},
	{"schema.exclude.list", KEY_SCHEMA_EXCLUDE, NULL},
	{"table.include.list.file", KEY_TABLE_INCLUDE_FILE, NULL},
	{"binary.handling.mode", KEY_BINARY_MODE, "bytes"},
	{"decimal.handling.mode", KEY_DECIMAL_MODE, "precise"},
	{"time.precision.mode", KEY_TIME_MODE, "adaptive"},
	{"interval.handling.mode", KEY_INTERVAL_MODE, "numeric"},
	{"hstore.handling.mode", KEY_HSTORE_MODE, "json"},
	{"unavailable.value.placeholder", KEY_PLACEHOLDER, "__debezium_unavailable_value"},
	{"status.update.interval.ms", KEY_STATUS_INTERVAL, "10000"},
	{"sink.type", KEY_SINK_TYPE, "stdout"},
	{"sink.file.path", KEY_SINK_FILE_PATH, NULL},
	{"offset.storage.file.filename", KEY_OFFSET_FILE, "walcap.offsets"},
	{"connect.backoff.initial.ms", KEY_BACKOFF_INITIAL, "500"},
	{"connect.backoff.max.ms", KEY_BACKOFF_MAX, "30000"},
	{"connect.max.attempts", KEY_MAX_ATTEMPTS, "0"},
	{"log.level", KEY_LOG_LEVEL, "info"},
	{"snapshot.mode", KEY_SNAPSHOT_MODE, "initial"},
	{"incremental.snapshot.chunk.size", KEY_CHUNK_SIZE, "1024"},
	{"incremental.snapshot.watermarking.strategy", KEY_WATERMARKING, "insert_insert"},
	{"read.only", KEY_READ_ONLY, "false"},
	{"snapshot.new.tables", KEY_NEW_TABLES, "true"},
	{"tombstones.on.delete", KEY_TOMBSTONES, "true"},
	{"sink.kafka.flush.timeout.ms", KEY_KAFKA_FLUSH, "10000"},
	{"heartbeat.interval.ms", KEY_HB_INTERVAL, "0"},
	{"heartbeat.action.query", KEY_HB_QUERY, NULL},
	{"heartbeat.logical.message", KEY_HB_MESSAGE, "false"},
	{"heartbeat.events", KEY_HB_EVENTS, "false"},
	{"topic.heartbeat.prefix", KEY_HB_PREFIX, "__debezium-heartbeat"},
	{"message.key.columns", KEY_KEY_COLUMNS, NULL},
	{"key.converter.schemas.enable", KEY_KEY_SCHEMAS, "false"},
	{"value.converter.schemas.enable", KEY_VALUE_SCHEMAS, "false"},
	{"status.confirm.idle", KEY_CONFIRM_IDLE, "true"},
	{"connect.timeout.ms", KEY_CONNECT_TIMEOUT, "10000"},
	{"connect.keepalive.idle.ms", KEY_KEEPALIVE_IDLE, "30000"},
	{"connect.keepalive.interval.ms", KEY_KEEPALIVE_INTERVAL, "10000"},
	{"connect.keepalive.count", KEY_KEEPALIVE_COUNT, "3"},
	{"connect.tcp.user.timeout.ms", KEY_TCP_USER_TIMEOUT, "60000"},
	{"connect.receive.timeout.ms", KEY_RECEIVE_TIMEOUT, "60000"},
	{"wal.retained.warn.bytes", KEY_WAL_WARN, "1073741824"},
	{"wal.retained.check.interval.ms", KEY_WAL_CHECK, "60000"},
};

/* Allowed values of the enumerated keys, in the order of their enums. */
static const char *const binary_modes[] = {
	"bytes", "base64", "base64-url-safe", "hex", NULL
};
static const char *const decimal_modes[] = {
	"precise", "double", "string", NULL
};
static const char *const time_modes[] = {
	"adaptive", "adaptive_time_microseconds", "connect", NULL
};
static const char *const interval_modes[] = {"numeric", "string", NULL};
static const char *const hstore_modes[] = {"json", "map", NULL};
static const char *const sink_types[] = {"stdout", "file", "kafka", NULL};
static const char *const log_levels[] = {
	"error", "warning", "info", "debug", NULL
};
static const char *const snapshot_modes[] = {
	"initial", "initial_only", "no_data", "when_needed", NULL
};
static const char *const watermarkings[] = {"insert_insert", "insert_delete", NULL};
static const char *const booleans[] = {"false", "true", NULL};
static const char *const sslmodes[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL
};

static void key_rules_free(struct config_key_rule *r, int n);

/* A growable array of owned strings. */
struct strlist
{
	char	  **v;
	int			n;
	int			cap;
};

/*
 * Write a message into err[errlen] (if there is room for one) and return
 * -1, so that error paths read "return fail(...)".
 */
static int	fail(char *err, size_t errlen, const char *fmt, ...)
			__attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list		ap;

	if (err != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Overwrite a secret before its memory is released. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* free() a NUL-terminated secret after wiping it; NULL is allowed. */
static void
free_secret(char *s)
{
	if (s != NULL)
	{
		wipe(s, strlen(s));
		free(s);
	}
}

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

/* Append a copy of s[0..len) to l; -1 if out of memory. */
static int
strlist_add(struct strlist *l, const char *s, size_t len)
{
	char	   *copy;

	if (l->n == l->cap)
	{
		int			ncap = l->cap ? l->cap * 2 : 8;
		char	  **nv = realloc(l->v, (size_t) ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->v[l->n++] = copy;
	return 0;
}

/* Free the strings of l and its array. */
static void
strlist_free(struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Free the compiled patterns of p; p is left empty (not set). */
static void
patterns_free(struct config_patterns *p)
{
	for (int i = 0; i < p->n; i++)
		regfree(&p->re[i]);
	free(p->re);
	p->re = NULL;
	p->n = 0;
}

/*
 * Compile every string of items into *out (which must be empty), as
 * POSIX extended, case-insensitive expressions.  On failure nothing is
 * left allocated in *out and the message names key and the pattern.
 */
static int
patterns_compile(const char *key, const struct strlist *items,
				 struct config_patterns *out, char *err, size_t errlen)
{
	if (items->n == 0)
		return 0;
	out->re = calloc((size_t) items->n, sizeof(regex_t));
	if (out->re == NULL)
		return fail(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < items->n; i++)
	{
		int			rc = regcomp(&out->re[i], items->v[i],
								 REG_EXTENDED | REG_ICASE);

		if (rc != 0)
		{
			char		why[256];

			regerror(rc, &out->re[i], why, sizeof(why));
			patterns_free(out);
			return fail(err, errlen,
						"%s: \"%s\" is not a valid POSIX extended regular expression: %s",
						key, items->v[i], why);
		}
		out->n = i + 1;
	}
	return 0;
}

/* Whether some pattern of p matches the whole of name. */
static int
patterns_match(const struct config_patterns *p, const char *name)
{
	size_t		len = strlen(name);

	for (int i = 0; i < p->n; i++)
	{
		regmatch_t	m;

		/* leftmost-longest: a whole-name match starts at 0 and ends at len */
		if (regexec(&p->re[i], name, 1, &m, 0) == 0 &&
			m.rm_so == 0 && (size_t) m.rm_eo == len)
			return 1;
	}
	return 0;
}

/*
 * Split a comma-separated list as Debezium does: "\," is a comma inside
 * a pattern, any other backslash pair is kept as written, items are
 * trimmed and empty items are dropped.
 */
static int
split_list(const char *value, struct strlist *items)
{
	struct buf	item;
	const char *p = value;
	int			rc = 0;

	buf_init(&item, 0);
	for (;;)
	{
		if (*p == '\\' && p[1] != '\0')
		{
			if (p[1] != ',')
				buf_putc(&item, '\\');
			buf_putc(&item, p[1]);
			p += 2;
			continue;
		}
		if (*p == ',' || *p == '\0')
		{
			const char *s = item.data ? item.data : "";
			size_t		len = item.len;

			while (len > 0 && isspace((unsigned char) *s))
				s++, len--;
			while (len > 0 && isspace((unsigned char) s[len - 1]))
				len--;
			if (buf_failed(&item) || (len > 0 && strlist_add(items, s, len) != 0))
			{
				rc = -1;
				break;
			}
			buf_reset(&item);
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		buf_putc(&item, *p++);
	}
	buf_free(&item);
	return rc;
}

/* Set *p from a comma-separated list; an empty list unsets it. */
static int
set_patterns(struct config_patterns *p, const char *key, const char *value,
			 char *err, size_t errlen)
{
	struct strlist items = {NULL, 0, 0};
	struct config_patterns np = {0, NULL};
	int			rc;

	if (split_list(value, &items) != 0)
	{
		strlist_free(&items);
		return fail(err, errlen, "%s: out of memory", key);
	}
	rc = patterns_compile(key, &items, &np, err, errlen);
	strlist_free(&items);
	if (rc != 0)
		return -1;
	patterns_free(p);
	*p = np;
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
		return fail(err, errlen, "%s: \"%s\" is not an integer from %lld to %lld",
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
	return fail(err, errlen, "%s: \"%s\" is not one of %s", key, value, allowed);
}

/* Set a string key that may be unset: an empty value means NULL. */
static int
set_optional(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (replace_str(field, value[0] ? value : NULL) != 0)
		return fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a string key that has a default and must not be empty. */
static int
set_nonempty(char **field, const char *key, const char *value,
			 char *err, size_t errlen)
{
	if (value[0] == '\0')
		return fail(err, errlen, "%s: must not be empty", key);
	if (replace_str(field, value) != 0)
		return fail(err, errlen, "%s: out of memory", key);
	return 0;
}

/* Set a PostgreSQL object name: 1 to 63 bytes. */
static int
set_name(char **field, const char *key, const char *value,
		 char *err, size_t errlen)
{
	if (value[0] == '\0' || strlen(value) > CONFIG_NAME_MAX)
		return fail(err, errlen, "%s: \"%s\" is not a name of 1 to %d bytes",
					key, value, CONFIG_NAME_MAX);
	return set_nonempty(field, key, value, err, errlen);
}

/*
 * Set a secret key (an empty value unsets it); *from records the key, or
 * NULL when unset.  The old value is wiped.
 */
static int
set_secret(char **field, const char **from, const char *key, const char *value,
		   char *err, size_t errlen)
{
	char	   *old = *field;

	*field = NULL;
	*from = NULL;
	free_secret(old);
	if (value[0] == '\0')
		return 0;
	if ((*field = strdup(value)) == NULL)
		return fail(err, errlen, "%s: out of memory", key);
	*from = key;
	return 0;
}

/* Whether s is a valid replication slot name: 1-63 of [a-z0-9_]. */
static int
valid_slot_name(const char *s)
{
	size_t		n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
			  s[n] == '_'))
			return 0;
	return n >= 1 && n <= CONFIG_NAME_MAX;
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
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (config_keys[i].def != NULL)
			/* only out of memory can fail: config_finish() reports the NULL */
			(void) config_set(c, config_keys[i].name, config_keys[i].def, err, sizeof(err));
}

/* Release all *c owns, wiping the password; *c is left zeroed. */
void
config_free(struct config *c)
{
	free(c->hostname);
	free(c->user);
	free_secret(c->password);
	free(c->password_file);
	free(c->dbname);
	free(c->sslmode);
	free(c->sslrootcert);
	free(c->sslcert);
	free(c->sslkey);
	free(c->ssh_host);
	free(c->ssh_user);
	free(c->ssh_key_file);
	free_secret(c->ssh_passphrase);
	free(c->ssh_passphrase_file);
	free(c->ssh_known_hosts);
	for (int i = 0; i < CONFIG_NKEYS; i++)
		free(c->text[i]);
	free(c->slot_name);
	free(c->publication_name);
	free(c->signal_schema);
	free(c->topic_prefix);
	patterns_free(&c->table_include);
	patterns_free(&c->table_exclude);
	patterns_free(&c->schema_include);
	patterns_free(&c->schema_exclude);
	patterns_free(&c->file_tables);
	patterns_free(&c->file_schemas);
	free(c->table_include_file);
	free(c->unavailable_placeholder);
	free(c->sink_file_path);
	free(c->offset_file);
	free(c->heartbeat_query);
	free(c->heartbeat_prefix);
	key_rules_free(c->key_rules, c->nkey_rules);
	for (int i = 0; i < c->nkafka; i++)
	{
		free(c->kafka_keys[i]);
		free_secret(c->kafka_values[i]);
	}
	free(c->kafka_keys);
	free(c->kafka_values);
	memset(c, 0, sizeof(*c));
}

static void
key_rules_free(struct config_key_rule *r, int n)
{
	for (int i = 0; i < n; i++)
	{
		patterns_free(&r[i].pat);
		for (int j = 0; j < r[i].ncols; j++)
			free(r[i].cols[j]);
		free(r[i].cols);
	}
	free(r);
}

/*
 * message.key.columns, as Debezium writes it: rules separated by ';',
 * each "<schema.table regex>:<column>[,<column>...]" (the regex ends at
 * the last ':').  An empty value unsets it.
 */
static int
set_key_rules(struct config *c, const char *key, const char *value,
			  char *err, size_t errlen)
{
	struct config_key_rule *rules = NULL;
	int			n = 0;
	char	   *copy = strdup(value);
	char	   *save = NULL;

	if (copy == NULL)
		return fail(err, errlen, "%s: out of memory", key);
	for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save))
	{
		char	   *colon = strrchr(item, ':');
		struct strlist re = {NULL, 0, 0},
					cols = {NULL, 0, 0};
		struct config_key_rule *nr;
		size_t		relen;
		char	   *r = item;

		while (isspace((unsigned char) *r))
			r++;
		if (*r == '\0')
			continue;
		relen = colon ? (size_t) (colon - r) : 0;
		while (relen > 0 && isspace((unsigned char) r[relen - 1]))
			relen--;
		if (colon == NULL || relen == 0 || split_list(colon + 1, &cols) != 0 || cols.n == 0)
		{
			strlist_free(&cols);
			key_rules_free(rules, n);
			fail(err, errlen, "%s: \"%s\" is not <schema.table regex>:<column>[,<column>...]", key, r);
			free(copy);
			return -1;
		}
		nr = realloc(rules, sizeof(*rules) * (size_t) (n + 1));
		if (nr == NULL || strlist_add(&re, r, relen) != 0)
		{
			if (nr)
				rules = nr;
			strlist_free(&cols);
			strlist_free(&re);
			key_rules_free(rules, n);
			free(copy);
			return fail(err, errlen, "%s: out of memory", key);
		}
		rules = nr;
		memset(&rules[n], 0, sizeof(rules[n]));
		if (patterns_compile(key, &re, &rules[n].pat, err, errlen) != 0)
		{
			strlist_free(&cols);
			strlist_free(&re);
			key_rules_free(rules, n);
			free(copy);
			return -1;
		}
		strlist_free(&re);
		rules[n].cols = cols.v;
		rules[n].ncols = cols.n;
		n++;
	}
	free(copy);
	key_rules_free(c->key_rules, c->nkey_rules);
	c->key_rules = rules;
	c->nkey_rules = n;
	return 0;
}

const struct config_key_rule *
config_key_columns(const struct config *c, const char *schema, const char *table)
{
	char		full[2 * 64 + 2];

	if (c->nkey_rules == 0)
		return NULL;
	snprintf(full, sizeof(full), "%s.%s", schema, table);
	for (int i = 0; i < c->nkey_rules; i++)
		if (patterns_match(&c->key_rules[i].pat, full))
			return &c->key_rules[i];
	return NULL;
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
	const char *name = key + 6;
	char	   *v;
	char	  **nk, **nv;

	if (name[0] == '\0')
		return fail(err, errlen, "%s: a librdkafka property name must follow \"kafka.\"", key);
	if ((v = strdup(value)) == NULL)
		return fail(err, errlen, "%s: out of memory", key);
	for (int i = 0; i < c->nkafka; i++)
		if (strcmp(c->kafka_keys[i], name) == 0)
		{
			free_secret(c->kafka_values[i]);
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
		free_secret(v);
		return fail(err, errlen, "%s: out of memory", key);
	}
	nv[c->nkafka++] = v;
	return 0;
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

int
config_kafka_secret(const char *name)
{
	return strstr(name, "password") != NULL || strstr(name, "secret") != NULL ||
		strcmp(name, "ssl.key.pem") == 0 || strcmp(name, "sasl.oauthbearer.config") == 0;
}

int
config_is_secret(const char *key)
{
	size_t		len = strlen(key);

	if (strcmp(key, "database.password") == 0 || strcmp(key, "ssh.private.key.passphrase") == 0)
		return 1;
	/* kafka.sasl.password.file names a file: a path, not a secret */
	if (len > 5 && strcmp(key + len - 5, ".file") == 0)
		return 0;
	return strncmp(key, "kafka.", 6) == 0 && config_kafka_secret(key + 6);
}

/* Validate value and store it in the field of key k. */
static int
set_key(struct config *c, const struct config_key *k, const char *value,
		char *err, size_t errlen)
{
	const char *key = k->name;
	int64_t		v;
	int			i;

	switch (k->id)
	{
		case KEY_HOSTNAME:
			return set_nonempty(&c->hostname, key, value, err, errlen);
		case KEY_PORT:
			if (parse_int(value, 1, 65535, &v) != 0)
				return fail(err, errlen,
							"%s: \"%s\" is not a port number (1-65535)",
							key, value);
			c->port = (int) v;
			return 0;
		case KEY_USER:
			return set_optional(&c->user, key, value, err, errlen);
		case KEY_PASSWORD:
			return set_secret(&c->password, &c->password_from, key, value, err, errlen);
		case KEY_PASSWORD_FILE:
			return set_optional(&c->password_file, key, value, err, errlen);
		case KEY_DBNAME:
			return set_optional(&c->dbname, key, value, err, errlen);
		case KEY_SSLMODE:
			if ((i = choose(sslmodes, key, value, err, errlen)) < 0)
				return -1;
			return set_nonempty(&c->sslmode, key, sslmodes[i], err, errlen);
		case KEY_SSLROOTCERT:
			return set_optional(&c->sslrootcert, key, value, err, errlen);
		case KEY_SSLCERT:
			return set_optional(&c->sslcert, key, value, err, errlen);
		case KEY_SSLKEY:
			return set_optional(&c->sslkey, key, value, err, errlen);
		case KEY_SLOT_NAME:
			if (!valid_slot_name(value))
				return fail(err, errlen,
							"%s: \"%s\" is not a valid replication slot name "
							"(1-63 characters of a-z, 0-9 and _)", key, value);
			return set_nonempty(&c->slot_name, key, value, err, errlen);
		case KEY_PUBLICATION_NAME:
			return set_name(&c->publication_name, key, value, err, errlen);
		case KEY_SIGNAL_SCHEMA:
			return set_name(&c->signal_schema, key, value, err, errlen);
		case KEY_TOPIC_PREFIX:
			if (set_optional(&c->topic_prefix, key, value, err, errlen) != 0)
				return -1;
			c->topic_prefix_set = c->topic_prefix != NULL;
			return 0;
		case KEY_TABLE_INCLUDE:
			return set_patterns(&c->table_include, key, value, err, errlen);
		case KEY_TABLE_EXCLUDE:
			return set_patterns(&c->table_exclude, key, value, err, errlen);
		case KEY_SCHEMA_INCLUDE:
			return set_patterns(&c->schema_include, key, value, err, errlen);
		case KEY_SCHEMA_EXCLUDE:
			return set_patterns(&c->schema_exclude, key, value, err, errlen);
		case KEY_TABLE_INCLUDE_FILE:
			return set_optional(&c->table_include_file, key, value, err, errlen);
		case KEY_BINARY_MODE:
			if ((i = choose(binary_modes, key, value, err, errlen)) < 0)
				return -1;
			c->conv.binary = (enum convert_binary_mode) i;
			return 0;
		case KEY_DECIMAL_MODE:
			if ((i = choose(decimal_modes, key, value, err, errlen)) < 0)
				return -1;
			c->conv.decimal = (enum convert_decimal_mode) i;
			return 0;
		case KEY_TIME_MODE:
			if ((i = choose(time_modes, key, value, err, errlen)) < 0)
				return -1;
			c->conv.time = (enum convert_time_mode) i;
			return 0;
		case KEY_INTERVAL_MODE:
			if ((i = choose(interval_modes, key, value, err, errlen)) < 0)
				return -1;
			c->conv.interval = (enum convert_interval_mode) i;
			return 0;
		case KEY_HSTORE_MODE:
			if ((i = choose(hstore_modes, key, value, err, errlen)) < 0)
				return -1;
			c->conv.hstore = (enum convert_hstore_mode) i;
			return 0;
		case KEY_PLACEHOLDER:
			if (replace_str(&c->unavailable_placeholder, value) != 0)
				return fail(err, errlen, "%s: out of memory", key);
			return 0;
		case KEY_STATUS_INTERVAL:
			return set_int(&c->status_interval_ms, key, value, 1, 3600000,
						   err, errlen);
		case KEY_SINK_TYPE:
			if ((i = choose(sink_types, key, value, err, errlen)) < 0)
				return -1;
			c->sink = (enum config_sink) i;
			return 0;
		case KEY_SINK_FILE_PATH:
			return set_optional(&c->sink_file_path, key, value, err, errlen);
		case KEY_OFFSET_FILE:
			return set_nonempty(&c->offset_file, key, value, err, errlen);
		case KEY_BACKOFF_INITIAL:
			return set_int(&c->backoff_initial_ms, key, value, 1, 3600000,
						   err, errlen);
		case KEY_BACKOFF_MAX:
			return set_int(&c->backoff_max_ms, key, value, 1, 3600000,
						   err, errlen);
		case KEY_MAX_ATTEMPTS:
			return set_int(&c->max_attempts, key, value, 0, 2147483647,
						   err, errlen);
		case KEY_LOG_LEVEL:
			if ((i = log_parse_level(value)) < 0)
				return choose(log_levels, key, value, err, errlen);
			c->log_level = i;
			return 0;
		case KEY_SNAPSHOT_MODE:
			if ((i = choose(snapshot_modes, key, value, err, errlen)) < 0)
				return -1;
			c->snapshot_mode = (enum config_snapshot_mode) i;
			return 0;
		case KEY_CHUNK_SIZE:
			return set_int(&c->chunk_size, key, value, 1, 1000000, err, errlen);
		case KEY_WATERMARKING:
			if ((i = choose(watermarkings, key, value, err, errlen)) < 0)
				return -1;
			c->watermark_delete = i;
			return 0;
		case KEY_SLOT_FAILOVER:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->slot_failover = i;
			return 0;
		case KEY_READ_ONLY:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->read_only = i;
			return 0;
		case KEY_NEW_TABLES:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->snapshot_new_tables = i;
			return 0;
		case KEY_TOMBSTONES:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->tombstones = i;
			return 0;
		case KEY_KAFKA_FLUSH:
			return set_int(&c->kafka_flush_ms, key, value, 0, 3600000, err, errlen);
		case KEY_HB_INTERVAL:
			return set_int(&c->heartbeat_ms, key, value, 0, 86400000, err, errlen);
		case KEY_CONFIRM_IDLE:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->confirm_idle = i;
			return 0;
		case KEY_CONNECT_TIMEOUT:
			return set_int(&c->connect_timeout_ms, key, value, 1000, 3600000, err, errlen);
		case KEY_KEEPALIVE_IDLE:
			return set_int(&c->keepalive_idle_ms, key, value, 1000, 86400000, err, errlen);
		case KEY_KEEPALIVE_INTERVAL:
			return set_int(&c->keepalive_interval_ms, key, value, 1000, 86400000, err, errlen);
		case KEY_KEEPALIVE_COUNT:
			return set_int(&c->keepalive_count, key, value, 1, 127, err, errlen);
		case KEY_TCP_USER_TIMEOUT:
			return set_int(&c->tcp_user_timeout_ms, key, value, 0, 86400000, err, errlen);
		case KEY_RECEIVE_TIMEOUT:
			return set_int(&c->receive_timeout_ms, key, value, 0, 86400000, err, errlen);
		case KEY_WAL_WARN:
			return set_int(&c->wal_warn_bytes, key, value, 0, INT64_MAX, err, errlen);
		case KEY_WAL_CHECK:
			return set_int(&c->wal_check_ms, key, value, 100, 86400000, err, errlen);
		case KEY_HB_QUERY:
			return set_optional(&c->heartbeat_query, key, value, err, errlen);
		case KEY_HB_MESSAGE:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->heartbeat_message = i;
			return 0;
		case KEY_HB_EVENTS:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->heartbeat_events = i;
			return 0;
		case KEY_HB_PREFIX:
			return set_nonempty(&c->heartbeat_prefix, key, value, err, errlen);
		case KEY_KEY_COLUMNS:
			return set_key_rules(c, key, value, err, errlen);
		case KEY_KEY_SCHEMAS:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->key_schemas = i;
			return 0;
		case KEY_VALUE_SCHEMAS:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->value_schemas = i;
			return 0;
		case KEY_SSH_ENABLED:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->ssh_enabled = i;
			return 0;
		case KEY_SSH_HOST:
			return set_optional(&c->ssh_host, key, value, err, errlen);
		case KEY_SSH_PORT:
			if (parse_int(value, 1, 65535, &v) != 0)
				return fail(err, errlen, "%s: \"%s\" is not a port number (1-65535)",
							key, value);
			c->ssh_port = (int) v;
			return 0;
		case KEY_SSH_USER:
			return set_optional(&c->ssh_user, key, value, err, errlen);
		case KEY_SSH_KEY_FILE:
			return set_optional(&c->ssh_key_file, key, value, err, errlen);
		case KEY_SSH_PASSPHRASE:
			return set_secret(&c->ssh_passphrase, &c->ssh_passphrase_from, key, value, err, errlen);
		case KEY_SSH_PASSPHRASE_FILE:
			return set_optional(&c->ssh_passphrase_file, key, value, err, errlen);
		case KEY_SSH_KNOWN_HOSTS:
			return set_nonempty(&c->ssh_known_hosts, key, value, err, errlen);
		case KEY_SSH_HOST_KEY_CHECK:
			if ((i = choose(booleans, key, value, err, errlen)) < 0)
				return -1;
			c->ssh_host_key_check = i;
			return 0;
		case KEY_COUNT:
			break;
	}
	return fail(err, errlen, "unknown key \"%s\"", key);
}

/*
 * Validate and store one key.  A failed set leaves the key's previous
 * value in place.  The message names the key, never a secret.
 */
int
config_set(struct config *c, const char *key, const char *value,
		   char *err, size_t errlen)
{
	const struct config_key *k = NULL;
	char	   *text;

	for (size_t j = 0; j < sizeof(config_keys) / sizeof(config_keys[0]); j++)
		if (strcmp(key, config_keys[j].name) == 0)
			k = &config_keys[j];
	if (k == NULL && strncmp(key, "kafka.", 6) == 0)
		return set_kafka(c, key, value, err, errlen);
	if (k == NULL)
	{
		if (strcmp(key, "signal.data.collection") == 0 ||
			strcmp(key, "signal.table") == 0)
			return fail(err, errlen,
						"%s: cannot be set: the signal table must be named "
						CONFIG_SIGNAL_TABLE " and is always "
						"<signal.schema>." CONFIG_SIGNAL_TABLE
						"; set signal.schema to choose its schema", key);
		return fail(err, errlen, "unknown key \"%s\"", key);
	}
	if (set_key(c, k, value, err, errlen) != 0)
		return -1;
	if (config_is_secret(key))
		return 0;				/* config_print shows where it came from instead */
	if ((text = strdup(value)) == NULL)
		return fail(err, errlen, "%s: out of memory", key);
	free(c->text[k->id]);
	c->text[k->id] = text;
	return 0;
}

/* Trim blanks off s[0..*len); returns the new start, *len the new length. */
static char *
trim(char *s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char) *s))
		s++, (*len)--;
	while (*len > 0 && isspace((unsigned char) s[*len - 1]))
		(*len)--;
	s[*len] = '\0';
	return s;
}

/* Whether key is made only of the characters keys are made of. */
static int
valid_key_chars(const char *key)
{
	for (; *key; key++)
		if (!isalnum((unsigned char) *key) && *key != '.' && *key != '_' &&
			*key != '-')
			return 0;
	return 1;
}

/*
 * Split the key=value text in line (modified in place) and set it.  The
 * message, on failure, has no location; it never quotes a malformed line,
 * which may hold a password.
 */
static int
apply_line(struct config *c, char *line, size_t len, char *msg, size_t msglen)
{
	char	   *eq = memchr(line, '=', len);
	char	   *key;
	char	   *value;
	size_t		klen;
	size_t		vlen;

	if (eq == NULL)
		return fail(msg, msglen, "expected key=value");
	klen = (size_t) (eq - line);
	vlen = len - klen - 1;
	key = trim(line, &klen);
	value = trim(eq + 1, &vlen);
	if (klen == 0)
		return fail(msg, msglen, "expected key=value, found no key before '='");
	if (!valid_key_chars(key))
		return fail(msg, msglen,
					"expected key=value with a key of letters, digits, '.', '_' and '-'");
	return config_set(c, key, value, msg, msglen);
}

/* Apply each line of path in order; stops at the first bad line. */
int
config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	int			lineno = 0;
	int			rc = 0;
	char		msg[1024];

	if ((f = fopen(path, "r")) == NULL)
		return fail(err, errlen, "config: cannot open \"%s\": %s",
					path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0)
	{
		char	   *s = line;
		size_t		len = (size_t) n;

		lineno++;
		if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, len -= 3;	/* a UTF-8 byte order mark */
		if (memchr(s, '\0', len) != NULL)
		{
			rc = fail(err, errlen, "config: %s:%d: line contains a NUL byte",
					  path, lineno);
			break;
		}
		s = trim(s, &len);
		if (len == 0 || s[0] == '#' || s[0] == '!')
			continue;
		if (apply_line(c, s, len, msg, sizeof(msg)) != 0)
		{
			rc = fail(err, errlen, "config: %s:%d: %s", path, lineno, msg);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = fail(err, errlen, "config: error reading \"%s\": %s",
				  path, strerror(errno));
	if (line != NULL)
		wipe(line, cap);		/* it may have held the password */
	free(line);
	fclose(f);
	return rc;
}

/* One --set argument: key=value split at the first '='. */
int
config_set_arg(struct config *c, const char *arg, char *err, size_t errlen)
{
	size_t		len = strlen(arg);
	char	   *copy = malloc(len + 1);
	char		msg[1024];
	int			rc;

	if (copy == NULL)
		return fail(err, errlen, "config: --set: out of memory");
	memcpy(copy, arg, len + 1);
	rc = apply_line(c, copy, len, msg, sizeof(msg));
	wipe(copy, len);
	free(copy);
	if (rc != 0)
		return fail(err, errlen, "config: --set: %s", msg);
	return 0;
}

/*
 * Read a secret from path into *out (malloc'd): the whole file, trailing
 * CR/LF removed; it must be one non-empty line.  key names the *.file key
 * in messages, which never include the file's contents; the copy on the
 * stack is wiped.
 */
static int
read_secret_file(const char *key, const char *path, char **out, char *err, size_t errlen)
{
	char		data[CONFIG_PASSWORD_MAX + 3];	/* two line-end bytes, NUL */
	size_t		len;
	int			more;
	FILE	   *f;
	int			rc;

	if ((f = fopen(path, "r")) == NULL)
		return fail(err, errlen, "%s: cannot open \"%s\": %s",
					key, path, strerror(errno));
	len = fread(data, 1, sizeof(data) - 1, f);
	more = len == sizeof(data) - 1 && fgetc(f) != EOF;
	if (ferror(f))
	{
		rc = fail(err, errlen, "%s: error reading \"%s\": %s",
				  key, path, strerror(errno));
		fclose(f);
		wipe(data, sizeof(data));
		return rc;
	}
	fclose(f);
	data[len] = '\0';
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';

	if (more || len > CONFIG_PASSWORD_MAX)
		rc = fail(err, errlen, "%s: \"%s\" is longer than %d bytes",
				  key, path, CONFIG_PASSWORD_MAX);
	else if (len == 0)
		rc = fail(err, errlen, "%s: \"%s\" is empty", key, path);
	else if (memchr(data, '\0', len) != NULL || memchr(data, '\n', len) != NULL ||
			 memchr(data, '\r', len) != NULL)
		rc = fail(err, errlen,
				  "%s: \"%s\" must hold the secret alone on one line", key, path);
	else if ((*out = strdup(data)) == NULL)
		rc = fail(err, errlen, "%s: out of memory", key);
	else
		rc = 0;
	wipe(data, sizeof(data));
	return rc;
}

/*
 * A secret that its key did not give: from its file key (file, named
 * file_key), else from the environment variable env.  *from records the
 * source.
 */
static int
secret_fallback(char **field, const char **from, const char *file_key, const char *file,
				const char *env, char *err, size_t errlen)
{
	const char *v;

	if (*field != NULL)
		return 0;
	if (file != NULL)
	{
		if (read_secret_file(file_key, file, field, err, errlen) != 0)
			return -1;
		*from = file_key;
	}
	else if ((v = getenv(env)) != NULL && v[0] != '\0')
	{
		if ((*field = strdup(v)) == NULL)
			return fail(err, errlen, "%s: out of memory", env);
		*from = env;
	}
	return 0;
}

/* librdkafka secrets that may come from WALCAP_KAFKA_<NAME> as well. */
static const char *const kafka_env_secrets[] = {
	"sasl.password", "ssl.key.password", "ssl.keystore.password",
	"sasl.oauthbearer.client.secret", NULL
};

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
		if (read_secret_file(key, c->kafka_values[i], &value, err, errlen) != 0)
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
		free_secret(value);
		if (rc != 0)
			return -1;
	}
	for (int i = 0; kafka_env_secrets[i] != NULL; i++)
	{
		char		env[96];
		char		key[96];
		const char *v;
		size_t		n = (size_t) snprintf(env, sizeof(env), "WALCAP_KAFKA_");

		for (const char *p = kafka_env_secrets[i]; *p && n + 1 < sizeof(env); p++)
			env[n++] = *p == '.' ? '_' : (char) toupper((unsigned char) *p);
		env[n] = '\0';
		if (kafka_value(c, kafka_env_secrets[i]) != NULL ||
			(v = getenv(env)) == NULL || v[0] == '\0')
			continue;
		snprintf(key, sizeof(key), "kafka.%s", kafka_env_secrets[i]);
		if (set_kafka(c, key, v, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/*
 * Parse one row of the include-list CSV into its single field (*out,
 * malloc'd).  Returns 1 for a field, 0 for a blank row, -1 with a
 * message without location.  RFC 4180 quoting: a field may be enclosed
 * in double quotes, "" inside them is one quote; blanks around a field
 * are ignored.
 */
static int
csv_row(const char *line, char **out, char *msg, size_t msglen)
{
	struct buf	field;
	const char *p = line;
	int			nfields = 0;

	*out = NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	buf_init(&field, 0);
	for (;;)
	{
		struct buf *dst = nfields == 0 ? &field : NULL;

		nfields++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"')
		{
			for (p++;; p++)
			{
				if (*p == '\0')
				{
					buf_free(&field);
					return fail(msg, msglen, "unterminated quoted field");
				}
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (dst)
					buf_putc(dst, *p);
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0')
			{
				buf_free(&field);
				return fail(msg, msglen, "unexpected character after a closing quote");
			}
		}
		else
		{
			const char *start = p;
			size_t		len;

			while (*p != ',' && *p != '\0')
			{
				if (*p == '"')
				{
					buf_free(&field);
					return fail(msg, msglen, "a quote inside an unquoted field");
				}
				p++;
			}
			len = (size_t) (p - start);
			while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
				len--;
			if (dst)
				buf_append(dst, start, len);
		}
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	if (nfields > 1)
	{
		buf_free(&field);
		return fail(msg, msglen,
					"expected one field (schema or schema.table) per row, found %d",
					nfields);
	}
	/* an empty field never grew the buffer: buf_take() would not terminate it */
	*out = field.len > 0 ? buf_take(&field) : strdup("");
	buf_free(&field);
	if (*out == NULL)
		return fail(msg, msglen, "out of memory");
	return 1;
}

/* Append to b the regular expression that matches s literally. */
static void
regex_escape(struct buf *b, const char *s)
{
	for (; *s; s++)
	{
		if (strchr("\\.[]()*+?{}|^$", *s) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

/*
 * Read table.include.list.file into c->file_tables (rows with a dot,
 * matched against "schema.table") and c->file_schemas (bare schema rows,
 * matched against the schema), each row a literal name.
 */
static int
read_include_file(struct config *c, char *err, size_t errlen)
{
	const char *key = "table.include.list.file";
	const char *path = c->table_include_file;
	struct strlist tables = {NULL, 0, 0};
	struct strlist schemas = {NULL, 0, 0};
	struct buf	re;
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		n;
	int			lineno = 0;
	int			rc = 0;
	char		msg[512];

	if ((f = fopen(path, "r")) == NULL)
		return fail(err, errlen, "%s: cannot open \"%s\": %s",
					key, path, strerror(errno));
	buf_init(&re, 0);
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0)
	{
		char	   *s = line;
		size_t		len = (size_t) n;
		char	   *name;
		int			r;

		lineno++;
		if (lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, len -= 3;	/* spreadsheets write a byte order mark */
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		if (memchr(s, '\0', len) != NULL)
		{
			rc = fail(err, errlen, "%s: %s:%d: row contains a NUL byte",
					  key, path, lineno);
			break;
		}
		r = csv_row(s, &name, msg, sizeof(msg));
		if (r < 0)
			rc = fail(err, errlen, "%s: %s:%d: %s", key, path, lineno, msg);
		if (r <= 0)
			continue;
		if (name[0] == '\0' || name[0] == '.' || name[strlen(name) - 1] == '.' ||
			strstr(name, "..") != NULL)
			rc = fail(err, errlen,
					  "%s: %s:%d: \"%s\" is not a schema or schema.table name",
					  key, path, lineno, name);
		else
		{
			buf_reset(&re);
			regex_escape(&re, name);
			if (buf_failed(&re) ||
				strlist_add(strchr(name, '.') ? &tables : &schemas,
							re.data, re.len) != 0)
				rc = fail(err, errlen, "%s: out of memory", key);
		}
		free(name);
	}
	if (rc == 0 && ferror(f))
		rc = fail(err, errlen, "%s: error reading \"%s\": %s",
				  key, path, strerror(errno));
	if (rc == 0 && tables.n == 0 && schemas.n == 0)
		rc = fail(err, errlen, "%s: \"%s\" has no rows (one schema or "
				  "schema.table per row)", key, path);
	free(line);
	fclose(f);
	buf_free(&re);

	patterns_free(&c->file_tables);
	patterns_free(&c->file_schemas);
	if (rc == 0)
		rc = patterns_compile(key, &tables, &c->file_tables, err, errlen);
	if (rc == 0)
		rc = patterns_compile(key, &schemas, &c->file_schemas, err, errlen);
	strlist_free(&tables);
	strlist_free(&schemas);
	return rc;
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
		return fail(err, errlen,
					"ssh.enabled is true: set ssh.host, ssh.user and ssh.private.key.file (the bastion, the user to log in as and its private key)");
	if (c->hostname[0] == '/')
		return fail(err, errlen,
					"ssh.enabled is true but database.hostname \"%s\" is a Unix-domain socket directory: give the database's host name or address as the bastion sees it",
					c->hostname);
	if (c->ssh_known_hosts == NULL)
		return fail(err, errlen, "config: out of memory");
	if (strncmp(c->ssh_known_hosts, "~/", 2) != 0)
		return 0;
	if ((home = getenv("HOME")) == NULL || home[0] == '\0')
		return fail(err, errlen,
					"ssh.known.hosts.file: \"%s\" needs $HOME, which is not set; give an absolute path",
					c->ssh_known_hosts);
	if ((path = malloc(strlen(home) + strlen(c->ssh_known_hosts))) == NULL)
		return fail(err, errlen, "ssh.known.hosts.file: out of memory");
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
		return fail(err, errlen, "config: out of memory");
	if (c->heartbeat_ms == 0 && (c->heartbeat_query || c->heartbeat_message || c->heartbeat_events))
		return fail(err, errlen,
					"heartbeat.interval.ms is 0 (off): set it to use heartbeat.action.query, heartbeat.logical.message or heartbeat.events");

	if (c->user == NULL)
		return fail(err, errlen,
					"database.user is required (the PostgreSQL user to connect as)");
	if (c->dbname == NULL)
		return fail(err, errlen,
					"database.dbname is required (the database to capture changes from)");
	if (c->sink == CONFIG_SINK_FILE && c->sink_file_path == NULL)
		return fail(err, errlen,
					"sink.file.path is required when sink.type is file");
	if (c->backoff_max_ms < c->backoff_initial_ms)
		return fail(err, errlen,
					"connect.backoff.max.ms: %lld is less than "
					"connect.backoff.initial.ms (%lld)",
					(long long) c->backoff_max_ms,
					(long long) c->backoff_initial_ms);

	/* Debezium accepts only one of each include/exclude pair */
	if (c->table_include.n > 0 && c->table_exclude.n > 0)
		return fail(err, errlen,
					"table.include.list and table.exclude.list cannot both be set");
	if (c->table_include_file != NULL && c->table_exclude.n > 0)
		return fail(err, errlen,
					"table.include.list.file and table.exclude.list cannot both be set");
	if (c->schema_include.n > 0 && c->schema_exclude.n > 0)
		return fail(err, errlen,
					"schema.include.list and schema.exclude.list cannot both be set");

	if (!c->topic_prefix_set)
	{
		free(c->topic_prefix);
		if ((c->topic_prefix = strdup(c->dbname)) == NULL)
			return fail(err, errlen, "topic.prefix: out of memory");
	}

	/* secrets: the key, else its file, else the environment (else libpq's) */
	if (secret_fallback(&c->password, &c->password_from, "database.password.file",
						c->password_file, CONFIG_PASSWORD_ENV, err, errlen) != 0 ||
		secret_fallback(&c->ssh_passphrase, &c->ssh_passphrase_from,
						"ssh.private.key.passphrase.file", c->ssh_passphrase_file,
						CONFIG_SSH_PASSPHRASE_ENV, err, errlen) != 0)
		return -1;
	if (c->sink == CONFIG_SINK_KAFKA && kafka_secrets(c, err, errlen) != 0)
		return -1;
	if (finish_ssh(c, err, errlen) != 0)
		return -1;

	patterns_free(&c->file_tables);
	patterns_free(&c->file_schemas);
	if (c->table_include_file != NULL &&
		read_include_file(c, err, errlen) != 0)
		return -1;
	return 0;
}

/* The rule of docs/config.md, "Which tables produce events". */
int
config_table_included(const struct config *c, const char *schema,
					  const char *table)
{
	char		stack[256];
	char	   *full = stack;
	size_t		slen = strlen(schema);
	size_t		tlen = strlen(table);
	int			included = 1;

	if (c->schema_include.n > 0 && !patterns_match(&c->schema_include, schema))
		return 0;
	if (c->schema_exclude.n > 0 && patterns_match(&c->schema_exclude, schema))
		return 0;

	if (slen + tlen + 2 > sizeof(stack) &&
		(full = malloc(slen + tlen + 2)) == NULL)
		return -1;
	memcpy(full, schema, slen);
	full[slen] = '.';
	memcpy(full + slen + 1, table, tlen + 1);

	if (c->table_include.n > 0 || c->file_tables.n > 0 || c->file_schemas.n > 0)
		included = patterns_match(&c->table_include, full) ||
			patterns_match(&c->file_tables, full) ||
			patterns_match(&c->file_schemas, schema);
	if (included && c->table_exclude.n > 0 &&
		patterns_match(&c->table_exclude, full))
		included = 0;

	if (full != stack)
		free(full);
	return included;
}

/* One "key = value" line of config_print; NULL value: unset. */
static void
print_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s =%s%s\n", key, value ? " " : "", value ? value : "");
}

/* A secret's line: masked, with where it came from. */
static void
print_secret(FILE *f, const char *key, const char *value, const char *from)
{
	if (value == NULL)
		fprintf(f, "%s =\n", key);
	else if (from == NULL || strcmp(from, key) == 0)
		fprintf(f, "%s = ********\n", key);
	else
		fprintf(f, "%s = ******** (from %s)\n", key, from);
}

void
config_print(const struct config *c, FILE *f)
{
	fprintf(f, "# walcap: the configuration in effect (secrets masked)\n");
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
	{
		const struct config_key *k = &config_keys[i];

		if (k->id == KEY_PASSWORD)
			print_secret(f, k->name, c->password, c->password_from);
		else if (k->id == KEY_SSH_PASSPHRASE)
			print_secret(f, k->name, c->ssh_passphrase, c->ssh_passphrase_from);
		else if (k->id == KEY_TOPIC_PREFIX)
			print_line(f, k->name, c->topic_prefix);	/* derived from database.dbname */
		else if (k->id == KEY_SSH_KNOWN_HOSTS)
			print_line(f, k->name, c->ssh_known_hosts);	/* ~/ expanded */
		else
			print_line(f, k->name, c->text[k->id]);
	}
	for (int i = 0; i < c->nkafka; i++)
	{
		if (config_kafka_secret(c->kafka_keys[i]))
			fprintf(f, "kafka.%s = ********\n", c->kafka_keys[i]);
		else
			fprintf(f, "kafka.%s = %s\n", c->kafka_keys[i], c->kafka_values[i]);
	}
}

/*
 * connect_config.c — Kafka Connect connector configurations as walcap
 * keys; see connect_config.h for the contract and docs/server.md,
 * "Connector configuration over the REST API", for every rule.
 *
 * Each key the client gives is looked up in rules[]: a framework or
 * Debezium key walcap understands is checked there and then dropped,
 * renamed, or passed on; a key no rule names is passed on unchanged, and
 * config_set() decides (walcap's own keys are accepted, anything else is
 * "unknown key").  A key is translated on its own (looking at the rest
 * of the configuration only to see whether a renamed key's new name is
 * also given), which lets connect_validate() attribute every message to
 * the key the client wrote.
 */
#include "connect_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "secret.h"

#define JSON_CONVERTER "org.apache.kafka.connect.json.JsonConverter"
#define SIMPLE_HEADER_CONVERTER "org.apache.kafka.connect.storage.SimpleHeaderConverter"

/* What a rule does with its key. */
enum rule_kind
{
	RK_NAME,					/* must equal the connector's name; dropped */
	RK_CLASS,					/* a connector class walcap is; dropped */
	RK_ONLY,					/* arg: the accepted values ('|'); dropped */
	RK_EMPTY,					/* accepted (and dropped) only when empty */
	RK_REFUSE,					/* refused whatever the value */
	RK_RENAME,					/* becomes arg, unless arg is also given */
	RK_DROP_BOOL,				/* true or false; dropped */
	RK_DROP_INT,				/* an integer; dropped */
	RK_SIGNAL,					/* <schema>.streamkap_signal -> signal.schema */
	RK_SNAPSHOT_MODE,			/* never -> no_data, else passed on */
	RK_PREFIX_RENAME,			/* prefix replaced by arg, unless that is given */
	RK_PREFIX_DROP,				/* dropped */
	RK_PREFIX_REFUSE,			/* refused */
};

/*
 * One key (or, for the RK_PREFIX_* kinds, every key starting with it).
 * why completes the message of a refusal: the reason, and what to do.
 */
struct rule
{
	const char *key;
	enum rule_kind kind;
	const char *arg;
	const char *why;
};

static const struct rule rules[] = {
	/* Kafka Connect's framework keys */
	{"name", RK_NAME, NULL, NULL},
	{"connector.class", RK_CLASS, NULL, NULL},
	{"tasks.max", RK_ONLY, "1",
	"a replication slot is read by one process, so a connector runs one task"},
	{"tasks.max.enforce", RK_DROP_BOOL, NULL, NULL},
	{"key.converter", RK_ONLY, JSON_CONVERTER,
	"walcap writes JSON; key.converter.schemas.enable says whether with schemas"},
	{"value.converter", RK_ONLY, JSON_CONVERTER,
	"walcap writes JSON; value.converter.schemas.enable says whether with schemas"},
	{"header.converter", RK_ONLY, SIMPLE_HEADER_CONVERTER,
	"walcap's messages carry no headers to convert"},
	{"config.action.reload", RK_ONLY, "restart|none",
	"walcap restarts a connector when its configuration is replaced"},
	{"errors.tolerance", RK_ONLY, "none",
	"walcap stops at an error it cannot retry and never skips an event"},
	{"errors.log.enable", RK_DROP_BOOL, NULL, NULL},
	{"errors.log.include.messages", RK_DROP_BOOL, NULL, NULL},
	{"errors.retry.timeout", RK_DROP_INT, NULL, NULL},
	{"errors.retry.delay.max.ms", RK_DROP_INT, NULL, NULL},
	{"predicates", RK_EMPTY, NULL,
	"predicates are not supported yet; remove predicates and the predicates.* keys"},
	{"exactly.once.support", RK_ONLY, "requested",
	"walcap delivers at least once (an event is sent again until Kafka acknowledges it)"},
	{"transaction.boundary", RK_ONLY, "poll",
	"walcap does not write Kafka transactions"},
	{"transaction.boundary.interval.ms", RK_DROP_INT, NULL, NULL},
	{"offsets.storage.topic", RK_REFUSE, NULL,
	"walcap keeps a connector's offsets in the server's state directory; remove the key"},

	/* Debezium's PostgreSQL connector keys */
	{"plugin.name", RK_ONLY, "pgoutput",
	"walcap decodes pgoutput, PostgreSQL's built-in logical decoding plugin"},
	{"database.server.name", RK_RENAME, "topic.prefix", NULL},
	{"heartbeat.topics.prefix", RK_RENAME, "topic.heartbeat.prefix", NULL},
	{"table.whitelist", RK_RENAME, "table.include.list", NULL},
	{"table.blacklist", RK_RENAME, "table.exclude.list", NULL},
	{"schema.whitelist", RK_RENAME, "schema.include.list", NULL},
	{"schema.blacklist", RK_RENAME, "schema.exclude.list", NULL},
	{"signal.data.collection", RK_SIGNAL, NULL, NULL},
	{"signal.enabled.channels", RK_ONLY, "source",
	"walcap reads signals from its signal table only"},
	{"snapshot.mode", RK_SNAPSHOT_MODE, NULL, NULL},
	{"publication.autocreate.mode", RK_ONLY, "disabled",
	"walcap never creates or changes the publication; create it with walcap setup --apply"},
	{"slot.drop.on.stop", RK_ONLY, "false",
	"walcap keeps its slot; drop it with pg_drop_replication_slot() when it is no longer needed"},
	{"include.unknown.datatypes", RK_REFUSE, NULL,
	"walcap writes a column of a type it does not know as its text; remove the key"},
	{"event.processing.failure.handling.mode", RK_ONLY, "fail",
	"walcap stops at an event it cannot process rather than skip it"},
	{"flush.lsn.source", RK_ONLY, "true",
	"walcap always confirms what it delivered to the slot"},
	{"database.tcpKeepAlive", RK_ONLY, "true",
	"walcap always uses TCP keepalives (connect.keepalive.*)"},
	{"topic.delimiter", RK_ONLY, ".",
	"walcap's topics are <topic.prefix>.<schema>.<table>"},
	{"slot.stream.params", RK_EMPTY, NULL,
	"walcap sets pgoutput's parameters itself"},
	{"converters", RK_EMPTY, NULL,
	"custom value converters are not supported"},
	{"column.propagate.source.type", RK_EMPTY, NULL,
	"walcap writes no __debezium.source.column.* schema parameters"},
	{"datatype.propagate.source.type", RK_EMPTY, NULL,
	"walcap writes no __debezium.source.column.* schema parameters"},
	{"max.batch.size", RK_DROP_INT, NULL, NULL},
	{"max.queue.size", RK_DROP_INT, NULL, NULL},
	{"max.queue.size.in.bytes", RK_DROP_INT, NULL, NULL},
	{"poll.interval.ms", RK_DROP_INT, NULL, NULL},
	{"snapshot.fetch.size", RK_DROP_INT, NULL, NULL},
	{"query.fetch.size", RK_DROP_INT, NULL, NULL},
	{"retriable.restart.connector.wait.ms", RK_REFUSE, NULL,
	"use connect.backoff.initial.ms and connect.backoff.max.ms"},
	{"errors.max.retries", RK_REFUSE, NULL, "use connect.max.attempts"},
	{"slot.max.retries", RK_REFUSE, NULL, "use connect.max.attempts"},
	{"slot.retry.delay.ms", RK_REFUSE, NULL,
	"use connect.backoff.initial.ms and connect.backoff.max.ms"},
	{"database.initial.statements", RK_REFUSE, NULL,
	"walcap runs no statements of yours when it connects; remove the key"},

	/* families, by prefix */
	{"producer.override.", RK_PREFIX_RENAME, CONFIG_KAFKA_PREFIX, NULL},
	{"predicates.", RK_PREFIX_DROP, NULL, NULL},
	{"topic.creation.", RK_PREFIX_REFUSE, NULL,
	"walcap does not create topics; create them beforehand or let the brokers create them (auto.create.topics.enable)"},
};

#define NRULES ((int) (sizeof(rules) / sizeof(rules[0])))

static int
is_prefix_rule(const struct rule *r)
{
	return r->kind >= RK_PREFIX_RENAME;
}

/* The rule for key, or NULL: exact names first, then prefixes. */
static const struct rule *
find_rule(const char *key)
{
	for (int i = 0; i < NRULES; i++)
		if (!is_prefix_rule(&rules[i]) && strcmp(key, rules[i].key) == 0)
			return &rules[i];
	for (int i = 0; i < NRULES; i++)
		if (is_prefix_rule(&rules[i]) &&
			strncmp(key, rules[i].key, strlen(rules[i].key)) == 0)
			return &rules[i];
	return NULL;
}

void
connect_config_init(struct connect_config *c)
{
	memset(c, 0, sizeof(*c));
}

void
connect_config_free(struct connect_config *c)
{
	/* any value may be a secret: wipe them all */
	for (int i = 0; i < c->n; i++)
	{
		free(c->kv[i].key);
		secret_free(c->kv[i].value);
	}
	free(c->kv);
	memset(c, 0, sizeof(*c));
}

int
connect_config_put(struct connect_config *c, const char *key, const char *value)
{
	char	   *k, *v;

	if (key == NULL || value == NULL || (v = strdup(value)) == NULL)
		return -1;
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0)
		{
			secret_free(c->kv[i].value);
			c->kv[i].value = v;
			return 0;
		}
	if (c->n == c->cap)
	{
		int			cap = c->cap ? c->cap * 2 : 16;
		struct connect_kv *kv = realloc(c->kv, sizeof(*kv) * (size_t) cap);

		if (kv == NULL)
		{
			secret_free(v);
			return -1;
		}
		c->kv = kv;
		c->cap = cap;
	}
	if ((k = strdup(key)) == NULL)
	{
		secret_free(v);
		return -1;
	}
	c->kv[c->n].key = k;
	c->kv[c->n].value = v;
	c->n++;
	return 0;
}

const char *
connect_config_get(const struct connect_config *c, const char *key)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0)
			return c->kv[i].value;
	return NULL;
}

/* Whether value is one of the '|'-separated values of list. */
static int
in_list(const char *value, const char *list)
{
	size_t		len = strlen(value);

	for (const char *p = list;;)
	{
		const char *bar = strchr(p, '|');
		size_t		n = bar ? (size_t) (bar - p) : strlen(p);

		if (n == len && strncmp(p, value, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* list's values quoted and joined with " or ", into out[outlen]. */
static void
format_list(const char *list, char *out, size_t outlen)
{
	size_t		used = 0;

	out[0] = '\0';
	for (const char *p = list; used < outlen;)
	{
		const char *bar = strchr(p, '|');
		int			n = bar ? (int) (bar - p) : (int) strlen(p);

		used += (size_t) snprintf(out + used, outlen - used, "%s\"%.*s\"",
								  p == list ? "" : " or ", n, p);
		if (bar == NULL)
			break;
		p = bar + 1;
	}
}

/* An optional '-' and decimal digits. */
static int
is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char) *s))
			return 0;
	return 1;
}

/*
 * The properties file the server writes knows keys made of these
 * characters only (config_file.c); a key with others could not be read
 * back as written.
 */
static int
check_key(const char *key, char *err, size_t errlen)
{
	if (key[0] == '\0')
		return errbuf_fail(err, errlen, "keys cannot be empty");
	for (const char *p = key; *p; p++)
		if (iscntrl((unsigned char) *p))
			return errbuf_fail(err, errlen, "keys cannot contain control characters");
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char) *p) && *p != '.' && *p != '_' && *p != '-')
			return errbuf_fail(err, errlen,
						"%s: keys are made of letters, digits, '.', '_' and '-'", key);
	return 0;
}

/*
 * signal.data.collection: Debezium names the signal table; walcap's is
 * always <signal.schema>.streamkap_signal, so only its schema can come
 * from here.
 */
static int
translate_signal(const struct connect_config *in, const char *key, const char *value,
				 struct connect_config *out, char *err, size_t errlen)
{
	const char *dot = strrchr(value, '.');
	const char *given = connect_config_get(in, "signal.schema");
	char	   *schema;
	int			rc;

	if (value[0] == '\0')
		return 0;				/* Debezium's default: no signal table named */
	if (dot == NULL || dot == value || strcmp(dot + 1, CONFIG_SIGNAL_TABLE) != 0)
		return errbuf_fail(err, errlen,
					"%s: \"%s\" is not supported: walcap's signal table is always "
					"<signal.schema>." CONFIG_SIGNAL_TABLE "; name <schema>."
					CONFIG_SIGNAL_TABLE " or set signal.schema", key, value);
	if ((schema = strndup(value, (size_t) (dot - value))) == NULL)
		return errbuf_fail(err, errlen, "%s: out of memory", key);
	if (given != NULL && strcmp(given, schema) != 0)
		rc = errbuf_fail(err, errlen,
						 "%s: \"%s\" is in schema \"%s\", but signal.schema is \"%s\"",
						 key, value, schema, given);
	else if (given != NULL)
		rc = 0;					/* signal.schema itself is passed on */
	else if (connect_config_put(out, "signal.schema", schema) != 0)
		rc = errbuf_fail(err, errlen, "%s: out of memory", key);
	else
		rc = 0;
	free(schema);
	return rc;
}

/*
 * One key of in, as walcap keys put into out: nothing (dropped), the
 * key itself, or what it is renamed to.
 */
static int
translate_key(const char *name, const struct connect_config *in,
			  const struct connect_kv *kv, struct connect_config *out,
			  char *err, size_t errlen)
{
	const char *key = kv->key;
	const char *value = kv->value;
	const struct rule *r;
	char		list[256];
	char		renamed[512];

	if (check_key(key, err, errlen) != 0)
		return -1;
	if (strpbrk(value, "\r\n") != NULL)
		return errbuf_fail(err, errlen, "%s: values cannot contain line breaks", key);
	if ((r = find_rule(key)) == NULL)
		goto pass;
	switch (r->kind)
	{
		case RK_NAME:
			if (name != NULL && strcmp(value, name) != 0)
				return errbuf_fail(err, errlen,
							"%s: \"%s\" does not match the connector's name \"%s\"",
							key, value, name);
			return 0;
		case RK_CLASS:
			if (strcmp(value, CONNECT_CLASS_DEBEZIUM) != 0 &&
				strcmp(value, CONNECT_CLASS_WALCAP) != 0)
				return errbuf_fail(err, errlen,
							"%s: \"%s\" is not supported: walcap is "
							CONNECT_CLASS_DEBEZIUM " (or " CONNECT_CLASS_WALCAP ")",
							key, value);
			return 0;
		case RK_ONLY:
			if (in_list(value, r->arg))
				return 0;
			format_list(r->arg, list, sizeof(list));
			return errbuf_fail(err, errlen, "%s: \"%s\" is not supported (only %s): %s",
						key, value, list, r->why);
		case RK_EMPTY:
			if (value[0] == '\0')
				return 0;
			return errbuf_fail(err, errlen, "%s: not supported: %s", key, r->why);
		case RK_REFUSE:
		case RK_PREFIX_REFUSE:
			return errbuf_fail(err, errlen, "%s: not supported: %s", key, r->why);
		case RK_RENAME:
			/* the new name, when also given, wins (as in Debezium 2) */
			if (connect_config_get(in, r->arg) != NULL)
				return 0;
			key = r->arg;
			goto pass;
		case RK_DROP_BOOL:
			if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
				return 0;
			return errbuf_fail(err, errlen, "%s: \"%s\" is not one of false, true",
						key, value);
		case RK_DROP_INT:
			if (is_integer(value))
				return 0;
			return errbuf_fail(err, errlen, "%s: \"%s\" is not an integer", key, value);
		case RK_SIGNAL:
			return translate_signal(in, key, value, out, err, errlen);
		case RK_SNAPSHOT_MODE:
			/* Debezium's former name of no_data */
			if (strcmp(value, "never") == 0)
				value = "no_data";
			goto pass;
		case RK_PREFIX_RENAME:
			snprintf(renamed, sizeof(renamed), "%s%s", r->arg, key + strlen(r->key));
			if (connect_config_get(in, renamed) != NULL)
				return 0;
			key = renamed;
			goto pass;
		case RK_PREFIX_DROP:
			return 0;
	}
pass:
	if (connect_config_put(out, key, value) != 0)
		return errbuf_fail(err, errlen, "%s: out of memory", kv->key);
	return 0;
}

/* Kafka Connect requires connector.class; walcap checks it is walcap. */
static int
check_class_given(const struct connect_config *in, char *err, size_t errlen)
{
	if (connect_config_get(in, "connector.class") == NULL)
		return errbuf_fail(err, errlen,
					"connector.class is required: " CONNECT_CLASS_DEBEZIUM
					" (or " CONNECT_CLASS_WALCAP ")");
	return 0;
}

int
connect_translate(const char *name, const struct connect_config *in,
				  struct connect_config *out, char *err, size_t errlen)
{
	if (check_class_given(in, err, errlen) != 0)
		return -1;
	for (int i = 0; i < in->n; i++)
		if (translate_key(name, in, &in->kv[i], out, err, errlen) != 0)
			return -1;
	return 0;
}

/*
 * Validation.  Verdicts are built in place; an allocation failure sets
 * oom and the caller throws everything away.
 */
struct vstate
{
	struct connect_verdicts *out;
	const char **walcap_key;	/* per verdict: the key it became, or NULL */
	int			oom;
};

static char *
dup_or_oom(struct vstate *s, const char *text)
{
	char	   *d;

	if (text == NULL)
		return NULL;
	if ((d = strdup(text)) == NULL)
		s->oom = 1;
	return d;
}

/* *slot becomes msg, or "<*slot>; msg" when it holds one already. */
static void
append_msg(struct vstate *s, char **slot, const char *msg)
{
	size_t		len;
	char	   *both;

	s->out->error_count++;
	if (*slot == NULL)
	{
		*slot = dup_or_oom(s, msg);
		return;
	}
	len = strlen(*slot) + 2 + strlen(msg) + 1;
	if ((both = malloc(len)) == NULL)
	{
		s->oom = 1;
		return;
	}
	snprintf(both, len, "%s; %s", *slot, msg);
	free(*slot);
	*slot = both;
}

/* Record msg as an error of verdict i. */
static void
add_error(struct vstate *s, int i, const char *msg)
{
	append_msg(s, &s->out->v[i].error, msg);
}

/* Record msg as an error that names no given key. */
static void
add_general(struct vstate *s, const char *msg)
{
	append_msg(s, &s->out->general, msg);
}

static int
key_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '-';
}

/*
 * Where msg names key as a word (not as part of a longer key), or -1.
 * A '.' right after it ends a sentence, not the key, unless a key
 * character follows.
 */
static long
names_key(const char *msg, const char *key)
{
	size_t		len = strlen(key);

	for (const char *p = strstr(msg, key); p != NULL; p = strstr(p + 1, key))
	{
		const char *e = p + len;

		if (p > msg && (key_char(p[-1]) || p[-1] == '.'))
			continue;
		if (key_char(*e) || (*e == '.' && key_char(e[1])))
			continue;
		return (long) (p - msg);
	}
	return -1;
}

/*
 * config_finish()'s message goes to the given key it names first (so to
 * the one it starts with, if any), else to no key.  A given key is named
 * by its own name or by the walcap key it became; on a tie the earlier
 * given key wins.
 */
static void
attribute_finish(struct vstate *s, int ngiven, const char *msg)
{
	int			best = -1;
	long		best_at = -1;

	for (int i = 0; i < ngiven; i++)
	{
		const char *names[2] = {s->out->v[i].key, s->walcap_key[i]};

		for (int j = 0; j < 2; j++)
		{
			long		at;

			if (names[j] == NULL || (at = names_key(msg, names[j])) < 0)
				continue;
			if (best < 0 || at < best_at)
			{
				best = i;
				best_at = at;
			}
		}
	}
	if (best >= 0)
		add_error(s, best, msg);
	else
		add_general(s, msg);
}

/*
 * config_set()'s message names walcap's key; for a renamed key, say the
 * client's name instead.
 */
static void
add_set_error(struct vstate *s, int i, const char *walcap_key, const char *msg)
{
	const char *given = s->out->v[i].key;
	size_t		wlen = strlen(walcap_key);
	char		text[1024];

	if (given != NULL && strcmp(given, walcap_key) != 0 &&
		strncmp(msg, walcap_key, wlen) == 0 &&
		(msg[wlen] == ':' || msg[wlen] == ' '))
	{
		snprintf(text, sizeof(text), "%s%s", given, msg + wlen);
		add_error(s, i, text);
	}
	else
		add_error(s, i, msg);
}

/*
 * The walcap key that config_finish() may name for a given key that was
 * renamed, or NULL (kafka.* keys it never names).  A static string.
 */
static const char *
renamed_to(const char *key)
{
	const struct rule *r = find_rule(key);

	if (r != NULL && r->kind == RK_RENAME)
		return r->arg;
	if (r != NULL && r->kind == RK_SIGNAL)
		return "signal.schema";
	return NULL;
}

void
connect_validate(const char *name, const struct connect_config *in,
				 const struct connect_config *defaults,
				 struct connect_verdicts *out)
{
	struct vstate s = {out, NULL, 0};
	struct config c;
	struct connect_config one;
	char		err[1024];
	int			class_missing = connect_config_get(in, "connector.class") == NULL;

	memset(out, 0, sizeof(*out));
	out->v = calloc((size_t) in->n + 1, sizeof(*out->v));
	s.walcap_key = calloc((size_t) in->n + 1, sizeof(*s.walcap_key));
	if (out->v == NULL || s.walcap_key == NULL)
	{
		free(s.walcap_key);
		connect_verdicts_free(out);
		out->error_count = -1;
		return;
	}

	config_init(&c);
	connect_config_init(&one);
	for (int i = 0; defaults != NULL && i < defaults->n; i++)
		if (config_set(&c, defaults->kv[i].key, defaults->kv[i].value, err, sizeof(err)) != 0)
			add_general(&s, err);

	for (int i = 0; i < in->n; i++)
	{
		const struct connect_kv *kv = &in->kv[i];
		struct connect_verdict *v = &out->v[out->n++];

		v->key = dup_or_oom(&s, kv->key);
		connect_config_free(&one);
		if (translate_key(name, in, kv, &one, err, sizeof(err)) != 0)
		{
			v->value = dup_or_oom(&s, config_is_secret(kv->key) ? CONNECT_SECRET_MASK : kv->value);
			add_error(&s, i, err);
			continue;
		}
		/* a secret under either name is masked */
		v->value = dup_or_oom(&s, config_is_secret(kv->key) ||
							  (one.n == 1 && config_is_secret(one.kv[0].key)) ?
							  CONNECT_SECRET_MASK : kv->value);
		if (one.n == 0)
			continue;
		if (config_set(&c, one.kv[0].key, one.kv[0].value, err, sizeof(err)) != 0)
			add_set_error(&s, i, one.kv[0].key, err);
		s.walcap_key[i] = renamed_to(kv->key);
	}
	connect_config_free(&one);

	if (config_finish(&c, err, sizeof(err)) != 0)
		attribute_finish(&s, in->n, err);

	if (class_missing)
	{
		struct connect_verdict *v = &out->v[out->n++];

		v->key = dup_or_oom(&s, "connector.class");
		check_class_given(in, err, sizeof(err));
		add_error(&s, out->n - 1, err);
	}
	config_free(&c);
	free(s.walcap_key);
	if (s.oom)
	{
		connect_verdicts_free(out);
		out->error_count = -1;
	}
}

void
connect_verdicts_free(struct connect_verdicts *v)
{
	for (int i = 0; i < v->n; i++)
	{
		free(v->v[i].key);
		secret_free(v->v[i].value);
		free(v->v[i].error);
	}
	free(v->v);
	free(v->general);
	memset(v, 0, sizeof(*v));
}

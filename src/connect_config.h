/*
 * connect_config.h — a Kafka Connect connector configuration (the JSON
 * object of string keys and string values that POST /connectors and
 * PUT /connectors/{name}/config carry) as walcap configuration keys.
 *
 * A Debezium PostgreSQL connector configuration is accepted as it is:
 *   - Kafka Connect's framework keys are understood: name (must be the
 *     connector's name), connector.class (Debezium's PostgresConnector,
 *     or walcap's own name for it), tasks.max (1: a slot is read by one
 *     process), key.converter/value.converter (JsonConverter) and their
 *     *.schemas.enable (walcap's keys of those names);
 *   - Debezium's keys that walcap has are passed on unchanged; a few are
 *     renamed to walcap's form (database.server.name -> topic.prefix,
 *     signal.data.collection <schema>.streamkap_signal -> signal.schema);
 *     some are accepted only with the value walcap behaves as
 *     (plugin.name pgoutput, slot.drop.on.stop false, ...);
 *   - walcap's own keys (sink.*, kafka.*, ...) are passed on.
 * A key walcap cannot honour is refused with a message that names it and
 * says what to do; docs/server.md lists every rule.  A key no rule names
 * is passed on unchanged for config_set() to judge (which refuses an
 * unknown one).  Keys must be made of letters, digits, '.', '_' and '-'
 * and values must not hold a line break, because the server writes them
 * to a properties file.  A C string cannot show an embedded NUL: the
 * caller, which has each JSON string's length, must refuse one itself.
 *
 * Ownership: every string in a struct connect_config is owned by it;
 * connect_config_free() releases (and wipes the secrets of) all of it.
 */
#ifndef WALCAP_CONNECT_CONFIG_H
#define WALCAP_CONNECT_CONFIG_H

#include <stddef.h>

/* walcap's name for the connector class; Debezium's is also accepted. */
#define CONNECT_CLASS_WALCAP "io.walcap.PostgresConnector"
#define CONNECT_CLASS_DEBEZIUM "io.debezium.connector.postgresql.PostgresConnector"

/* What GET returns for a secret instead of its value; PUT keeps the stored one. */
#define CONNECT_SECRET_MASK "********"

struct connect_kv
{
	char	   *key;
	char	   *value;
};

struct connect_config
{
	struct connect_kv *kv;
	int			n;
	int			cap;
};

void		connect_config_init(struct connect_config *c);
void		connect_config_free(struct connect_config *c);
/* Append a copy of key=value (a later one with the same key replaces it). */
int			connect_config_put(struct connect_config *c, const char *key, const char *value);
/* The value of key, or NULL. */
const char *connect_config_get(const struct connect_config *c, const char *key);

/*
 * The Kafka Connect configuration in (as given by the client) as walcap
 * keys in out (which must be initialised and empty), in the client's
 * order.  Framework keys are checked and dropped; renamed keys come out
 * under walcap's name (when the new name is also given, it wins).  name
 * is the connector's name, which a "name" key must equal; NULL (validate
 * before create): "name" is not compared.  0, or -1 with err a one-line
 * message starting with the offending key ("tasks.max: ...") for the
 * first refused key in the client's order; the values themselves are
 * checked by config_set(), not here.
 */
int			connect_translate(const char *name, const struct connect_config *in,
							  struct connect_config *out, char *err, size_t errlen);

/*
 * Per-key verdicts for PUT /connector-plugins/{class}/config/validate:
 * the configuration in, translated and applied (over the defaults, a
 * server's worker-level keys) to a fresh struct config, each key's
 * errors attributed to the key given by the client, and what
 * config_finish() says attributed to the key its message names (else to
 * no key: general).
 */
/*
 * One verdict per key of in, in its order; then, if connector.class is
 * missing, one for it with value NULL and its error.  A key with several
 * errors has them joined by "; ".  error_count counts every error (in
 * verdicts and in general); -1 means out of memory, with nothing else
 * set.  Errors applying the defaults (the server's file, checked when it
 * started) go to general.  All strings are owned by the verdicts.
 */
struct connect_verdict
{
	char	   *key;			/* as the client gave it */
	char	   *value;			/* CONNECT_SECRET_MASK for a secret; NULL:
								 * not given (connector.class) */
	char	   *error;			/* NULL: none */
};

struct connect_verdicts
{
	struct connect_verdict *v;
	int			n;
	char	   *general;		/* an error that names no given key, or NULL */
	int			error_count;
};

void		connect_validate(const char *name, const struct connect_config *in,
							 const struct connect_config *defaults,
							 struct connect_verdicts *out);
void		connect_verdicts_free(struct connect_verdicts *v);

#endif

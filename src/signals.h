/*
 * signals.h — rows of the signal table (<signal.schema>.streamkap_signal:
 * id, type, data) as commands, in Debezium's signalling format.
 *
 *   execute-snapshot  {"data-collections": ["schema.table", ...],
 *                      "type": "incremental" | "blocking",   [incremental]
 *                      "additional-conditions": [{"data-collection": "schema.table",
 *                                                 "filter": "<SQL condition>"}, ...],
 *                      "surrogate-key": "<column>"}
 *                     (Debezium's older "additional-condition": "<SQL>" applies
 *                      to every listed table)
 *   stop-snapshot     {"data-collections": [...] (absent or empty: all),
 *                      "type": "incremental"}
 *   pause-snapshot, resume-snapshot   data ignored (may be NULL)
 *   log               {"message": "..."}
 *   snapshot-window-open, snapshot-window-close   walcap's own watermarks;
 *                     data ignored
 *
 * A data collection is "schema.table" split at the first dot outside
 * double quotes; either part may be double-quoted ("My Schema"."a.b",
 * "" inside quotes is one quote); unquoted parts are taken as written
 * (PostgreSQL folds unquoted names to lower case, Debezium does not:
 * we follow Debezium).  A name without a schema means "public".
 *
 * signal_parse() never keeps pointers into its input: the struct owns
 * copies of every string; signal_free() releases them (also valid on a
 * zeroed struct and after a failed parse).  Errors are one line naming
 * what is wrong ("data is not valid JSON at offset 17: expected ','",
 * "execute-snapshot: \"data-collections\" is missing", "unknown signal
 * type \"foo\"") in the caller's err[errlen]; the input is never echoed
 * beyond 60 bytes.
 */
#ifndef WALCAP_SIGNALS_H
#define WALCAP_SIGNALS_H

#include <stddef.h>

enum signal_kind
{
	SIGNAL_EXECUTE_SNAPSHOT,
	SIGNAL_STOP_SNAPSHOT,
	SIGNAL_PAUSE_SNAPSHOT,
	SIGNAL_RESUME_SNAPSHOT,
	SIGNAL_LOG,
	SIGNAL_WINDOW_OPEN,
	SIGNAL_WINDOW_CLOSE,
};

enum signal_snapshot_type
{
	SIGNAL_INCREMENTAL,
	SIGNAL_BLOCKING,
};

struct signal_collection
{
	char	   *schema;			/* unquoted, as it is in the catalog */
	char	   *table;
	char	   *filter;			/* additional condition, or NULL */
};

struct signal
{
	enum signal_kind kind;
	enum signal_snapshot_type snapshot_type;	/* execute/stop-snapshot */
	int			ncollections;	/* stop-snapshot: 0 = all */
	struct signal_collection *collections;
	char	   *surrogate_key;	/* execute-snapshot, or NULL */
	char	   *message;		/* log */
};

/*
 * Parse a signal row's type and data columns (data may be NULL).
 * Returns 0, or -1 with err set (malformed data, unknown type, missing
 * or ill-typed field, a data collection that does not parse, an
 * additional condition for a collection that is not listed).
 */
int		signal_parse(const char *type, const char *data, struct signal *out,
					 char *err, size_t errlen);
void	signal_free(struct signal *s);

/*
 * Split "schema.table" as described above into newly allocated unquoted
 * parts.  0, or -1 with err set.
 */
int		signal_split_name(const char *name, char **schema, char **table,
						  char *err, size_t errlen);

#endif

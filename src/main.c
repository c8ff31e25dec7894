/*
 * main.c — command line: subcommand dispatch, options, exit status.
 * The only place walcap exits.
 *
 * stdout carries only a command's product (events, the check report,
 * the setup script or its step report, the status report, the signal's
 * id, --print-config, --help, --version); every error, warning and hint
 * goes to stderr through log.h, here as in each command.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "lsn.h"
#include "tunnel.h"

static void
usage(FILE *f)
{
	fprintf(f,
			"walcap %s — PostgreSQL change data capture to Debezium-format JSON\n"
			"\n"
			"Usage:\n"
			"  walcap run [-c FILE] [--set KEY=VALUE]... [--endpos LSN] [--progress]\n"
			"             [--report-fd N] [--print-config]\n"
			"  walcap status [-c FILE] [--set KEY=VALUE]... [--json] [--watch SECONDS]\n"
			"                [--max-retained-wal SIZE]\n"
			"  walcap check [-c FILE] [--set KEY=VALUE]... [--json]\n"
			"  walcap setup [-c FILE] [--set KEY=VALUE]... [--apply [--admin-dsn DSN]]\n"
			"  walcap snapshot [-c FILE] [--set KEY=VALUE]... [--blocking] [--filter SQL]\n"
			"                [--surrogate-key COLUMN] [--id ID] TABLE...\n"
			"  walcap snapshot [-c FILE] [--set KEY=VALUE]... --stop [TABLE...] | --pause | --resume\n"
			"  walcap server [-c FILE]\n"
			"  walcap --help | --version\n"
			"\n"
			"Commands:\n"
			"  run     stream the replication slot's changes as JSON events to the sink\n"
			"  check   verify the database setup: one PASS/WARN/FAIL line per check,\n"
			"          with the fix for each failure (exit 1 if anything FAILs)\n"
			"  setup   print the setup guide's SQL for the configured names;\n"
			"          --apply runs it as an administrator (idempotent), creating\n"
			"          database.user with WALCAP_SETUP_USER_PASSWORD, else the\n"
			"          password configured for walcap\n"
			"  snapshot  ask the running walcap for a snapshot of TABLE... (schema.table)\n"
			"          through the signal table, or stop (all, or TABLE...), pause or\n"
			"          resume it; --filter adds a WHERE condition, --blocking holds\n"
			"          the stream while each table is read whole\n"
			"  server  many connectors as one service: Kafka Connect's REST API, a web\n"
			"          console and Prometheus metrics on server.listen [127.0.0.1:8083],\n"
			"          each connector a supervised walcap run (docs/server.md)\n"
			"  status  the slot's position, the WAL it retains, the publication's\n"
			"          tables, the offset file and a snapshot's progress (exit 1 if\n"
			"          the slot is missing or retains more than --max-retained-wal)\n"
			"\n"
			"Options:\n"
			"  -c, --config FILE   properties file (key=value lines, # comments)\n"
			"  --set KEY=VALUE     set or override one configuration key\n"
			"  --endpos LSN        run: stop once everything up to LSN is delivered\n"
			"  --progress          run: log snapshot progress every 2 s (the default\n"
			"                      when stderr is a terminal)\n"
			"  --report-fd N       run: write a JSON line of metrics to descriptor N\n"
			"                      every second (used by walcap server)\n"
			"  --print-config      run: print the configuration in effect, secrets\n"
			"                      masked, and exit\n"
			"  --json              status: one JSON document\n"
			"  --watch SECONDS     status: refresh every SECONDS until interrupted\n"
			"  --max-retained-wal SIZE  status: exit 1 if the slot retains more WAL\n"
			"  --apply             setup: run the SQL instead of printing it\n"
			"  --admin-dsn DSN     setup: the administrator's connection (or\n"
			"                      WALCAP_ADMIN_DSN, which may hold a password)\n"
			"\n"
			"The password is read from database.password in the file,\n"
			"database.password.file, WALCAP_DATABASE_PASSWORD, PGPASSWORD or ~/.pgpass;\n"
			"the SSH key's passphrase from ssh.private.key.passphrase(.file) or\n"
			"WALCAP_SSH_PRIVATE_KEY_PASSPHRASE; never from the command line.\n"
			"Keys: see docs/config.md.\n"
			"Exit status: 0 clean stop, 1 runtime failure, 2 usage or configuration error.\n",
			WALCAP_VERSION);
}

static void
on_signal(int sig)
{
	(void) sig;
	cli_stop_requested = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocked poll() must return to see the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
usage_error(const char *fmt, const char *arg)
{
	char		msg[1024];

	snprintf(msg, sizeof(msg), fmt, arg);
	log_error("%s", msg);
	log_hint("walcap --help lists the commands and their options");
	return EXIT_USAGE;
}

/*
 * Whether a --set argument would put a secret into argv, where ps shows
 * it; key[keylen] receives the key as config_set_arg sees it (trimmed).
 */
static int
is_secret_arg(const char *arg, char *key, size_t keylen)
{
	const char *eq = strchr(arg, '=');
	size_t		n;
	char	   *k;
	int			secret;

	if (eq == NULL)
		return 0;
	while (arg < eq && isspace((unsigned char) *arg))
		arg++;
	n = (size_t) (eq - arg);
	while (n > 0 && isspace((unsigned char) arg[n - 1]))
		n--;
	k = strndup(arg, n);
	secret = k == NULL || config_is_secret(k);	/* out of memory: refuse */
	snprintf(key, keylen, "%.*s", (int) n, arg);
	free(k);
	return secret;
}

/* Where else the secret key may come from, for the hint. */
static const char *
secret_env(const char *key)
{
	if (strcmp(key, "database.password") == 0)
		return CONFIG_PASSWORD_ENV;
	if (strcmp(key, "ssh.private.key.passphrase") == 0)
		return CONFIG_SSH_PASSPHRASE_ENV;
	if (strcmp(key, "sink.http.authorization") == 0)
		return CONFIG_HTTP_AUTH_ENV;
	return "the environment (WALCAP_KAFKA_SASL_PASSWORD for kafka.sasl.password, see docs/config.md)";
}

/*
 * If argv[*i] is -c/--config or --set, apply it to cfg and step past its
 * value: returns 1.  0 if it is another option; -1 (message printed) on
 * an error.
 */
static int
config_option(int argc, char **argv, int *i, struct config *cfg)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	char		err[1024];
	char		key[128];
	int			rc;

	if (strcmp(a, "-c") != 0 && strcmp(a, "--config") != 0 && strcmp(a, "--set") != 0)
		return 0;
	if (v == NULL)
		return usage_error("option %s needs a value", a), -1;
	(*i)++;
	if (strcmp(a, "--set") == 0)
	{
		if (is_secret_arg(v, key, sizeof(key)))
		{
			log_error("%s cannot be given on the command line, where other users can read it", key);
			if (strcmp(key, "kafka.ssl.key.pem") == 0)
				log_hint("put it in the -c file, or the key in a file named by kafka.ssl.key.location");
			else if (strncmp(key, CONFIG_HTTP_HEADER_PREFIX, strlen(CONFIG_HTTP_HEADER_PREFIX)) == 0)
				log_hint("put it in the -c file (its name makes it a secret: see sink.http.header.<Name> in docs/config.md)");
			else
				log_hint("put it in the -c file, in %s.file or in %s", key, secret_env(key));
			return -1;
		}
		rc = config_set_arg(cfg, v, err, sizeof(err));
	}
	else
		rc = config_load_file(cfg, v, err, sizeof(err));
	if (rc != 0)
	{
		log_error("%s", err);
		return -1;
	}
	return 1;
}

/* The value of option argv[*i], stepping past it; NULL (printed) if none. */
static const char *
option_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
	{
		usage_error("option %s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++(*i)];
}

/* Validate the configuration and set up logging and signals. */
static int
finish_config(struct config *cfg)
{
	char		err[1024];

	if (config_finish(cfg, err, sizeof(err)) != 0)
	{
		log_error("%s", err);
		return -1;
	}
	log_set_level((enum log_level) cfg->log_level);
	install_signals();
	return 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct config cfg;
	struct run_opts opts = {0, 0, -1};
	int			print_config = 0;
	int			rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++)
	{
		const char *v;

		rc = config_option(argc, argv, &i, &cfg);
		if (rc < 0)
			goto usage;
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--progress") == 0)
			opts.progress = 1;
		else if (strcmp(argv[i], "--print-config") == 0)
			print_config = 1;
		else if (strcmp(argv[i], "--report-fd") == 0)
		{
			char	   *end;
			long		fd;

			if ((v = option_value(argc, argv, &i)) == NULL)
				goto usage;
			errno = 0;
			fd = strtol(v, &end, 10);
			if (*v < '0' || *v > '9' || *end || errno != 0 || fd < 3 || fd > 65535)
			{
				usage_error("--report-fd: \"%s\" is not a file descriptor (3 or more)", v);
				goto usage;
			}
			opts.report_fd = (int) fd;
		}
		else if (strcmp(argv[i], "--endpos") == 0)
		{
			if ((v = option_value(argc, argv, &i)) == NULL)
				goto usage;
			if (lsn_parse(v, &opts.endpos) != 0)
			{
				usage_error("--endpos: \"%s\" is not an LSN (like 0/16B3748)", v);
				goto usage;
			}
		}
		else
		{
			usage_error("unknown option \"%s\" for run", argv[i]);
			goto usage;
		}
	}
	if (finish_config(&cfg) != 0)
		goto usage;
	if (print_config)
	{
		config_print(&cfg, stdout);
		config_free(&cfg);
		return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
	}
	srand((unsigned) time(NULL) ^ (unsigned) getpid());
	rc = cli_run(&cfg, &opts);
	config_free(&cfg);
	return rc;
usage:
	config_free(&cfg);
	return EXIT_USAGE;
}

/* walcap server [-c FILE]: its file is read by cli_server (server.* keys are its own). */
static int
cmd_server(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 0; i < argc; i++)
	{
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
		{
			if ((path = option_value(argc, argv, &i)) == NULL)
				return EXIT_USAGE;
		}
		else
			return usage_error("unknown option \"%s\" for server", argv[i]);
	}
	install_signals();
	return cli_server(path);
}

static int
cmd_status(int argc, char **argv)
{
	struct config cfg;
	struct status_opts opts = {0, 0, -1};
	int			rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++)
	{
		const char *v;
		char	   *end;

		rc = config_option(argc, argv, &i, &cfg);
		if (rc < 0)
			goto usage;
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			opts.json = 1;
		else if (strcmp(argv[i], "--watch") == 0)
		{
			if ((v = option_value(argc, argv, &i)) == NULL)
				goto usage;
			opts.watch_s = strtoll(v, &end, 10);
			if (*v < '1' || *v > '9' || *end || opts.watch_s > 86400)
			{
				usage_error("--watch: \"%s\" is not a number of seconds (1-86400)", v);
				goto usage;
			}
		}
		else if (strcmp(argv[i], "--max-retained-wal") == 0)
		{
			if ((v = option_value(argc, argv, &i)) == NULL)
				goto usage;
			if (cli_parse_size(v, &opts.max_retained) != 0)
			{
				usage_error("--max-retained-wal: \"%s\" is not a size (like 64MB or 1GB)", v);
				goto usage;
			}
		}
		else
		{
			usage_error("unknown option \"%s\" for status", argv[i]);
			goto usage;
		}
	}
	if (finish_config(&cfg) != 0)
		goto usage;
	rc = cli_status(&cfg, &opts);
	config_free(&cfg);
	return rc;
usage:
	config_free(&cfg);
	return EXIT_USAGE;
}

static int
cmd_check(int argc, char **argv)
{
	struct config cfg;
	struct check_opts opts = {0};
	int			rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++)
	{
		rc = config_option(argc, argv, &i, &cfg);
		if (rc < 0)
			goto usage;
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0)
			opts.json = 1;
		else
		{
			usage_error("unknown option \"%s\" for check", argv[i]);
			goto usage;
		}
	}
	if (finish_config(&cfg) != 0)
		goto usage;
	rc = cli_check(&cfg, &opts);
	config_free(&cfg);
	return rc;
usage:
	config_free(&cfg);
	return EXIT_USAGE;
}

static int
cmd_setup(int argc, char **argv)
{
	struct config cfg;
	struct setup_opts opts = {0, NULL};
	int			rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++)
	{
		rc = config_option(argc, argv, &i, &cfg);
		if (rc < 0)
			goto usage;
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--apply") == 0)
			opts.apply = 1;
		else if (strcmp(argv[i], "--admin-dsn") == 0)
		{
			if ((opts.admin_dsn = option_value(argc, argv, &i)) == NULL)
				goto usage;
		}
		else
		{
			usage_error("unknown option \"%s\" for setup", argv[i]);
			goto usage;
		}
	}
	if (finish_config(&cfg) != 0)
		goto usage;
	rc = cli_setup(&cfg, &opts);
	config_free(&cfg);
	return rc;
usage:
	config_free(&cfg);
	return EXIT_USAGE;
}

static int
cmd_snapshot(int argc, char **argv)
{
	struct config cfg;
	struct snapshot_opts opts;
	int			rc, nkind = 0;

	memset(&opts, 0, sizeof(opts));
	config_init(&cfg);
	opts.tables = calloc((size_t) argc + 1, sizeof(char *));
	if (opts.tables == NULL)
	{
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < argc; i++)
	{
		const char *a = argv[i];

		rc = config_option(argc, argv, &i, &cfg);
		if (rc < 0)
			goto usage;
		if (rc > 0)
			continue;
		if (strcmp(a, "--stop") == 0)
			opts.kind = SNAPSHOT_CMD_STOP, nkind++;
		else if (strcmp(a, "--pause") == 0)
			opts.kind = SNAPSHOT_CMD_PAUSE, nkind++;
		else if (strcmp(a, "--resume") == 0)
			opts.kind = SNAPSHOT_CMD_RESUME, nkind++;
		else if (strcmp(a, "--blocking") == 0)
			opts.blocking = 1;
		else if (strcmp(a, "--filter") == 0)
		{
			if ((opts.filter = option_value(argc, argv, &i)) == NULL)
				goto usage;
		}
		else if (strcmp(a, "--surrogate-key") == 0)
		{
			if ((opts.surrogate_key = option_value(argc, argv, &i)) == NULL)
				goto usage;
		}
		else if (strcmp(a, "--id") == 0)
		{
			if ((opts.id = option_value(argc, argv, &i)) == NULL)
				goto usage;
		}
		else if (a[0] == '-' && a[1] != '\0')
		{
			usage_error("unknown option \"%s\" for snapshot", a);
			goto usage;
		}
		else
			opts.tables[opts.ntables++] = argv[i];
	}
	if (nkind > 1)
	{
		usage_error("%s", "--stop, --pause and --resume exclude each other");
		goto usage;
	}
	if (opts.kind != SNAPSHOT_CMD_EXECUTE && (opts.blocking || opts.filter || opts.surrogate_key))
	{
		usage_error("%s", "--blocking, --filter and --surrogate-key go with a snapshot to start, not with --stop, --pause or --resume");
		goto usage;
	}
	if (opts.kind == SNAPSHOT_CMD_EXECUTE && opts.ntables == 0)
	{
		usage_error("%s", "name the tables to snapshot (schema.table ...)");
		goto usage;
	}
	if ((opts.kind == SNAPSHOT_CMD_PAUSE || opts.kind == SNAPSHOT_CMD_RESUME) && opts.ntables > 0)
	{
		usage_error("%s", "--pause and --resume act on the whole snapshot: name no tables");
		goto usage;
	}
	if ((opts.filter && opts.filter[0] == '\0') || (opts.surrogate_key && opts.surrogate_key[0] == '\0') ||
		(opts.id && opts.id[0] == '\0'))
	{
		usage_error("%s", "--filter, --surrogate-key and --id need a non-empty value");
		goto usage;
	}
	if (finish_config(&cfg) != 0)
		goto usage;
	rc = cli_snapshot(&cfg, &opts);
	config_free(&cfg);
	free(opts.tables);
	return rc;
usage:
	config_free(&cfg);
	free(opts.tables);
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	int			rc;

	if (argc < 2)
		return usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0)
	{
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
	{
		printf("walcap %s\n", WALCAP_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		rc = cmd_run(argc - 2, argv + 2);
	else if (strcmp(argv[1], "status") == 0)
		rc = cmd_status(argc - 2, argv + 2);
	else if (strcmp(argv[1], "check") == 0)
		rc = cmd_check(argc - 2, argv + 2);
	else if (strcmp(argv[1], "setup") == 0)
		rc = cmd_setup(argc - 2, argv + 2);
	else if (strcmp(argv[1], "snapshot") == 0)
		rc = cmd_snapshot(argc - 2, argv + 2);
	else if (strcmp(argv[1], "server") == 0)
		rc = cmd_server(argc - 2, argv + 2);
	else
		return usage_error("unknown command \"%s\"", argv[1]);
	/* the SSH tunnel, if a connection opened one */
	tunnel_close();
	return rc;
}

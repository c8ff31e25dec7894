/*
 * main.c — command line: subcommand dispatch, options, exit status.
 * The only place walcap exits.
 */
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

static void
usage(FILE *f)
{
	fprintf(f,
			"walcap %s — PostgreSQL change data capture to Debezium-format JSON\n"
			"\n"
			"Usage:\n"
			"  walcap run [-c FILE] [--set KEY=VALUE]... [--endpos LSN]\n"
			"  walcap --help | --version\n"
			"\n"
			"Commands:\n"
			"  run     stream the replication slot's changes as JSON events to the sink\n"
			"\n"
			"Options:\n"
			"  -c, --config FILE   properties file (key=value lines, # comments)\n"
			"  --set KEY=VALUE     set or override one configuration key\n"
			"  --endpos LSN        stop once everything up to LSN is delivered\n"
			"\n"
			"The password is read from database.password in the file,\n"
			"database.password.file, WALCAP_DATABASE_PASSWORD, PGPASSWORD or ~/.pgpass;\n"
			"never from the command line.  Keys: see docs/config.md.\n"
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
	fprintf(stderr, "walcap: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry \"walcap --help\" for more information.\n");
	return EXIT_USAGE;
}

/* A --set that would put a secret into argv, where ps shows it. */
static int
is_secret_key(const char *arg)
{
	return strncmp(arg, "database.password=", 18) == 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct config cfg;
	struct run_opts opts = {0};
	char		err[1024];
	int			rc;

	config_init(&cfg);
	for (int i = 0; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
			strcmp(a, "--set") == 0 || strcmp(a, "--endpos") == 0)
		{
			if (v == NULL)
			{
				config_free(&cfg);
				return usage_error("option %s needs a value", a);
			}
			i++;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
			rc = config_load_file(&cfg, v, err, sizeof(err));
		else if (strcmp(a, "--set") == 0)
		{
			if (is_secret_key(v))
			{
				config_free(&cfg);
				fprintf(stderr, "walcap: database.password cannot be given on the command line, where other users can read it\n"
						"walcap: HINT: put it in the -c file, in database.password.file, or in WALCAP_DATABASE_PASSWORD\n");
				return EXIT_USAGE;
			}
			rc = config_set_arg(&cfg, v, err, sizeof(err));
		}
		else if (strcmp(a, "--endpos") == 0)
		{
			if (lsn_parse(v, &opts.endpos) != 0)
			{
				config_free(&cfg);
				return usage_error("--endpos: \"%s\" is not an LSN (like 0/16B3748)", v);
			}
			rc = 0;
		}
		else
		{
			config_free(&cfg);
			return usage_error("unknown option \"%s\" for run", a);
		}
		if (rc != 0)
		{
			fprintf(stderr, "walcap: %s\n", err);
			config_free(&cfg);
			return EXIT_USAGE;
		}
	}
	if (config_finish(&cfg, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "walcap: %s\n", err);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	log_set_level((enum log_level) cfg.log_level);
	install_signals();
	srand((unsigned) time(NULL) ^ (unsigned) getpid());
	rc = cli_run(&cfg, &opts);
	config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		usage(stderr);
		return EXIT_USAGE;
	}
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
		return cmd_run(argc - 2, argv + 2);
	return usage_error("unknown command \"%s\"", argv[1]);
}

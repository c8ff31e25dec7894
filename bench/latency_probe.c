/*
 * latency_probe.c — the two ends of bench/latency.
 *
 *   latency_probe drive CONNINFO TXNS_PER_S ROWS_PER_TXN SECONDS
 *       Insert ROWS_PER_TXN rows into lat (ids 1, 2, ...) in one statement
 *       (one transaction, autocommit) TXNS_PER_S times a second, on a fixed
 *       schedule (a late transaction does not shift the next ones), for
 *       SECONDS.  Prints "LAST_ID T_US" per transaction: its last id and
 *       the wall-clock time (µs) at which the server's commit reply
 *       arrived.
 *
 *   latency_probe read
 *       For each line on stdin (an event, as walcap or kcat prints it),
 *       prints "ID T_US": the first "id": number after "after": and the
 *       wall-clock time (µs) at which the line was read.
 *
 * bench/latency joins the two on the id: commit reply to event read.
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
drive(const char *conninfo, int rate, int rows, int seconds)
{
	PGconn	   *c = PQconnectdb(conninfo);
	struct timespec next;
	int64_t		id = 1;
	long		n = (long) rate * seconds;
	char	   *out;
	size_t		outlen = 0;

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "latency_probe: %s", PQerrorMessage(c));
		return 1;
	}
	/* the results are printed at the end: no output while driving */
	if ((out = malloc((size_t) n * 48 + 1)) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long k = 0; k < n; k++)
	{
		char		lo[24], hi[24];
		const char *params[2] = {lo, hi};
		PGresult   *res;
		int64_t		t;

		snprintf(lo, sizeof(lo), "%lld", (long long) id);
		snprintf(hi, sizeof(hi), "%lld", (long long) (id + rows - 1));
		res = PQexecParams(c, "INSERT INTO lat (id, v) SELECT g, 'x' FROM generate_series($1::bigint, $2::bigint) g",
						   2, NULL, params, NULL, NULL, 0);
		t = now_us();
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			fprintf(stderr, "latency_probe: %s", PQerrorMessage(c));
			return 1;
		}
		PQclear(res);
		outlen += (size_t) sprintf(out + outlen, "%lld %lld\n", (long long) (id + rows - 1), (long long) t);
		id += rows;
		next.tv_nsec += 1000000000L / rate;
		while (next.tv_nsec >= 1000000000L)
		{
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	fwrite(out, 1, outlen, stdout);
	free(out);
	PQfinish(c);
	return 0;
}

static int
read_events(void)
{
	char		line[65536];

	while (fgets(line, sizeof(line), stdin))
	{
		int64_t		t = now_us();
		const char *a = strstr(line, "\"after\":");
		const char *p = a ? strstr(a, "\"id\":") : NULL;

		if (p)
			printf("%lld %lld\n", strtoll(p + 5, NULL, 10), (long long) t);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "drive") == 0)
		return drive(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 2 && strcmp(argv[1], "read") == 0)
		return read_events();
	fprintf(stderr, "usage: latency_probe drive CONNINFO TXNS_PER_S ROWS_PER_TXN SECONDS | read\n");
	return 2;
}

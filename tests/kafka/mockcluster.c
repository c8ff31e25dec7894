/*
 * mockcluster — librdkafka's mock Kafka cluster as a process of its own,
 * for the Kafka sink's tests.  It speaks the Kafka protocol over TCP on
 * loopback, so walcap and kcat connect to it as to any broker.
 *
 *   mockcluster [BROKERS]
 *
 * prints its bootstrap.servers list as the first line of standard
 * output, then reads commands, one per line, from standard input and
 * answers each with "ok" or "error: ...":
 *
 *   down [ID]              disconnect a broker (all if no ID) and refuse
 *                          new connections
 *   up [ID]                accept connections again
 *   topic NAME PARTITIONS  create a topic (replication factor 1)
 *   rtt ID MS              delay the broker's answers
 *   fail APIKEY ERR        answer the next request of that kind (a Kafka
 *                          API key: 26 is EndTxn) with that error code
 *
 * It exits on end of input or SIGTERM.  A test helper: not installed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int
id_arg(const char *s)
{
	return s && *s ? atoi(s) : -1;
}

static void
answer(rd_kafka_resp_err_t e)
{
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		printf("ok\n");
	else
		printf("error: %s\n", rd_kafka_err2str(e));
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char		errstr[512];
	char		line[512];
	int			nbrokers = argc > 1 ? atoi(argv[1]) : 3;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;

	if (nbrokers < 1 || nbrokers > 16)
	{
		fprintf(stderr, "usage: mockcluster [BROKERS 1..16]\n");
		return 2;
	}
	/* the handle only hosts the cluster; keep it quiet */
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "mockcluster: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (mc == NULL)
	{
		fprintf(stderr, "mockcluster: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin))
	{
		char	   *cmd = strtok(line, " \t\r\n");
		char	   *a1 = strtok(NULL, " \t\r\n");
		char	   *a2 = strtok(NULL, " \t\r\n");

		if (cmd == NULL)
			continue;
		if (strcmp(cmd, "down") == 0)
			answer(rd_kafka_mock_broker_set_down(mc, id_arg(a1)));
		else if (strcmp(cmd, "up") == 0)
			answer(rd_kafka_mock_broker_set_up(mc, id_arg(a1)));
		else if (strcmp(cmd, "topic") == 0 && a1 && a2)
			answer(rd_kafka_mock_topic_create(mc, a1, atoi(a2), 1));
		else if (strcmp(cmd, "rtt") == 0 && a1 && a2)
			answer(rd_kafka_mock_broker_set_rtt(mc, atoi(a1), atoi(a2)));
		else if (strcmp(cmd, "fail") == 0 && a1 && a2)
		{
			rd_kafka_resp_err_t e = (rd_kafka_resp_err_t) atoi(a2);

			rd_kafka_mock_push_request_errors_array(mc, (int16_t) atoi(a1), 1, &e);
			answer(RD_KAFKA_RESP_ERR_NO_ERROR);
		}
		else
		{
			printf("error: unknown command \"%s\"\n", cmd);
			fflush(stdout);
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}

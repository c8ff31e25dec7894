/*
 * sink.c — which sink the configuration names; see sink.h.  The sinks
 * themselves are sink_fd.c (stdout, file), sink_kafka.c, sink_http.c and
 * sink_redis.c.
 */
#include "sink.h"

#include <poll.h>
#include <string.h>

int
sink_open(struct sink *s, const struct config *c, uint64_t keep_size,
		  uint64_t *size, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->poll_events = POLLOUT;
	s->finish_ms = c->kafka_flush_ms;
	s->finish_key = "sink.kafka.flush.timeout.ms";
	*size = 0;
	if (c->sink == CONFIG_SINK_KAFKA)
		return sink_kafka_open(s, c, err, errlen);
	if (c->sink == CONFIG_SINK_HTTP)
		return sink_http_open(s, c, err, errlen);
	if (c->sink == CONFIG_SINK_REDIS)
		return sink_redis_open(s, c, err, errlen);
	if (c->sink == CONFIG_SINK_STDOUT)
		return sink_stdout_open(s, err, errlen);
	return sink_file_open(s, c->sink_file_path, keep_size, size, err, errlen);
}

int
sink_check(const struct config *c, char *err, size_t errlen)
{
	if (c->sink == CONFIG_SINK_KAFKA)
		return sink_kafka_check(c, err, errlen);
	if (c->sink == CONFIG_SINK_HTTP)
		return sink_http_check(c, err, errlen);
	if (c->sink == CONFIG_SINK_REDIS)
		return sink_redis_check(c, err, errlen);
	return 0;
}

void
sink_close(struct sink *s)
{
	if (s->ops)
		s->ops->close(s);
	s->ops = NULL;
}

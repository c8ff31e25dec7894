/*
 * clock.h — the monotonic clock, in microseconds, for intervals (status
 * updates, retries, rates); never for timestamps that leave the process.
 */
#ifndef WALCAP_CLOCK_H
#define WALCAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif

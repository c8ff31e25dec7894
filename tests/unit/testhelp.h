/*
 * testhelp.h — the unit-test harness: checks that count, report the
 * place and the values of a failure, and a closing line
 * "N passed, N failed" that CI reads.
 */
#ifndef WALCAP_TESTHELP_H
#define WALCAP_TESTHELP_H

#include <stdio.h>
#include <string.h>

static int th_passed, th_failed;

#define CHECK(cond) do { \
	if (cond) th_passed++; \
	else { th_failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
								__FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) th_passed++; \
	else { th_failed++; fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", \
								__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
								w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long) (got), w_ = (long long) (want); \
	if (g_ == w_) th_passed++; \
	else { th_failed++; fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", \
								__FILE__, __LINE__, #got, g_, w_); } \
} while (0)

/* Print the closing line and return the process exit status. */
#define TEST_REPORT(name) \
	(printf("%s: %d passed, %d failed\n", (name), th_passed, th_failed), \
	 th_failed ? 1 : 0)

#endif

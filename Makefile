# walcap — PostgreSQL change data capture to Debezium-format JSON.
#
#   make            build ./walcap
#   make test       install what is missing, then every test (unit, unit
#                   under ASan+UBSan, integration against a throwaway
#                   PostgreSQL 15, the version matrix's core scripts
#                   against PostgreSQL 10-14 and 16-18, integration under
#                   ASan+UBSan, fuzz, unit tests under valgrind)
#   make matrix     the version matrix alone (MATRIX_VERSIONS="10 17": those)
#   make demo       a throwaway PostgreSQL set up as the seed describes,
#                   walcap streaming its changes to the terminal
#   make asan       ./build/asan/walcap with AddressSanitizer + UBSan
#   make fuzz       build the libFuzzer target (clang)
#   make valgrind   unit tests under valgrind (no leaks allowed)
#   make bench      the benchmark against pg_recvlogical (bench/run)

CC      ?= cc
PG_INC  := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I$$(pg_config --includedir))
PG_LIB  := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wformat-security -Wvla -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(PG_INC) $(SSH_INC) $(DYNLIB_DEFS) -Isrc $(CFLAGS)
KAFKA_LIB := $(shell pkg-config --libs rdkafka 2>/dev/null || echo -lrdkafka)
SSH_INC := $(shell pkg-config --cflags libssh 2>/dev/null)
JSON_LIB := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
# libssh (the SSH tunnel), libmicrohttpd (walcap server, metrics.listen),
# librdkafka (the Kafka sink), libcurl (the HTTP sink) and hiredis (the
# Redis sink's reply reader) are not linked: walcap opens each when a run
# first needs it (src/dynlib.h), so that a run needing none maps none of
# them nor what they pull in (GnuTLS, SASL, nghttp2, ...).  It
# opens them by the SONAME of the library the linker would have used,
# read from its ELF header here (glibc >= 2.34 has dlopen in libc).
soname = $(shell objdump -p "$$($(CC) -print-file-name=lib$(1).so)" 2>/dev/null | \
                 awk '$$1 == "SONAME" { print $$2 }')
SSH_SONAME   := $(call soname,ssh)
HTTP_SONAME  := $(call soname,microhttpd)
KAFKA_SONAME := $(call soname,rdkafka)
CURL_SONAME  := $(call soname,curl)
HIREDIS_SONAME := $(call soname,hiredis)
# unset when a -dev package is missing: the module's #error says which
DYNLIB_DEFS := $(if $(SSH_SONAME),-DWALCAP_LIBSSH_SONAME=\"$(SSH_SONAME)\") \
               $(if $(HTTP_SONAME),-DWALCAP_LIBMICROHTTPD_SONAME=\"$(HTTP_SONAME)\") \
               $(if $(KAFKA_SONAME),-DWALCAP_LIBRDKAFKA_SONAME=\"$(KAFKA_SONAME)\") \
               $(if $(CURL_SONAME),-DWALCAP_LIBCURL_SONAME=\"$(CURL_SONAME)\") \
               $(if $(HIREDIS_SONAME),-DWALCAP_LIBHIREDIS_SONAME=\"$(HIREDIS_SONAME)\")
# OpenSSL is linked: the Redis sink's TLS and the column.mask.hash
# digests use it, and libpq links it anyway, so every run has it mapped
# already and linking it costs nothing.
SSL_LIB := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
LDLIBS  := $(PG_LIB) $(JSON_LIB) $(SSL_LIB) -pthread -lm

SRCS    := $(filter-out src/main.c,$(wildcard src/*.c))
TESTS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

B       ?= build
OBJS    = $(patsubst src/%.c,$(B)/%.o,$(SRCS))

.PHONY: all test unit integration matrix asan asan-test fuzz fuzz-run valgrind demo \
        deps demo-deps bench clean

all: walcap

# ---- the web console (web/*), embedded in the binary ----------------------
# scripts/embed.c (built with the plain host compiler: it only runs at build
# time, so no sanitizer flags) turns web/* into $(B)/console_assets.c, which
# is compiled into libwalcap.a with the rest; changing a file of web/
# rebuilds it and the binary.  tests/console holds the browser test
# (tests/integration/t_console.sh).
HOSTCC  ?= cc
WEB_FILES := $(sort $(wildcard web/*))
OBJS    += $(B)/console_assets.o

build/embed: scripts/embed.c
	mkdir -p build
	$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/console_assets.c: build/embed $(WEB_FILES) | $(B)
	build/embed $@ $(WEB_FILES)

$(B)/console_assets.o: $(B)/console_assets.c src/console.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
# ---------------------------------------------------------------------------

walcap: $(B)/walcap
	cp $< $@

$(B)/walcap: $(B)/main.o $(B)/libwalcap.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libwalcap.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libwalcap.a | $(B)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libwalcap.a $(LDLIBS)

$(B) $(B)/tests:
	mkdir -p $@

# librdkafka's mock Kafka cluster as a process, for the Kafka tests
$(B)/tests/mockcluster: tests/kafka/mockcluster.c | $(B)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(KAFKA_LIB)

unit-bin: $(addprefix $(B)/tests/,$(TESTS)) $(B)/tests/mockcluster

# Unit tests; each prints "name: N passed, N failed".
unit: unit-bin
	@tests/run-unit $(B)/tests $(TESTS)

# The same build with AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
asan:
	$(MAKE) B=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)" build/asan/walcap unit-bin

asan-unit: asan
	@ASAN_OPTIONS=detect_leaks=1 tests/run-unit build/asan/tests $(TESTS)

# Scripts run three at a time: each waits on its own server most of the
# time (tests/integration/run: INTEGRATION_JOBS, and "alone" scripts).
INTEGRATION_JOBS ?= 3
export INTEGRATION_JOBS

integration: walcap
	$(MAKE) B=build build/tests/mockcluster
	tests/integration/run

# The version matrix: tests/run-matrix runs its scripts (MATRIX_SCRIPTS
# there) against every PostgreSQL of scripts/pg-versions list;
# MATRIX_VERSIONS="10 17" runs only those.
matrix: walcap
	tests/run-matrix

# t_valgrind always runs the plain binary and the t_harness scripts run no
# walcap: the first pass covers them.
asan-integration: asan
	$(MAKE) B=build build/tests/mockcluster
	WALCAP=build/asan/walcap ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		INTEGRATION_EXCLUDE='^t_(valgrind|harness|harness_net)\.sh$$' tests/integration/run

FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined
fuzz:
	mkdir -p build/fuzz
	$(MAKE) B=build/fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build/fuzz/libwalcap.a
	clang -std=c11 -D_GNU_SOURCE $(WARN) $(PG_INC) -Isrc $(FUZZ_FLAGS) \
		-o build/fuzz/fuzz_decoder tests/fuzz/fuzz_decoder.c build/fuzz/libwalcap.a $(LDLIBS)
	clang -std=c11 -D_GNU_SOURCE $(WARN) $(PG_INC) -Isrc $(FUZZ_FLAGS) \
		-o build/fuzz/fuzz_signals tests/fuzz/fuzz_signals.c build/fuzz/libwalcap.a $(LDLIBS)
	clang -std=c11 -D_GNU_SOURCE $(WARN) $(PG_INC) -Isrc $(FUZZ_FLAGS) \
		-o build/fuzz/fuzz_binary tests/fuzz/fuzz_binary.c build/fuzz/libwalcap.a $(LDLIBS)

# A short bounded run for the test suite; see tests/fuzz/README.md for a long one.
fuzz-run: fuzz
	mkdir -p build/fuzz/corpus build/fuzz/corpus_signals
	build/fuzz/fuzz_decoder -max_total_time=20 -max_len=4096 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus tests/fuzz/seeds \
		2>build/fuzz/fuzz.log || (tail -50 build/fuzz/fuzz.log; exit 1)
	@tail -2 build/fuzz/fuzz.log
	build/fuzz/fuzz_signals -max_total_time=10 -max_len=2048 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus_signals tests/fuzz/seeds_signals \
		2>build/fuzz/fuzz_signals.log || (tail -50 build/fuzz/fuzz_signals.log; exit 1)
	@tail -2 build/fuzz/fuzz_signals.log
	mkdir -p build/fuzz/corpus_binary
	build/fuzz/fuzz_binary -max_total_time=15 -max_len=512 \
		-artifact_prefix=build/fuzz/ build/fuzz/corpus_binary tests/fuzz/seeds_binary \
		2>build/fuzz/fuzz_binary.log || (tail -50 build/fuzz/fuzz_binary.log; exit 1)
	@tail -2 build/fuzz/fuzz_binary.log

valgrind: unit-bin
	@VALGRIND="valgrind --leak-check=full --error-exitcode=3 -q" \
		tests/run-unit $(B)/tests $(TESTS)

deps:
	@scripts/deps

test: deps
	@tests/run-all

# The demo runs PostgreSQL 15 only: no version-matrix servers.
demo-deps:
	@scripts/deps --no-versions

demo: demo-deps walcap
	@scripts/demo

bench: deps walcap
	bench/run

clean:
	rm -rf build walcap

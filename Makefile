# mod_ticket: build, run and test. `make run` and `make test` work on a
# fresh Debian 12 machine as root: they install what is missing first.

APXS      ?= apxs
PG_INC    := $(shell pg_config --includedir 2>/dev/null)
CORE_SRC  := $(sort $(wildcard mod_ticket/tk_*.c))
GLUE_SRC  := $(sort $(wildcard mod_ticket/mod_ticket*.c))
HEADERS   := $(wildcard mod_ticket/*.h)
WARN      := -Wall -Wextra -Werror
LIBS      := -ljson-c -lpq -lcrypto
MODULE    := mod_ticket/.libs/mod_ticket.so
BUILD     := build

# the sanitizer build of the module and the unit tests
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
APR_CFLAGS = $(shell apr-1-config --cflags --cppflags --includes)
APR_LIBS   = $(shell apr-1-config --link-ld) $(shell apu-1-config --link-ld)

.PHONY: all deps build-deps test-deps fuzz fuzz-replay migrate catalogue module install run test unit itest failover-drill browser runtest asan-module bench clean distclean

all: module

deps:
	@scripts/deps.sh

build-deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

# builds only: installing packages is for run, test, bench and install
module: $(MODULE)

$(MODULE): $(CORE_SRC) $(GLUE_SRC) $(HEADERS) mod_ticket/ticket.map
	@mkdir -p $(BUILD)
	@echo "apxs -c mod_ticket.la (log: $(BUILD)/apxs.log)"
	@$(APXS) -c -o mod_ticket/mod_ticket.la $(addprefix -Wc$(comma),$(WARN)) \
	    -I$(PG_INC) $(CORE_SRC) $(GLUE_SRC) $(LIBS) \
	    -Wl,--version-script=$(CURDIR)/mod_ticket/ticket.map \
	    > $(BUILD)/apxs.log 2>&1 || { cat $(BUILD)/apxs.log; exit 1; }
	@nm -D --defined-only $(MODULE) | grep -v -E ' (ticket_module|_init|_fini)$$' \
	    | grep -E ' [TDBR] ' && { echo "mod_ticket.so exports more than ticket_module"; exit 1; } || true

comma := ,

# The same module built with AddressSanitizer and UBSan, for the tests.
asan-module: $(BUILD)/asan/mod_ticket.so
$(BUILD)/asan/mod_ticket.so: $(CORE_SRC) $(GLUE_SRC) $(HEADERS) mod_ticket/ticket.map
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -g -O1 $(WARN) $(SAN_FLAGS) $(APR_CFLAGS) \
	    -I$(shell $(APXS) -q INCLUDEDIR) -I$(PG_INC) -o $@ \
	    $(CORE_SRC) $(GLUE_SRC) $(LIBS) \
	    -Wl,--version-script=$(CURDIR)/mod_ticket/ticket.map

# the migrations a database lacks, then the functions (scripts/migrate.sh)
migrate:
	@test -n "$(DB)" || { echo "usage: make migrate DB='host=… dbname=… user=…'" >&2; exit 2; }
	@scripts/migrate.sh "$(DB)"

# a sale's concerts, schedules and seat maps from a JSON file
catalogue:
	@test -n "$(DB)" -a -n "$(FILE)" || { echo "usage: make catalogue DB='host=… dbname=… user=…' FILE=sale.json" >&2; exit 2; }
	@scripts/catalogue.sh "$(DB)" "$(FILE)"

install: build-deps
	$(MAKE) --no-print-directory module
	scripts/install.sh

run: deps module
	scripts/run.sh

# ---- tests ----

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
ITEST_LIB  := $(wildcard tests/integration/harness*.c)
ITESTS     := $(patsubst tests/integration/%.c,$(BUILD)/itest/%,$(wildcard tests/integration/test_*.c))

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(CORE_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -g -O1 $(WARN) $(SAN_FLAGS) $(APR_CFLAGS) -Imod_ticket -Itests/unit -o $@ \
	    $< $(CORE_SRC) -lcmocka -ljson-c -lcrypto $(APR_LIBS)

$(BUILD)/itest/%: tests/integration/%.c $(ITEST_LIB) tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) -g -O1 $(WARN) -pthread -I$(PG_INC) -Itests/integration -Imod_ticket -o $@ \
	    $< $(ITEST_LIB) $(ITEST_CORE) -lcmocka -lcurl -lpq -ljson-c -lm $(if $(ITEST_CORE),-lcrypto)

# a test that holds SQL to the C core links that core file (libcrypto's)
$(BUILD)/itest/test_shuffle_sql $(BUILD)/itest/test_prequeue: ITEST_CORE := mod_ticket/tk_shuffle.c
$(BUILD)/itest/test_shuffle_sql $(BUILD)/itest/test_prequeue: mod_ticket/tk_shuffle.c mod_ticket/tk_shuffle.h

unit: deps $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

itest: test-deps module asan-module $(ITESTS)
	scripts/itest.sh $(ITESTS)

# the failover drill alone (make itest runs it too): a primary and its
# synchronous standby, the primary crashed and the standby promoted under
# load (tests/integration/test_failover.c, scripts/failover-clusters.sh)
failover-drill: test-deps module asan-module $(BUILD)/itest/test_failover
	scripts/itest.sh $(BUILD)/itest/test_failover

# the waiting-room and booking page (web/) in Debian's chromium, headless,
# driven by playwright-core (tests/browser/), against real Apache and
# PostgreSQL; screenshots of each step in build/screenshots/
browser: test-deps module
	scripts/browser-test.sh

# the scripts' safety pieces, and `make run` itself from fresh clones, as
# a new user runs it
runtest: test-deps
	tests/run/test_scripts.sh
	tests/run/test_make_run.sh

test: test-deps
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory fuzz-replay
	$(MAKE) --no-print-directory itest
	$(MAKE) --no-print-directory browser
	$(MAKE) --no-print-directory runtest

# ---- fuzzing: libFuzzer targets over the core (tests/fuzz/); `make test`
# replays their corpora with gcc's sanitizers, `make fuzz` fuzzes ----

FUZZ_TARGETS := body route token config
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_TARGETS))
FUZZERS      := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(CORE_SRC) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) -g -O1 $(WARN) $(SAN_FLAGS) $(APR_CFLAGS) -Imod_ticket -Itests/fuzz -o $@ \
	    $< tests/fuzz/replay.c $(CORE_SRC) -ljson-c -lcrypto $(APR_LIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_SRC) $(HEADERS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(WARN) $(APR_CFLAGS) -Imod_ticket -Itests/fuzz -o $@ $< $(CORE_SRC) \
	    -ljson-c -lcrypto $(APR_LIBS)

fuzz-replay: deps $(FUZZ_REPLAYS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    ASAN_OPTIONS=detect_leaks=0 $(BUILD)/fuzz/replay_$$t tests/fuzz/corpus/$$t; done

# Each target FUZZ_SECONDS from its corpus and dictionary; what found new
# paths is merged into tests/fuzz/corpus/ (commit it), and a crash fails.
fuzz:
	@scripts/deps.sh fuzz
	$(MAKE) --no-print-directory $(FUZZERS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    rm -rf $(BUILD)/fuzz/new/$$t; mkdir -p $(BUILD)/fuzz/new/$$t $(BUILD)/fuzz/crashes; \
	    echo "== fuzz_$$t, $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/fuzz_$$t $(BUILD)/fuzz/new/$$t tests/fuzz/corpus/$$t \
	        -dict=tests/fuzz/$$t.dict -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(BUILD)/fuzz/crashes/$$t- -print_final_stats=1 2>&1 \
	        | grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' ; \
	    $(BUILD)/fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t $(BUILD)/fuzz/new/$$t 2>&1 | tail -n 1; \
	done; \
	if ls $(BUILD)/fuzz/crashes/* >/dev/null 2>&1; then \
	    echo "crashes: $$(ls $(BUILD)/fuzz/crashes)"; exit 1; fi

# ---- benchmarks (not part of make test: timed figures are no tests) ----

$(BUILD)/bench/mktokens: bench/mktokens.c mod_ticket/tk_token.c mod_ticket/tk_parse.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -Imod_ticket -o $@ $^ -lcrypto

$(BUILD)/bench/storm: bench/storm.c
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -pthread -I$(PG_INC) -o $@ $< -lcurl -ljson-c -lpq

# the C1 and C2 ceilings' probe module (bench/mod_bench_probe.c), never installed
PROBE := bench/.libs/mod_bench_probe.so
$(PROBE): bench/mod_bench_probe.c
	@mkdir -p $(BUILD)
	@$(APXS) -c -o bench/mod_bench_probe.la $(addprefix -Wc$(comma),$(WARN)) \
	    -I$(PG_INC) bench/mod_bench_probe.c -lpq > $(BUILD)/apxs-probe.log 2>&1 \
	    || { cat $(BUILD)/apxs-probe.log; exit 1; }

bench:
	@scripts/deps.sh bench
	$(MAKE) --no-print-directory module $(PROBE) $(BUILD)/bench/mktokens $(BUILD)/bench/storm
	bench/run.sh

clean:
	rm -rf $(BUILD) mod_ticket/.libs mod_ticket/*.lo mod_ticket/*.slo \
	    mod_ticket/*.la mod_ticket/*.o bench/.libs bench/*.lo bench/*.slo \
	    bench/*.la bench/*.o

# also forgets the demo database, its secret and logs
distclean: clean
	scripts/run.sh --forget

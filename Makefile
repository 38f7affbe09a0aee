# tickbus: one plain GNU make.
#   make            build every program into bin/
#   make test       unit + integration tests with -Werror, again under ASan+UBSan, fuzzers
#                   briefly, the short chaos suite (docs/DEVELOPING.md)
#   make fuzz       run every libFuzzer target for a bounded time (FUZZ_SECONDS)
#   make bench      performance figures into docs/PERFORMANCE.md (QUICK=1: under a minute)
#   make chaos      the full chaos suite under systemd --user; rewrites docs/RELIABILITY.md
#   make demo       the whole pipeline against mockx, offline, writing real JSONL (FOR=SECONDS)
#   make run        the live pipeline (FOR=SECONDS)
#   make install    install programs (PREFIX) ; make install-units: systemd user units
#   make deps       install the Debian packages (as root) or print the apt-get line

PKGS     := libzmq libwebsockets jansson openssl libcurl libsystemd libpq zlib libmicrohttpd

SAN      ?= 0
ifeq ($(SAN),1)
CC       := clang
OUT      ?= build/san
BIN      ?= build/san/bin
MODE_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
MODE_LDFLAGS := -fsanitize=address,undefined
else
CC       ?= cc
OUT      ?= build/rel
BIN      ?= bin
MODE_CFLAGS := -O2 -g -DNDEBUG -fstack-protector-strong -D_FORTIFY_SOURCE=2
MODE_LDFLAGS :=
endif

WERROR   ?=
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += -std=gnu11 -pthread $(WARN) $(WERROR) $(MODE_CFLAGS) -MMD -MP -Ilib -Ifeeds -Iaggregator \
            -Isink -Iwatchdog -Imetrics $(PKG_CFLAGS)
# the test world's headers (mockx) only for what is under tests/: nothing in
# the product can include them, and its archive holds none of their code
TEST_INC  = $(if $(filter tests/%,$<),-Itests/mockx)
LDLIBS   += $(PKG_LIBS) -lm -pthread

# Programs and the file holding each one's main(). Every other .c in these
# directories is a module, archived in libtickbus.a; the linker takes what it needs.
PROGRAMS := tap feed-coinbase feed-kraken feed-bitstamp feed-kalshi feed-gemini feed-cryptocom aggregator \
            sink-jsonl sink-postgres watchdog tickbus-freshness mockx tickbus tickbus-metrics \
            replay
main_tap           := sink/tap.c
main_feed-coinbase := feeds/coinbase_main.c
main_feed-kraken   := feeds/kraken_main.c
main_feed-bitstamp := feeds/bitstamp_main.c
main_feed-kalshi   := feeds/kalshi_main.c
main_feed-gemini   := feeds/gemini_main.c
main_feed-cryptocom := feeds/cryptocom_main.c
main_aggregator    := aggregator/aggregator.c
main_sink-jsonl    := sink/jsonl_main.c
main_sink-postgres := sink/postgres_main.c
main_replay        := sink/replay.c
main_watchdog      := watchdog/watchdog.c
main_tickbus-freshness := watchdog/freshness.c
main_tickbus       := watchdog/tickbus.c
main_mockx         := tests/mockx/mockx.c
main_tickbus-metrics := metrics/metrics.c

MAINS    := $(foreach p,$(PROGRAMS),$(main_$(p)))
BUILT    := $(foreach p,$(PROGRAMS),$(if $(wildcard $(main_$(p))),$(p)))
PRODSRC  := $(filter-out $(MAINS),$(wildcard lib/*.c feeds/*.c aggregator/*.c sink/*.c \
                                                watchdog/*.c metrics/*.c))
TESTMODSRC := $(filter-out $(MAINS),$(wildcard tests/mockx/*.c))
MODSRC   := $(PRODSRC) $(TESTMODSRC)
LIBA     := $(OUT)/libtickbus.a
TESTA    := $(OUT)/libtbtest.a
TOOLSRC  := $(wildcard tests/tools/*.c)
TOOLS    := $(TOOLSRC:tests/tools/%.c=$(BIN)/%)
PROGBINS := $(BUILT:%=$(BIN)/%)

.PHONY: all deps test test-unit test-integration test-san test-chaos chaos fuzz bench demo run install \
        install-units clean check-deps
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory
.SECONDARY: # keep object files of the test tools (no rebuild on every make)

all: check-deps $(PROGBINS) $(TOOLS) $(BIN)/selftest $(BIN)/tickbus-plot

check-deps:
	@sh compose/deps.sh check || sh compose/deps.sh install

deps:
	@sh compose/deps.sh install

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_INC) -c -o $@ $<

# the product's modules; the test world's (mockx) in an archive of their own
$(LIBA): $(PRODSRC:%.c=$(OUT)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(TESTA): $(TESTMODSRC:%.c=$(OUT)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# $$(LDLIBS) (and CC, LDFLAGS): expanded when the program is linked, not when the Makefile is
# read (on a fresh machine pkg-config knows no library until check-deps has
# installed them, earlier in the same make).
define PROG_rule
$(BIN)/$(1): $(OUT)/$(main_$(1):.c=.o) $(if $(filter tests/%,$(main_$(1))),$(TESTA)) $(LIBA)
	@mkdir -p $(BIN)
	$$(CC) $$(MODE_LDFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(BUILT),$(eval $(call PROG_rule,$(p))))

$(BIN)/%: $(OUT)/tests/tools/%.o $(TESTA) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(MODE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tickbus-plot: compose/tickbus-plot
	@mkdir -p $(BIN)
	install -m 0755 $< $@

# the unit runner's table names every module's test, so the linker pulls each module
$(BIN)/selftest: $(OUT)/tests/selftest.o $(TESTA) $(LIBA)
	@mkdir -p $(BIN)
	$(CC) $(MODE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- tests ---
test: check-deps
	$(MAKE) WERROR=-Werror all
	$(MAKE) WERROR=-Werror test-unit test-integration
	$(MAKE) test-san
	$(MAKE) test-chaos
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

test-unit:
	$(BIN)/selftest --strict

test-integration:
	BIN=$(BIN) sh tests/integration/run.sh

test-san:
	$(MAKE) SAN=1 WERROR=-Werror all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 SAN_SKIP=1 \
	  $(MAKE) SAN=1 test-unit test-integration

# chaos suite (tests/chaos/chaos.sh): faults under a private systemd --user;
# the short version in make test, the full one rewrites docs/RELIABILITY.md
test-chaos:
	BIN=$(BIN) sh tests/chaos/chaos.sh short

chaos: all
	BIN=$(BIN) DOC=docs/RELIABILITY.md sh tests/chaos/chaos.sh full

# --- fuzzing: one libFuzzer target per parser, tests/fuzz/fuzz_*.c ---
FUZZ_SECONDS ?= 20
TEST_FUZZ_SECONDS ?= 5
FUZZSRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZBIN  := $(FUZZSRC:tests/fuzz/%.c=build/fuzz/%)
# -fno-sanitize-recover=all: the first UB report aborts the run (a finding, not a log line)
FUZZ_CFLAGS = -std=gnu11 -O1 -g -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=all -Ilib -Ifeeds \
               -Iaggregator -Isink $(PKG_CFLAGS)
FUZZOBJ  := $(MODSRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(TEST_INC) -c -o $@ $<

build/fuzz/libtickbus.a: $(FUZZOBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libtickbus.a
	clang $(FUZZ_CFLAGS) $(TEST_INC) -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(PKG_LIBS) -lm

fuzz: check-deps $(FUZZBIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZBIN)

bench: all
	@if [ -x tests/bench/run.sh ]; then QUICK=$(QUICK) sh tests/bench/run.sh; else \
	  echo "make bench: not built yet (issue: make bench)"; exit 1; fi

demo: all
	FOR=$(FOR) sh compose/launch.sh demo

run: all
	FOR=$(FOR) sh compose/launch.sh run

# only the product's programs: mockx (the test exchange world) and the test
# tools in tests/tools stay in the build tree
TEST_PROGRAMS := mockx
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(filter-out $(TEST_PROGRAMS:%=$(BIN)/%),$(PROGBINS)) $(BIN)/tickbus-plot \
	  $(DESTDIR)$(PREFIX)/bin/

install-units: all
	@if [ -f compose/install-units.sh ]; then sh compose/install-units.sh; else \
	  echo "make install-units: needs the compose issue (not built yet)"; exit 1; fi

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)

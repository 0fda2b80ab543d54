# mdrop — one plain GNU Makefile.
#   make            the three tools and libcommon.a
#   make check      deps, every test (unit + integration, one TAP run), the
#                   same under ASan/UBSan, fuzzers, man lint
#   make demo       the pipeline end to end against a private Dovecot
#   make install    PREFIX=/usr/local DESTDIR= MANDIR=$(PREFIX)/share/man
# O=DIR builds into DIR (used for the sanitizer build); default: this directory.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
CFLAGS  ?= -O2 -g
O       ?= .
VERSION := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wcast-qual -Wvla -Wformat=2
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
        -D_FORTIFY_SOURCE=2 -fstack-protector-strong $(WARN) \
        -I. -DMDROP_VERSION='"$(VERSION)"' \
        $(shell pkg-config --cflags openssl 2>/dev/null)
LIBS := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)

OBJ := $(O)/obj
TOOLS := fetch split deliver
BINS := $(TOOLS:%=$(O)/mdrop-%)

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJ)/%.o)
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(OBJ)/tests/%)
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
SHIM_SRC   := $(sort $(wildcard tests/fault/*.c))
SHIMS      := $(SHIM_SRC:tests/fault/%.c=$(OBJ)/tests/%.so)
MAN1       := $(wildcard doc/*.1)
MAN7       := $(wildcard doc/*.7)

all: $(BINS) $(O)/libcommon.a
.SECONDARY:
.PHONY: all check tests unit integration asan fuzz fuzz-check man-lint deps demo \
        bench install clean testbins

HEADERS := $(wildcard common/*.h fetch/*.h split/*.h deliver/*.h)
$(OBJ)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/libcommon.a: $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(O)/mdrop-%: $$(addprefix $(OBJ)/,$$(addsuffix .o,$$(basename $$(wildcard $$*/*.c)))) $(O)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# A unit test may ask for link-time wrapping with a line "// wrap: write fsync".
wraps = $(foreach f,$(shell sed -n 's|^// wrap: ||p' $(1)),-Wl,--wrap=$(f))
$(OBJ)/tests/test_%: tests/unit/test_%.c $(O)/libcommon.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
	    $(call wraps,$<) $(O)/libcommon.a -lcmocka $(LIBS)

# Shims are never built with a sanitizer: an instrumented preload library
# needs the ASan runtime before the program's own and sees no calls.
$(OBJ)/tests/%.so: tests/fault/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=c11 $(WARN) -Wno-missing-prototypes -fPIC -shared \
	    -o $@ $< -ldl

testbins: all $(UNIT_BINS) $(SHIMS)

check: deps
	$(MAKE) testbins
	$(MAKE) tests
	$(MAKE) asan
	$(MAKE) -j2 fuzz-check
	$(MAKE) man-lint
	@echo "make check: all passed"

# Every test under one TAP harness, so that one summary line counts them
# all: the cmocka unit binaries (TAP output) and the shell integration
# tests. Tests use private servers on kernel-chosen ports, so they run
# side by side: four at a time on two cores, since most of them wait on
# servers and pipes more than they compute (no verdict depends on speed).
# A failure is shown again, verbose, before make fails.
TEST_JOBS ?= 4
PROVE = CMOCKA_MESSAGE_OUTPUT=TAP MDROP_BIN=$(abspath $(O)) \
	MDROP_SHIMS=$(abspath $(OBJ))/tests prove
define run_tests
	$(PROVE) -j$(TEST_JOBS) --timer --state=save $(1) || \
	{ echo "== failed tests again, verbose:"; \
	  $(PROVE) -v --state=failed; exit 1; }
endef
tests: testbins
	$(call run_tests,$(UNIT_BINS) tests/integration/*.t)
unit: testbins
	$(call run_tests,$(UNIT_BINS))
integration: testbins
	$(call run_tests,tests/integration/*.t)

# The whole suite again under AddressSanitizer + UBSan (clang).
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Reports go to files as well as stderr, so one that a test did not notice
# still fails the run (mode 1777: the tests run the tools as nobody and as
# throwaway users, see tests/lib/tap.sh).
SANREP := $(abspath build/asan/reports)
asan:
	rm -rf $(SANREP) && mkdir -p $(SANREP) && chmod 1777 $(SANREP)
	ASAN_OPTIONS=verify_asan_link_order=0:log_path=$(SANREP)/asan:log_exe_name=1 \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$(SANREP)/ubsan:log_exe_name=1 \
	REL_FAULT_BUDGET=12 REL_KILLS=12 \
	    $(MAKE) O=build/asan CC=clang CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" tests
	@if [ -n "$$(ls -A $(SANREP))" ]; then \
	  echo "sanitizer reports:"; cat $(SANREP)/*; exit 1; fi
	@echo "asan: no sanitizer reports"

FUZZ_SECONDS ?= 12
# common/ is built once for every harness (with the fuzzer's coverage
# but not its main), and the harnesses run two at a time (-j2 from
# check): the fuzzing, not the compiling, is what the time is for.
FUZZ_SAN := address,undefined -fno-sanitize-recover=all -g -O1
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	-DMDROP_VERSION='"$(VERSION)"' \
	$(shell pkg-config --cflags openssl 2>/dev/null)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_LIB := build/fuzz/libcommon.a
build/fuzz/obj/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(FUZZ_LIB): $(COMMON_SRC:%.c=build/fuzz/obj/%.o)
	rm -f $@ && ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	    $(FUZZ_LIB) $(LIBS)
FUZZ_RUNS := $(FUZZ_BINS:%=%.run)
.PHONY: $(FUZZ_RUNS)
$(FUZZ_RUNS): build/fuzz/%.run: build/fuzz/%
	@n=$*; mkdir -p build/fuzz/corpus-$$n; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	      build/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>build/fuzz/$$n.log \
	    || { echo "== fuzz $$n FAILED"; tail -n 40 build/fuzz/$$n.log; exit 1; }; \
	  echo "== fuzz $$n for $(FUZZ_SECONDS)s: $$(tail -n 1 build/fuzz/$$n.log)"
fuzz-check: $(FUZZ_RUNS)
fuzz: $(FUZZ_BINS)
	$(MAKE) fuzz-check FUZZ_SECONDS=$${FUZZ_SECONDS:-600}

man-lint:
	@for m in $(MAN1) $(MAN7); do mandoc -Tlint -W warning $$m || exit 1; \
	  echo "ok $$m"; done

deps:
	@sh tests/lib/deps.sh

demo: deps all
	sh doc/examples/demo.sh

bench: deps all
	sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)

clean:
	rm -rf build obj $(BINS) libcommon.a

# h1xx: HTTP/1.1 interim-response conformance suite.
# make            build ./h1xx
# make demo       run every case against the bundled reference origin
# make test       unit tests (CUnit), the HTML report in a browser, packaging, and the
#                 self-tests against the fixtures
# make asan       unit tests and self-tests under AddressSanitizer + UndefinedBehaviorSanitizer
# make install    PREFIX=/usr/local (and DESTDIR=): bin/h1xx, share/h1xx/cases, share/man/man1/h1xx.1
# make test-html  the HTML report in headless chromium (skips when chromium is missing)
# make interop    h1xx against real servers and proxies (Debian packages, Node.js): installs
#                 them when root, writes reports/interop.md and reports/interop.html

CC      ?= gcc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -MMD -MP
LDLIBS  += -lcurl -lpthread -lm
BUILD   ?= build
PY      ?= /usr/bin/python3

RUNNER_SRC := $(filter-out runner/main.c,$(wildcard runner/*.c))
RUNNER_OBJ := $(RUNNER_SRC:runner/%.c=$(BUILD)/%.o)
UNIT_SRC   := $(wildcard suite/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:suite/unit/%.c=$(BUILD)/unit/%.o)

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(DESTDIR)$(PREFIX)/bin
DATADIR  = $(DESTDIR)$(PREFIX)/share/h1xx
MANDIR   = $(DESTDIR)$(PREFIX)/share/man/man1

.PHONY: all deps deps-build demo test unit selftest asan clean install uninstall test-html \
        test-packaging interop

all: deps-build h1xx

h1xx: $(RUNNER_OBJ) $(BUILD)/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: runner/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: suite/unit/%.c | $(BUILD)/unit
	$(CC) $(CFLAGS) -Irunner -c -o $@ $<

$(BUILD)/unit-tests: $(RUNNER_OBJ) $(UNIT_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

$(BUILD) $(BUILD)/unit:
	mkdir -p $@

# Installs missing Debian packages when root; otherwise prints the command to run.
deps-build:
	@sh suite/deps.sh build
deps:
	@sh suite/deps.sh all

demo: deps h1xx
	@$(PY) fixtures/demo.py ./h1xx

unit: deps $(BUILD)/unit-tests
	$(BUILD)/unit-tests

selftest: deps h1xx
	$(PY) suite/selftest.py ./h1xx

test-html: deps h1xx
	$(PY) suite/html_test.py ./h1xx

# Man page against --help, install from a copy of the tree, the CI examples' syntax.
test-packaging: deps h1xx
	$(PY) suite/packaging_test.py ./h1xx

# Unit tests first, then the browser, packaging and quick interop tests (python http.server and
# HAProxy through `h1xx matrix`), the conformance self-test last; each
# ends with its own "N passed, N failed" line.
test: deps h1xx $(BUILD)/unit-tests
	$(BUILD)/unit-tests
	$(PY) -m unittest -q fixtures/test_origin.py fixtures/test_proxy.py
	$(PY) suite/html_test.py ./h1xx
	$(PY) suite/packaging_test.py ./h1xx
	$(PY) suite/interop_test.py ./h1xx
	$(PY) suite/selftest.py ./h1xx

# Every implementation of suite/interop.py in each role it can play; `h1xx matrix` makes the table.
interop: deps h1xx
	$(PY) suite/interop.py ./h1xx

# The binary finds PREFIX/share/h1xx/cases from its own place (PREFIX/bin), so no flag is needed.
install: all
	install -d $(BINDIR) $(MANDIR) $(DATADIR)/cases
	install -m 755 h1xx $(BINDIR)/h1xx
	install -m 644 h1xx.1 $(MANDIR)/h1xx.1
	install -m 644 cases/requirements.tsv cases/FORMAT.md $(DATADIR)/cases/
	for d in cases/*/; do \
	  install -d $(DATADIR)/$$d && install -m 644 $$d*.case $(DATADIR)/$$d || exit 1; \
	done

uninstall:
	rm -f $(BINDIR)/h1xx $(MANDIR)/h1xx.1
	rm -rf $(DATADIR)

asan:
	$(MAKE) BUILD=build-asan CC=gcc \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" build-asan/unit-tests h1xx-asan
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 $(PY) suite/selftest.py ./h1xx-asan

h1xx-asan: $(RUNNER_OBJ) $(BUILD)/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build build-asan h1xx h1xx-asan

-include $(wildcard $(BUILD)/*.d $(BUILD)/unit/*.d)

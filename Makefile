# h1xx: HTTP/1.1 interim-response conformance suite.
# make            build ./h1xx
# make demo       run every case against the bundled reference origin
# make test       unit tests (CUnit), fuzz replays, fixture checks, the HTML report in a browser,
#                 packaging, robustness (hostile servers) and the self-tests against the fixtures
# make asan       unit tests, replays, robustness and self-tests under ASan + UBSan
# make fuzz       libFuzzer (clang) on the wire reader and the case loader, FUZZ_SECONDS each
# make valgrind   unit tests, fuzz replays and a self-test subset under valgrind
# make man        h1xx.1 from h1xx.1.in and the options table of --help
# make install    PREFIX=/usr/local (and DESTDIR=): bin/h1xx, share/h1xx/cases, share/h1xx/drivers,
#                 share/man/man1/h1xx.1
# make test-html  the HTML report in headless chromium (skips when chromium is missing)
# make bench      speed, timing accuracy, cost, load and a baseline script: reports/bench.md, .json
# make interop    h1xx against real servers and proxies (Debian packages, Node.js): installs
#                 them when root, writes reports/interop.md and reports/interop.html
# make deb        the Debian package (debian/, dpkg-buildpackage -us -uc -b, lintian clean) in dist/

CC      ?= gcc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -MMD -MP
LDLIBS  += -lcurl -lnghttp2 -lpthread -lm
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

.PHONY: all deps deps-build deps-demo demo test unit selftest asan fuzz valgrind clean install uninstall \
        test-html test-packaging bench interop deb man

# Every compile waits for the Debian build packages (order-only: it never forces a rebuild), so
# `make -j2` on a fresh machine does not compile while apt-get is still installing the headers.
# A package build passes DEPS_BUILD= (its Build-Depends install them).
DEPS_BUILD ?= deps-build

all: $(DEPS_BUILD) h1xx

h1xx: $(RUNNER_OBJ) $(BUILD)/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: runner/%.c | $(BUILD) $(DEPS_BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: suite/unit/%.c | $(BUILD)/unit $(DEPS_BUILD)
	$(CC) $(CFLAGS) -Irunner -c -o $@ $<

$(BUILD)/unit-tests: $(RUNNER_OBJ) $(UNIT_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# The client-mode driver for libcurl (drivers/libcurl_get.c; README "Testing a client").
$(BUILD)/libcurl-driver: drivers/libcurl_get.c | $(BUILD) $(DEPS_BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lcurl

# One HTTP/2 request through runner/h2*.c, each frame printed with its time (docs/http2.md).
$(BUILD)/h2get: suite/h2get.c $(RUNNER_OBJ) | $(BUILD) $(DEPS_BUILD)
	$(CC) $(CFLAGS) -Irunner $(LDFLAGS) -o $@ $< $(RUNNER_OBJ) $(LDLIBS)

$(BUILD) $(BUILD)/unit $(BUILD)/fuzz:
	mkdir -p $@

# Fuzz harnesses (suite/fuzz): replay-KIND runs the corpus and the regression inputs through a
# harness with any compiler (make test); fuzz-KIND is the libFuzzer build (make fuzz).
FUZZ_DEFS := -DH1XX_CATALOG='"$(CURDIR)/cases/requirements.tsv"'
REPLAY    := $(BUILD)/replay-wire $(BUILD)/replay-case
.PRECIOUS: $(BUILD)/fuzz/%.o
$(BUILD)/fuzz/%.o: suite/fuzz/%.c | $(BUILD)/fuzz $(DEPS_BUILD)
	$(CC) $(CFLAGS) $(FUZZ_DEFS) -Irunner -c -o $@ $<
$(BUILD)/replay-%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/replay.o $(RUNNER_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/fuzz-%: $(BUILD)/fuzz/fuzz_%.o $(RUNNER_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# The wire reader on one stream as JSON, for the differential check (suite/wire_diff.py).
$(BUILD)/wire-dump: suite/wire/wire_dump.c $(RUNNER_OBJ) | $(BUILD) $(DEPS_BUILD)
	$(CC) $(CFLAGS) -Irunner $(LDFLAGS) -o $@ $^ $(LDLIBS)

replay: $(REPLAY)
	$(BUILD)/replay-wire suite/fuzz/corpus/wire suite/fuzz/regressions/wire
	$(BUILD)/replay-case suite/fuzz/corpus/case suite/fuzz/regressions/case

# Installs missing Debian packages when root; otherwise prints the command to run.
# deps waits for deps-build: two apt-get runs at once (make -j2 test) would fight over dpkg's lock.
deps-build:
	@sh suite/deps.sh build
deps: deps-build
	@sh suite/deps.sh all

# The demo needs only the build packages and python3 (for the reference origin), not the tests'.
deps-demo: deps-build
	@sh suite/deps.sh demo
demo: deps-demo h1xx
	@$(PY) fixtures/demo.py ./h1xx

# Measures, does not judge: exits 0 whether or not the goals are met (the table says which).
bench: h1xx
	@sh suite/deps.sh bench
	@$(PY) suite/bench/bench.py ./h1xx

unit: deps $(BUILD)/unit-tests
	$(BUILD)/unit-tests

selftest: deps h1xx
	$(PY) suite/selftest.py ./h1xx

test-html: deps h1xx
	$(PY) suite/html_test.py ./h1xx

# h1xx.1 from h1xx.1.in and the options table --help prints (runner/cli_doc.c); h1xx.1 is kept
# in git, and suite/packaging_test.py checks that it is current.
man: h1xx
	./h1xx --man-options > $(BUILD)/options.roff
	awk 'FNR == NR { o = o $$0 "\n"; next } /^@OPTIONS@$$/ { printf "%s", o; next } { print }' \
	  $(BUILD)/options.roff h1xx.1.in > h1xx.1.tmp && mv h1xx.1.tmp h1xx.1

# Man page against --help, install from a copy of the tree, the CI examples' syntax.
test-packaging: deps h1xx
	$(PY) suite/packaging_test.py ./h1xx

# Unit tests and fuzz replays first, then the fixtures' own checks, the browser, packaging and
# quick interop tests (python http.server and HAProxy through `h1xx matrix`), robustness
# (hostile servers, bad input), and the conformance self-test last, so that its summary is the
# last line; each ends with its own "N passed, N failed" line.
# A script that skips a whole check (html_test without chromium) leaves a note in $(BUILD)/skipped
# (suite/skips.py); selftest names them just above its last line, which then ends ", N skipped".
test: export H1XX_SKIPPED = $(CURDIR)/$(BUILD)/skipped
test: deps h1xx $(BUILD)/unit-tests $(REPLAY) $(BUILD)/h2get $(BUILD)/wire-dump
	rm -rf $(BUILD)/skipped
	$(BUILD)/unit-tests
	$(PY) suite/layers.py $(BUILD)
	$(MAKE) --no-print-directory replay
	$(PY) suite/wire_diff.py $(BUILD)
	$(PY) -m unittest -q fixtures/test_origin.py fixtures/test_proxy.py fixtures/test_client.py
	$(PY) -m unittest -q fixtures/test_h2front.py
	$(PY) suite/html_test.py ./h1xx
	$(PY) suite/packaging_test.py ./h1xx
	$(PY) suite/interop_test.py ./h1xx
	$(PY) suite/robustness.py ./h1xx
	$(PY) suite/vars_test.py ./h1xx
	$(PY) suite/summary_test.py ./h1xx
	$(PY) suite/pins.py ./h1xx
	$(PY) suite/baseline_test.py ./h1xx
	$(PY) suite/preflight_test.py ./h1xx
	$(PY) suite/client_test.py ./h1xx
	$(PY) suite/fwd_test.py ./h1xx
	$(PY) suite/fates_test.py ./h1xx
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
	install -d $(DATADIR)/drivers
	install -m 644 drivers/* $(DATADIR)/drivers/
	install -m 755 drivers/*.sh $(DATADIR)/drivers/

uninstall:
	rm -f $(BINDIR)/h1xx $(MANDIR)/h1xx.1
	rm -rf $(DATADIR)

# The Debian package, built from a copy of what it needs in $(BUILD)/deb (dpkg-buildpackage writes
# its results beside the source folder, so nothing lands outside the project); the .deb is
# copied to dist/ and must pass lintian without an error or a warning.
DEB_SRC := Makefile h1xx.1 runner cases debian drivers README.md docs examples
deb:
	@sh suite/deps.sh deb
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/h1xx dist
	cp -R $(DEB_SRC) $(BUILD)/deb/h1xx/
	cd $(BUILD)/deb/h1xx && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(BUILD)/deb/h1xx_*.changes
	rm -f dist/h1xx_*.deb && cp $(BUILD)/deb/h1xx_*.deb dist/
	@ls dist/h1xx_*.deb

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan: deps
	$(MAKE) BUILD=build-asan CC=gcc CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  build-asan/unit-tests h1xx-asan build-asan/replay-wire build-asan/replay-case
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 build-asan/replay-wire suite/fuzz/corpus/wire suite/fuzz/regressions/wire
	ASAN_OPTIONS=detect_leaks=1 build-asan/replay-case suite/fuzz/corpus/case suite/fuzz/regressions/case
	ASAN_OPTIONS=detect_leaks=1 $(PY) suite/robustness.py ./h1xx-asan --rss-limit 1024 --slack 35 --jobs 6
	ASAN_OPTIONS=detect_leaks=1 $(PY) suite/client_test.py ./h1xx-asan
	ASAN_OPTIONS=detect_leaks=1 $(PY) suite/fates_test.py ./h1xx-asan
	ASAN_OPTIONS=detect_leaks=1 $(PY) suite/selftest.py ./h1xx-asan

# libFuzzer with ASan + UBSan (clang); CI passes a shorter FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
comma := ,
fuzz:
	@sh suite/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang LDFLAGS="-fsanitize=address,undefined" \
	  CFLAGS="$(subst address,fuzzer-no-link$(comma)address,$(ASAN_FLAGS))" \
	  build-fuzz/fuzz-wire build-fuzz/fuzz-case
	sh suite/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Unit tests, fuzz replays and a self-test subset under valgrind (suite/valgrind.sh).
valgrind: deps
	@sh suite/deps.sh valgrind
	$(MAKE) BUILD=build-vg CFLAGS="-O1 -g" build-vg/unit-tests h1xx-vg build-vg/replay-wire \
	  build-vg/replay-case
	bash suite/valgrind.sh build-vg

h1xx-asan h1xx-vg: $(RUNNER_OBJ) $(BUILD)/main.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build build-asan build-fuzz build-vg h1xx h1xx-asan h1xx-vg dist

-include $(wildcard $(BUILD)/*.d $(BUILD)/unit/*.d $(BUILD)/fuzz/*.d)

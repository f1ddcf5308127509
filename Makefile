# h1xx: HTTP/1.1 interim-response conformance suite.
# make            build ./h1xx
# make demo       run every case against the bundled reference origin
# make test       unit tests (CUnit) and self-tests against the fixtures
# make asan       the same tests with AddressSanitizer + UndefinedBehaviorSanitizer

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

.PHONY: all deps deps-build demo test unit selftest asan clean

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

# Unit tests first, then the conformance self-test, so both summaries are the last lines.
test: deps h1xx $(BUILD)/unit-tests
	$(BUILD)/unit-tests
	$(PY) -m unittest -q fixtures/test_origin.py
	$(PY) suite/selftest.py ./h1xx

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

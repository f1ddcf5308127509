#!/bin/bash
# make valgrind: the unit tests, the fuzz replays (corpus and regressions) and a self-test subset
# (the conformance run against the reference origin and two violators, and the hostile servers
# that push the most bytes through the reader) under valgrind with full leak checking. Any error
# or definite/indirect/possible leak fails the step (exit 99 from valgrind); the logs of every
# process are in BUILD/valgrind, and the last line sums them up.
# usage: valgrind.sh BUILD
set -euo pipefail
build=$1
logs=$build/valgrind
rm -rf "$logs"
mkdir -p "$logs"
export H1XX_VG_LOGS="$(cd "$logs" && pwd)"
vg() {
    name=$1
    shift
    valgrind -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --log-file="$logs/$name.%p.log" "$@"
}
PY=${PY:-/usr/bin/python3}
vg unit "$build/unit-tests" | tail -1
vg replay-wire "$build/replay-wire" suite/fuzz/corpus/wire suite/fuzz/regressions/wire
vg replay-case "$build/replay-case" suite/fuzz/corpus/case suite/fuzz/regressions/case
"$PY" suite/selftest.py suite/valgrind-h1xx -k wait-body | tail -4
"$PY" suite/selftest.py suite/valgrind-h1xx -k cl-in-100 | tail -2
"$PY" suite/robustness.py suite/valgrind-h1xx --jobs 2 --slack 30 --rss-limit 4096 \
    -k "interim-10000" | tail -4
"$PY" suite/robustness.py suite/valgrind-h1xx --jobs 2 --slack 30 --rss-limit 4096 \
    -k "huge-header" | tail -4
for b in garbage-status reset-mid-body chunked-short 101-then-garbage final-flood xml-hostile-text; do
    "$PY" suite/robustness.py suite/valgrind-h1xx --jobs 1 --slack 30 -k "$b" | tail -1
done
n=$(ls "$logs" | wc -l)
bad=$(find "$logs" -type f -size +0 | wc -l)
if [ "$bad" != 0 ]; then
    find "$logs" -type f -size +0 -exec sh -c 'echo "== $1"; head -60 "$1"' _ {} \;
    echo "valgrind: $n processes, $bad with errors or leaks"
    exit 1
fi
echo "valgrind: $n processes, 0 errors, 0 leaks"

#!/bin/sh
# make fuzz: runs the libFuzzer harnesses for SECONDS each, both at once (one core each).
# Seeds: suite/fuzz/corpus/KIND and the regression inputs; what a run finds goes to
# BUILD/corpus-KIND (never into the committed corpus), crash inputs to BUILD/artifacts-KIND.
# Prints one line per harness with its executions; exits 1 when either found a crash.
# usage: run.sh BUILD SECONDS
set -u
build=$1
secs=$2
here=$(dirname "$0")
for kind in wire case; do
    rm -rf "$build/artifacts-$kind"
    mkdir -p "$build/corpus-$kind" "$build/artifacts-$kind"
    (
        "$build/fuzz-$kind" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -max_len=8192 -print_final_stats=1 -artifact_prefix="$build/artifacts-$kind/" \
            "$build/corpus-$kind" "$here/corpus/$kind" "$here/regressions/$kind" \
            >"$build/fuzz-$kind.log" 2>&1
        echo $? >"$build/fuzz-$kind.rc"
    ) &
done
wait
status=0
for kind in wire case; do
    rc=$(cat "$build/fuzz-$kind.rc")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$kind.log")
    crashes=$(ls "$build/artifacts-$kind" | wc -l)
    echo "fuzz-$kind: ${execs:-?} executions in ${secs}s, $crashes crash input(s), exit $rc"
    if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
        grep -A30 -m1 "ERROR:\|==ERROR\|deadly signal\|timeout" "$build/fuzz-$kind.log" | head -60
        echo "fuzz-$kind: inputs in $build/artifacts-$kind/ (keep each, once fixed, in" \
             "suite/fuzz/regressions/$kind/)"
        status=1
    fi
done
exit $status

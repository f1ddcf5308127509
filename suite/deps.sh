#!/bin/sh
# Installs the Debian packages h1xx needs, when missing. As root it runs apt-get; otherwise it
# prints the exact command and fails. "build": what compiling needs; "all": also the tests';
# "browser": chromium, for the HTML report's browser test (which skips without it);
# "fuzz": clang and its libFuzzer runtime; "valgrind": valgrind; "bench": what make bench needs
# (valgrind for the instruction counts, GNU time for peak RSS); "deb": what make deb needs
# (dpkg-buildpackage, debhelper, lintian).
set -u
what=${1:-all}
need_build="gcc make libcurl4-openssl-dev libcunit1-dev"
need_test="python3 libxml2-utils python3-junitparser python3-websockets python3-h11 openssl python3-yaml man-db nginx haproxy time"
pkgs=$need_build
[ "$what" = all ] && pkgs="$pkgs $need_test"
[ "$what" = browser ] && pkgs="chromium"
[ "$what" = fuzz ] && pkgs="$pkgs clang libclang-rt-dev"
[ "$what" = valgrind ] && pkgs="valgrind"
[ "$what" = bench ] && pkgs="$pkgs python3 valgrind time"
[ "$what" = deb ] && pkgs="$pkgs dpkg-dev debhelper lintian"

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "h1xx: missing Debian packages:$missing" >&2
    echo "h1xx: install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "h1xx: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q $missing >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q $missing >/dev/null || { echo "h1xx: apt-get install failed" >&2; exit 1; }
fi

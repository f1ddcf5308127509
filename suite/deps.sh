#!/bin/sh
# Installs the Debian packages h1xx needs, when missing. As root it runs apt-get; otherwise it
# prints the exact command and fails. "build": what compiling needs; "demo": also python3 for
# the reference origin (make demo needs nothing else); "all": also the tests' (nginx and haproxy
# are real proxies the proxy self-tests run on loopback; python3-h11 is the second parser the
# wire reader is checked against; python3-h2 runs the reference HTTP/2 front);
# "browser": chromium, for the HTML report's browser test (which skips without it);
# "fuzz": clang and its libFuzzer runtime; "valgrind": valgrind; "bench": what make bench needs
# (valgrind for the instruction counts, GNU time for peak RSS); "deb": what make deb needs
# (dpkg-buildpackage, debhelper, lintian).
set -u
what=${1:-all}
need_build="gcc make libcurl4-openssl-dev libnghttp2-dev libcunit1-dev"
need_test="python3 libxml2-utils python3-junitparser python3-websockets python3-h11 python3-h2 openssl python3-yaml man-db nginx haproxy time"
pkgs=$need_build
[ "$what" = demo ] && pkgs="$pkgs python3"
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
echo "h1xx: installing$missing (waiting for dpkg's lock if another apt-get holds it)" >&2
export DEBIAN_FRONTEND=noninteractive
# dpkg's lock is held on a fresh cloud machine while unattended-upgrades runs: wait for it
# (apt-get's own DPkg::Lock::Timeout, in seconds) instead of failing at once, and say so.
lock_wait=${H1XX_LOCK_WAIT:-600}
lock="-o DPkg::Lock::Timeout=$lock_wait"
if command -v fuser >/dev/null 2>&1 &&
   fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1; then
    echo "h1xx: another apt-get or dpkg holds the lock; waiting for it (up to ${lock_wait}s)" >&2
fi
if ! apt-get $lock install -y -q $missing >/dev/null 2>&1; then
    apt-get $lock update -q >/dev/null 2>&1 || true
    apt-get $lock install -y -q $missing >/dev/null ||
        { echo "h1xx: apt-get install failed (dpkg's lock held more than ${lock_wait}s?)" >&2; exit 1; }
fi

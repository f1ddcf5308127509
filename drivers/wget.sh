#!/bin/sh
# h1xx client-mode driver for GNU Wget.
#   h1xx client -- sh drivers/wget.sh {url} {method} {body} {upgrade} {headers}
# Prints the final response's body (also of a 4xx or 5xx: --content-on-error); wget's exit
# status 8 ("the server issued an error response") still means a final response came, so it is
# 0 here. The server's heads that -S prints (on stderr, indented) give {headers}: the last one.
url=$1 method=${2:-GET} body=$3 upgrade=$4 headers=$5
set -- -q -S -O - --content-on-error --tries=1 --method="$method"
[ -s "$body" ] && set -- "$@" --body-file="$body"
[ -n "$upgrade" ] && set -- "$@" --header="Upgrade: $upgrade" --header="Connection: upgrade"
err=$(mktemp)
wget "$@" "$url" 2>"$err"
rc=$?
if [ -n "$headers" ]; then
    awk '/^  HTTP\// { n = 0; next } /^  / { sub(/^  /, ""); f[++n] = $0 }
        END { for (i = 1; i <= n; i++) print f[i] }' "$err" > "$headers"
fi
grep -v '^  ' "$err" >&2
rm -f "$err"
[ "$rc" -eq 8 ] && exit 0
exit "$rc"

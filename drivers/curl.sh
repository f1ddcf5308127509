#!/bin/sh
# h1xx client-mode driver for the curl command line tool.
#   h1xx client -- sh drivers/curl.sh {url} {method} {body} {upgrade} {headers} {url2}
# One request; the final response's body on stdout; curl's exit status (0: a final response,
# whatever its status code). Uploads (a non-empty {body}) go with -T, so curl chooses when to
# ask for a 100 (7.88: above 1 MiB) and how long to wait for it (1 s). The final response's
# fields go to {headers}: curl -D writes every head it read, 1xx included, so only the last
# head is kept. A non-empty {url2} is fetched after {url} by the same curl (--next), which
# reuses the connection; both bodies go to stdout in order.
url=$1 method=${2:-GET} body=$3 upgrade=$4 headers=$5 url2=$6
set -- -sS -X "$method"
[ -s "$body" ] && set -- "$@" -T "$body"
[ -n "$upgrade" ] && set -- "$@" -H "Upgrade: $upgrade" -H "Connection: upgrade"
[ -n "$headers" ] && set -- "$@" -D "$headers.all"
set -- "$@" "$url"
[ -n "$url2" ] && set -- "$@" --next -sS "$url2"
curl "$@"
rc=$?
if [ -n "$headers" ] && [ -f "$headers.all" ]; then
    tr -d '\r' < "$headers.all" | awk '/^HTTP\// { n = 0; next } NF { f[++n] = $0 }
        END { for (i = 1; i <= n; i++) print f[i] }' > "$headers"
    rm -f "$headers.all"
fi
exit "$rc"

#!/bin/sh
# h1xx client-mode driver for the curl command line tool.
#   h1xx client -- sh drivers/curl.sh {url} {method} {body} {upgrade}
# One request; the final response's body on stdout; curl's exit status (0: a final response,
# whatever its status code). Uploads (a non-empty {body}) go with -T, so curl chooses when to
# ask for a 100 (7.88: above 1 MiB) and how long to wait for it (1 s).
url=$1 method=${2:-GET} body=$3 upgrade=$4
set -- -sS -X "$method"
[ -s "$body" ] && set -- "$@" -T "$body"
[ -n "$upgrade" ] && set -- "$@" -H "Upgrade: $upgrade" -H "Connection: upgrade"
exec curl "$@" "$url"

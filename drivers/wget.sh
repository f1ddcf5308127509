#!/bin/sh
# h1xx client-mode driver for GNU Wget.
#   h1xx client -- sh drivers/wget.sh {url} {method} {body} {upgrade}
# Prints the final response's body (also of a 4xx or 5xx: --content-on-error); wget's exit
# status 8 ("the server issued an error response") still means a final response came, so it is
# 0 here.
url=$1 method=${2:-GET} body=$3 upgrade=$4
set -- -q -O - --content-on-error --tries=1 --method="$method"
[ -s "$body" ] && set -- "$@" --body-file="$body"
[ -n "$upgrade" ] && set -- "$@" --header="Upgrade: $upgrade" --header="Connection: upgrade"
wget "$@" "$url"
rc=$?
[ "$rc" -eq 8 ] && exit 0
exit "$rc"

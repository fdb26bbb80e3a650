#!/bin/sh
# The demo api: answers the routes in routes.txt with busybox httpd's CGI-free mode.
set -eu
root=/tmp/api-www
mkdir -p "$root"
while read -r route body; do
  [ -n "$route" ] || continue
  mkdir -p "$root$(dirname "$route")"
  echo "$body" > "$root$route"
done < /srv/api/routes.txt
cp /srv/api/build-info.txt "$root/version"
exec httpd -f -p "${PORT:-8080}" -h "$root"

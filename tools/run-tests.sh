#!/usr/bin/env bash
# Runs every test of the solution against real servers that this script starts on 127.0.0.1 and stops
# again: a scratch PostgreSQL cluster and a scratch RabbitMQ node. The browser test uses Debian's Chromium.
# Missing packages (postgresql, rabbitmq-server, chromium) are installed with apt-get. Prints
# "N passed, N failed" as its last line and exits non-zero when a test fails or the build breaks.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work="${RSCURATE_TEST_WORK:-$repo/.ci/work}"
pg_port="${RSCURATE_TEST_PG_PORT:-55432}"
results="$work/results"
rm -rf "$results"
mkdir -p "$work" "$results"

log() { printf '[run-tests] %s\n' "$*" >&2; }

as_root_or_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
  local missing=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root_or_sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive as_root_or_sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

pg_bin=/usr/lib/postgresql/15/bin
# The server runs as the postgres user, which may not be able to enter the checkout (a clone under a 0700
# folder, for example), so its data and socket live in a folder of their own.
pg_root=$(mktemp -d /tmp/rscurate-test-pg.XXXXXX)
chmod 755 "$pg_root"
pg_data="$pg_root/data"
pg_sock="$pg_root/sock"

# PostgreSQL refuses to run as root, so the scratch cluster belongs to the postgres user.
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  rm -rf "$pg_data" "$pg_sock"
  mkdir -p "$pg_data" "$pg_sock"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$pg_root"; fi
  pg_run "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres >"$pg_root/initdb.log" 2>&1 || { cat "$pg_root/initdb.log" >&2; return 1; }
  pg_run "$pg_bin/pg_ctl" -D "$pg_data" -w -l "$pg_root/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_sock -c fsync=off" start >/dev/null || { cat "$pg_root/server.log" >&2; return 1; }
  pg_run "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres rscurate_test
  export RSCURATE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=rscurate_test"
  log "PostgreSQL started on 127.0.0.1:$pg_port"
}

stop_postgres() {
  if [ -f "$pg_data/postmaster.pid" ]; then
    pg_run "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
    log "PostgreSQL stopped"
  fi
  rm -rf "$pg_root"
}

# Like PostgreSQL, the node runs as its own user (rabbitmq), so its files live outside the checkout.
rabbit_dir=$(mktemp -d /tmp/rscurate-test-rabbitmq.XXXXXX)

start_rabbitmq() {
  local uri
  uri=$("$repo/tools/rabbitmq-scratch.sh" start "$rabbit_dir") || return 1
  export RSCURATE_TEST_RABBITMQ="$uri"
  log "RabbitMQ started at $uri"
}

stop_rabbitmq() {
  if [ -d "$rabbit_dir" ]; then
    "$repo/tools/rabbitmq-scratch.sh" stop "$rabbit_dir"
    rm -rf "$rabbit_dir"
    log "RabbitMQ and its epmd stopped"
  fi
}

cleanup() { stop_postgres; stop_rabbitmq; }
trap cleanup EXIT

ensure_packages
start_postgres || { echo "0 passed, 1 failed"; exit 1; }
start_rabbitmq || { echo "0 passed, 1 failed"; exit 1; }

log "building and running tests"
dotnet test "$repo/RsStreamCurate.sln" \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m -v minimal
status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# A build error or a crashed test host leaves no failed count behind; it must still fail the run.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi

stop_postgres
stop_rabbitmq
trap - EXIT
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]

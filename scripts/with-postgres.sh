#!/usr/bin/env bash
# Run a command with GOVHUB_TEST_DATABASE_URL pointing at a PostgreSQL server the test suite may use.
#
#   scripts/with-postgres.sh COMMAND [ARG...]   run COMMAND with GOVHUB_TEST_DATABASE_URL exported
#   scripts/with-postgres.sh                    only check: connect to the chosen URL and print it
#
# Which server, by GOVHUB_TEST_POSTGRES:
#   auto (default)  GOVHUB_TEST_DATABASE_URL if it is set; else the server on 127.0.0.1:5432 as
#                   postgresql://postgres@127.0.0.1:5432/test if it answers and that role can create
#                   databases; else a throwaway cluster, as below.
#   throwaway       always a throwaway cluster: initdb into a temporary directory, started on a free
#                   127.0.0.1 port with trust authentication and a database `test`, and stopped and
#                   deleted when this script exits (also on failure or Ctrl-C). Installs the Debian
#                   `postgresql` package with apt when initdb is missing. As root, the cluster runs as
#                   the `postgres` user (initdb refuses to run as root).
#   existing        GOVHUB_TEST_DATABASE_URL, or the server on 127.0.0.1:5432; fail if neither works.
# The exit status is COMMAND's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=${GOVHUB_TEST_POSTGRES:-auto}
LOCAL_URL=postgresql://postgres@127.0.0.1:5432/test
VENV_PYTHON=.venv/bin/python

say() { echo "with-postgres: $*" >&2; }

# Can we connect to $1, and may its role create databases (the suite makes one per xdist worker)?
can_use() {
  local url=$1 answer=""
  local query="select rolsuper or rolcreatedb from pg_roles where rolname = current_user"
  if command -v psql >/dev/null 2>&1; then
    answer=$(PGCONNECT_TIMEOUT=5 psql "$url" -XAtq -c "$query" 2>/dev/null) || return 1
  elif [[ -x $VENV_PYTHON ]]; then
    answer=$("$VENV_PYTHON" - "$url" "$query" 2>/dev/null <<'PY'
import sys

import psycopg

with psycopg.connect(sys.argv[1], connect_timeout=5) as connection:
    print("t" if connection.execute(sys.argv[2]).fetchone()[0] else "f")
PY
    ) || return 1
  else
    say "neither psql nor $VENV_PYTHON (run 'make install') is available to check $url"
    return 1
  fi
  if [[ $answer != t ]]; then
    say "$(redact "$url") connects, but its role may not create databases"
    return 1
  fi
}

redact() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

local_server_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432 -t 3
  else
    can_use "$LOCAL_URL"
  fi
}

# ---- throwaway cluster -------------------------------------------------------------------------

PG_DIR=""
PG_BIN=""
AS_PG=()

find_pg_bin() {
  local candidate found=""
  # Debian keeps the server binaries out of PATH, one directory per major version; take the newest.
  for candidate in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    if [[ -x $candidate/initdb && -x $candidate/pg_ctl ]]; then found=$candidate; fi
  done
  if [[ -z $found ]] && command -v initdb >/dev/null 2>&1; then
    candidate=$(dirname "$(readlink -f "$(command -v initdb)")")
    if [[ -x $candidate/pg_ctl ]]; then found=$candidate; fi
  fi
  echo "$found"
}

install_postgresql() {
  local as_root=()
  if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then as_root=(sudo -n); else
      say "initdb is missing; install PostgreSQL (apt-get install postgresql) or set GOVHUB_TEST_DATABASE_URL"
      exit 1
    fi
  fi
  say "initdb is missing; installing the Debian postgresql package with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends postgresql
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# shellcheck disable=SC2329  # run by the EXIT trap
stop_throwaway() {
  [[ -n $PG_DIR ]] || return 0
  if [[ -f $PG_DIR/data/postmaster.pid ]]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || say "could not stop the throwaway cluster in $PG_DIR"
  fi
  rm -rf "$PG_DIR"
  say "stopped the throwaway cluster and removed $PG_DIR"
  PG_DIR=""
}

start_throwaway() {
  PG_BIN=$(find_pg_bin)
  if [[ -z $PG_BIN ]]; then
    install_postgresql
    PG_BIN=$(find_pg_bin)
    [[ -n $PG_BIN ]] || { say "initdb is still missing after installing postgresql"; exit 1; }
  fi

  trap stop_throwaway EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  PG_DIR=$(mktemp -d /tmp/govhub-pg.XXXXXX)
  if [[ $EUID -eq 0 ]]; then
    local user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    chown "$user" "$PG_DIR"
    AS_PG=(runuser -u "$user" --)
  fi

  say "initialising a throwaway cluster in $PG_DIR with $PG_BIN"
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }

  local port attempt
  for attempt in 1 2 3; do
    port=$(free_port)
    # Durability is worthless for a cluster deleted in a few minutes, and turning it off is much faster.
    # setsid: the server gets its own session, so a Ctrl-C meant for the tests does not shut it down
    # under them; the EXIT trap stops it.
    if "${AS_PG[@]}" setsid -w "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test
      URL=postgresql://postgres@127.0.0.1:$port/test
      say "throwaway cluster listening on 127.0.0.1:$port"
      return 0
    fi
    say "the throwaway cluster did not start on port $port (attempt $attempt); server log:"
    tail -n 20 "$PG_DIR/server.log" >&2 || true
  done
  exit 1
}

# ---- choose ------------------------------------------------------------------------------------

URL=""
case $MODE in
  auto | existing)
    if [[ -n ${GOVHUB_TEST_DATABASE_URL:-} ]]; then
      URL=$GOVHUB_TEST_DATABASE_URL
      say "using GOVHUB_TEST_DATABASE_URL ($(redact "$URL"))"
    elif local_server_answers && can_use "$LOCAL_URL"; then
      URL=$LOCAL_URL
      say "using the server on 127.0.0.1:5432 ($URL)"
    elif [[ $MODE == existing ]]; then
      say "GOVHUB_TEST_POSTGRES=existing, but GOVHUB_TEST_DATABASE_URL is unset and $LOCAL_URL does not work"
      exit 1
    else
      say "no usable server on 127.0.0.1:5432; starting a throwaway cluster"
      start_throwaway
    fi
    ;;
  throwaway)
    start_throwaway
    ;;
  *)
    say "GOVHUB_TEST_POSTGRES must be auto, throwaway or existing, not '$MODE'"
    exit 2
    ;;
esac

export GOVHUB_TEST_DATABASE_URL=$URL

if [[ $# -eq 0 ]]; then
  if can_use "$URL"; then
    say "connected to $(redact "$URL") and its role may create databases"
    echo "$URL"
    exit 0
  fi
  say "cannot use $(redact "$URL")"
  exit 1
fi

# Not exec: the EXIT trap must still run to remove a throwaway cluster.
status=0
"$@" || status=$?
exit "$status"

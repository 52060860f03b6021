# cluster.sh: a throwaway PostgreSQL 15 cluster for one test, sourced by the
# tests in this folder.
#
#   pg_cluster_start   initdb into a new temporary directory, start it with
#                      a Unix socket only (listen_addresses=''), as an
#                      unprivileged user when run as root (initdb refuses
#                      root: user nobody). Sets PG_DIR, PG_SOCK, PG_PORT and
#                      PG_BIN; the bootstrap superuser has the name of the
#                      user running the test, trusted over the socket.
#   pg_url DB          a postgresql:// URL of database DB in that cluster.
#   pg_createdb DB     creates database DB (encoding UTF8, locale C).
#   pg_cluster_stop    stops the server (immediate) and removes the directory;
#                      installed as an EXIT trap by pg_cluster_start, so it
#                      runs also when a test fails.
# The server runs with fsync off (tests need no durability) unless PG_FSYNC=on;
# PG_OPTIONS adds server options ("-c name=value ...").
#
# Debian's system cluster (pg_ctlcluster, port 5432, /var/run/postgresql) is
# never used: every client is given this socket directory explicitly.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as_owner() {
  if [[ $(id -u) == 0 ]]; then
    # From a directory nobody may enter (the checkout may be under /root).
    (cd "$PG_DIR" && runuser -u nobody -- "$@")
  else
    "$@"
  fi
}

pg_cluster_stop() {
  if [[ -n ${PG_DIR:-} && -d $PG_DIR ]]; then
    if [[ -f $PG_DIR/data/postmaster.pid ]]; then
      pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
  fi
}

pg_cluster_start() {
  if [[ ! -x $PG_BIN/initdb ]]; then
    echo "pg: $PG_BIN/initdb not found (Debian package postgresql-15)" >&2
    exit 1
  fi
  PG_DIR=$(mktemp -d /tmp/pftls-pg.XXXXXX)
  trap pg_cluster_stop EXIT
  trap 'exit 1' TERM INT HUP  # the EXIT trap then stops the cluster
  chmod 755 "$PG_DIR"
  PG_SOCK=$PG_DIR/sock
  mkdir -p "$PG_SOCK"
  # Any free port number will do: with no TCP listener it only names the socket.
  PG_PORT=$((20000 + RANDOM % 20000))
  local me
  me=$(id -un)
  if [[ $(id -u) == 0 ]]; then chown nobody "$PG_DIR" "$PG_SOCK"; fi
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$me" --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $PG_SOCK -p $PG_PORT -c fsync=${PG_FSYNC:-off} ${PG_OPTIONS:-}" start >/dev/null ||
    { cat "$PG_DIR/server.log" >&2; exit 1; }
}

pg_url() { echo "postgresql:///$1?host=$PG_SOCK&port=$PG_PORT"; }

pg_createdb() {
  "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -T template0 "$1"
}

pg_psql() {
  local db=$1
  shift
  "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"
}

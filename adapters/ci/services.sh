# Starts the Redis and PostgreSQL servers the adapters' tests use, on
# loopback, and exports OPENLIVENESS_REDIS_URL and OPENLIVENESS_POSTGRES_URL.
# Source it (". adapters/ci/services.sh") from a shell running as root or as
# the postgres user; the Debian packages redis-server and postgresql must be
# installed. Servers already answering on the ports are reused, so sourcing
# it twice is harmless. Throwaway settings: no persistence, fsync off, trust
# authentication on 127.0.0.1 only.

OL_REDIS_PORT=${OL_REDIS_PORT:-6390}
OL_PG_PORT=${OL_PG_PORT:-5433}
OL_PG_DIR=${OL_PG_DIR:-/tmp/openliveness-pg}

ol_start_services() {
  if ! redis-cli -h 127.0.0.1 -p "$OL_REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$OL_REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
      --save '' --appendonly no --logfile /tmp/openliveness-redis.log || return 1
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$OL_REDIS_PORT" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi

  local bin run=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "services.sh: PostgreSQL is not installed" >&2; return 1; }
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$OL_PG_PORT"; then
    if [ ! -f "$OL_PG_DIR/PG_VERSION" ]; then
      rm -rf "$OL_PG_DIR"
      mkdir -p "$OL_PG_DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$OL_PG_DIR"
      "${run[@]}" "$bin/initdb" -D "$OL_PG_DIR" -A trust -U postgres -E UTF8 >/dev/null || return 1
    fi
    "${run[@]}" "$bin/pg_ctl" -D "$OL_PG_DIR" -l "$OL_PG_DIR/server.log" -w -t 60 start \
      -o "-p $OL_PG_PORT -k $OL_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null || return 1
  fi

  export OPENLIVENESS_REDIS_URL="redis://127.0.0.1:$OL_REDIS_PORT/0"
  export OPENLIVENESS_POSTGRES_URL="postgres://postgres@127.0.0.1:$OL_PG_PORT/postgres?sslmode=disable"
}

ol_start_services || echo "services.sh: could not start the test servers; the adapters' tests will skip" >&2

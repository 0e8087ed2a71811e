#!/usr/bin/env bash
# Start the real services the `agent test --execute` tests use, on loopback, with known settings:
#   PostgreSQL 127.0.0.1:55432, user postgres (trust auth), database runbook_test
#   Redis      127.0.0.1:56379, no password
# Installs postgresql / redis-server with apt-get when missing. Safe to run twice (it reuses
# running servers). Meant to be sourced (`source .ci/services.sh`, as .ci/run does) so the
# exports below reach the tests; executing it also works and writes the same values to
# $RUNBOOK_SERVICES_ENV (default /tmp/runbook-agent-services/env) for a later `source`.

_rb_services() {
    local base=/tmp/runbook-agent-services
    local pg_port=55432 redis_port=56379
    mkdir -p "$base"

    local need=()
    command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
    command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
    if [ "${#need[@]}" -gt 0 ]; then
        echo "services.sh: installing ${need[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi

    # PostgreSQL refuses to run as root: run it as the postgres user on a private data directory.
    local pgbin
    pgbin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
    local pgdata=$base/pgdata
    local runas=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home "$base" postgres
        chown postgres "$base"
        runas=(runuser -u postgres --)
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; then
        if [ ! -s "$pgdata/PG_VERSION" ]; then
            rm -rf "$pgdata"
            "${runas[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust >/dev/null
        fi
        local start=("${runas[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$base/postgres.log" -w -t 30
            -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $base" start)
        # A machine restarted under a running server leaves a stale lock file: drop it and retry once.
        "${start[@]}" >/dev/null || { rm -f "$pgdata/postmaster.pid"; "${start[@]}" >/dev/null; }
    fi
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='runbook_test'" \
        | grep -q 1 || psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE runbook_test" >/dev/null

    if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
        redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
            --logfile "$base/redis.log" --dir "$base" >/dev/null
        for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi

    export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres PGDATABASE=runbook_test
    export REDIS_URL=redis://127.0.0.1:$redis_port/0
    local envfile=${RUNBOOK_SERVICES_ENV:-$base/env}
    printf 'export PGHOST=%s PGPORT=%s PGUSER=%s PGDATABASE=%s REDIS_URL=%s\n' \
        "$PGHOST" "$PGPORT" "$PGUSER" "$PGDATABASE" "$REDIS_URL" > "$envfile"
    echo "services.sh: PostgreSQL on $PGHOST:$PGPORT, Redis at $REDIS_URL (env in $envfile)" >&2
}
_rb_services
unset -f _rb_services

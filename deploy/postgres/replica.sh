#!/bin/bash
# The read replica's start: copy the primary once (pg_basebackup, which also
# writes standby.signal and the connection to follow), then run PostgreSQL as a
# hot standby. Its data folder is its own volume; drop it to copy afresh.
set -euo pipefail
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
  echo "Set REPLICATION_PASSWORD (the same as when db was first created)." >&2
  exit 1
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -p 5432 -q; do sleep 1; done
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres \
    pg_basebackup -h db -p 5432 -U replicator -D "$PGDATA" -R -X stream
fi
exec docker-entrypoint.sh postgres -c hot_standby=on

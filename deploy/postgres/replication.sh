#!/bin/bash
# Run once by the official postgres image when the primary's data folder is
# created (/docker-entrypoint-initdb.d): a role the read replica streams with,
# allowed to connect for replication. Nothing is done without a password.
set -euo pipefail
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
  echo "REPLICATION_PASSWORD is empty: no replication role created."
  exit 0
fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

#!/usr/bin/env bash
# Make sure a PostgreSQL answers on 127.0.0.1:5432 with a database "test"
# that the user "postgres" reaches without a password, as the tests expect
# (override with GISIAAS_TEST_POSTGRES_URL). Idempotent; installs PostgreSQL
# from Debian's packages when it is missing.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if [ -n "${GISIAAS_TEST_POSTGRES_URL:-}" ]; then
  echo "using GISIAAS_TEST_POSTGRES_URL"; exit 0
fi
if ! command -v pg_ctlcluster >/dev/null; then
  echo "installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  # Loopback only, trust for the test user: this server exists for tests.
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
fi
if ! ready; then
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  echo "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
echo "PostgreSQL ready on 127.0.0.1:5432"

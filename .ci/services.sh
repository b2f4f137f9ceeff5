# Sourced by .ci/run: a real PostgreSQL server on 127.0.0.1 for the multi-worker search test.
# Skipped (the test then skips) when the Debian package cannot be installed.
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || true
fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | grep -q "^$ver main"; then pg_createcluster "$ver" main >/dev/null; fi
  pg_ctlcluster "$ver" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='snas') THEN CREATE ROLE snas LOGIN PASSWORD 'snas'; END IF; END \\\$\\\$;\"" >/dev/null 2>&1 || true
  su postgres -c "psql -q -c 'CREATE DATABASE snas_ci OWNER snas'" >/dev/null 2>&1 || true
  if pg_isready -q -h 127.0.0.1; then
    export SNAS_TEST_POSTGRES_URL="postgresql+psycopg2://snas:snas@127.0.0.1/snas_ci"
    echo "PostgreSQL ready for the multi-worker test"
  fi
fi
# Headless Chromium renders the HTML report in a test (skipped when unavailable).
if ! command -v chromium >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || true
fi

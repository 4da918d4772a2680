#!/usr/bin/env bash
# Make sure PostgreSQL with PostGIS answers at RISKMAP_DATABASE_URL.
# On Debian/Ubuntu as root it installs and starts what is missing; elsewhere it says what to do.
set -euo pipefail

URL="${RISKMAP_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/riskmap}"
read -r HOST PORT DBUSER < <(python3 - "$URL" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1].replace("+psycopg", "").replace("+psycopg2", ""))
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres")
PY
)
LOCAL=0; case "$HOST" in 127.0.0.1|localhost|::1) LOCAL=1;; esac
IS_DEBIAN_ROOT=0; [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && IS_DEBIAN_ROOT=1

say() { echo "ensure-db: $*"; }
advice() {
  cat >&2 <<MSG
ensure-db: PostgreSQL with PostGIS is not reachable at $HOST:$PORT ($1).
  Debian/Ubuntu:  sudo apt-get install postgresql postgresql-15-postgis-3 postgresql-15-pgrouting
                  sudo pg_ctlcluster 15 main start
  Docker:         docker compose -f docker/compose.yaml up -d db
  Elsewhere:      point RISKMAP_DATABASE_URL at a PostgreSQL >= 13 with PostGIS 3.
MSG
  exit 1
}

apt_install() {
  if [ ! -f /var/lib/apt/lists/.riskmap-updated ] || [ -n "$(find /var/lib/apt/lists/.riskmap-updated -mmin +1440 2>/dev/null)" ]; then
    apt-get update -qq && touch /var/lib/apt/lists/.riskmap-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

if ! command -v pg_isready >/dev/null; then
  if [ "$IS_DEBIAN_ROOT" = 1 ] && [ "$LOCAL" = 1 ]; then
    say "installing PostgreSQL client and server with apt"; apt_install postgresql postgresql-client
  else
    advice "no PostgreSQL client tools (pg_isready) on this machine"
  fi
fi

if ! ready; then
  if [ "$LOCAL" = 1 ] && [ "$IS_DEBIAN_ROOT" = 1 ] && command -v pg_lsclusters >/dev/null; then
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
      say "no PostgreSQL cluster; installing one"; apt_install postgresql
    fi
    while read -r ver name port status _; do
      if [ "$port" = "$PORT" ] && [ "$status" != online ]; then
        say "starting cluster $ver/$name"
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
      fi
    done < <(pg_lsclusters -h)
    for _ in $(seq 1 30); do ready && break; sleep 1; done
  fi
  ready || advice "nothing answers"
fi

has_postgis() {
  psql -h "$HOST" -p "$PORT" -U "$DBUSER" -d postgres -tAc \
    "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'" 2>/dev/null | grep -q 1
}
if ! has_postgis; then
  if [ "$LOCAL" = 1 ] && [ "$IS_DEBIAN_ROOT" = 1 ]; then
    VER=$(psql -h "$HOST" -p "$PORT" -U "$DBUSER" -d postgres -tAc "SHOW server_version_num" | cut -c1-2)
    say "installing PostGIS and pgRouting for PostgreSQL $VER with apt"
    apt_install "postgresql-$VER-postgis-3" "postgresql-$VER-pgrouting"
  fi
  has_postgis || advice "the server has no PostGIS extension"
fi
say "PostgreSQL with PostGIS is ready at $HOST:$PORT"

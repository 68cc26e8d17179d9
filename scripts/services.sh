#!/usr/bin/env bash
# Make PostgreSQL and Redis answer on 127.0.0.1 and create the app's database.
# Does nothing when they already answer; starts them when installed but stopped; installs
# them (and Chromium for browser tests) with apt-get on a fresh Debian machine.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
DB_NAME=${DB_NAME:-tsunagu}
REDIS_PORT=${REDIS_PORT:-6379}
export PGHOST PGPORT PGUSER

log() { printf 'services: %s\n' "$*"; }

apt_updated=""
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

pg_answers() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
redis_answers() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_answers; then
    return
  fi
  if ! command -v pg_ctlcluster >/dev/null; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    log "no PostgreSQL cluster found"; exit 1
  fi
  # Local development machines: trust on loopback, as the python-svc machines are set up.
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
  fi
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
  pg_answers || { log "PostgreSQL did not come up"; exit 1; }
}

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_answers; then
    return
  fi
  if ! command -v redis-server >/dev/null; then
    log "installing Redis"
    apt_install redis-server
  fi
  log "starting Redis on port $REDIS_PORT"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile "/var/log/redis/tsunagu-$REDIS_PORT.log" \
    --pidfile "/var/lib/redis/tsunagu-$REDIS_PORT.pid"
  for _ in $(seq 1 30); do redis_answers && break; sleep 0.2; done
  redis_answers || { log "Redis did not come up"; exit 1; }
}

ensure_database() {
  if ! psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
    log "creating database $DB_NAME"
    createdb "$DB_NAME"
  fi
}

ensure_chromium() {
  # Browser journeys drive Debian's chromium; never a downloaded browser build.
  if ! command -v chromium >/dev/null; then
    log "installing Chromium for browser tests"
    apt_install chromium || log "Chromium could not be installed; browser tests will fail"
  fi
  # A Japanese font, or printed pages (the case record's PDF) come out as empty boxes.
  if ! fc-list :lang=ja 2>/dev/null | grep -q .; then
    log "installing a Japanese font for printing"
    apt_install fonts-noto-cjk || log "fonts-noto-cjk could not be installed; printed PDFs lack Japanese text"
  fi
  # The timeline's marks (🌱 a first contact) in screenshots and printed pages.
  if ! fc-list 2>/dev/null | grep -qi "color emoji"; then
    log "installing an emoji font"
    apt_install fonts-noto-color-emoji || log "fonts-noto-color-emoji could not be installed; emoji print as boxes"
  fi
}

ensure_checkers() {
  # The browser tests check every page with axe-core and the Nu HTML Checker: Node.js and
  # npm install them (package.json, `make deps`), Java runs the checker.
  command -v npm >/dev/null || apt_install nodejs npm || log "npm could not be installed"
  command -v java >/dev/null || apt_install default-jre-headless || log "Java could not be installed"
}

ensure_gettext() {
  command -v msgfmt >/dev/null || apt_install gettext
}

ensure_postgres
ensure_redis
ensure_database
ensure_gettext
if [ "${WITH_CHROMIUM:-1}" = "1" ]; then ensure_chromium; ensure_checkers; fi
log "PostgreSQL and Redis answer"

#!/usr/bin/env bash
# The README's second command: install what the tests need, make sure PostgreSQL and Redis are up
# on loopback (starting or installing them), then run lint and every test.
# The S3-compatible server (moto) is started by the tests themselves on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else "$@"; fi; }
apt_install() {
  if ! have apt-get; then
    echo "hadir tests: '$*' is missing and this system has no apt-get; install it with your package manager" >&2
    exit 1
  fi
  say "installing $* (apt-get)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

say "python environment (uv)"
if ! have uv; then python3 -m pip install -q uv; fi
uv sync --frozen 2>/dev/null || uv sync

say "PostgreSQL on 127.0.0.1:5432"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1
  fi
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL is up but user 'postgres' cannot connect from 127.0.0.1 without a password;" \
       "the tests expect trust auth on loopback (or set HADIR_TEST_PG to a DSN that works)" >&2
  exit 1
fi

say "Redis on 127.0.0.1:6379"
if ! (have redis-cli && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  if ! have redis-server; then apt_install redis-server; fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/hadir-test.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
fi

say "Chromium for the PWA browser tests"
if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi

say "lint"
uv run ruff check .
uv run ruff format --check .

say "tests"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
uv run pytest "$@"

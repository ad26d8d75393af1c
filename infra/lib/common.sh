# Shared by infra/test.sh and infra/demo.sh (sourced, not run). Each function is small enough to
# try on its own: `bash -c 'source infra/lib/common.sh; ensure_uv; echo "$UV"'`.

say() { printf '\n== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else "$@"; fi; }

# Run a command as the `postgres` system user (peer authentication over the local socket).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" = 0 ] && have runuser; then runuser -u postgres -- "$@"
  elif [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else sudo -u postgres -- "$@"
  fi
}

# uv: the one on PATH, else one in a virtual environment of its own under .tools/ (gitignored).
# Never `python3 -m pip install uv` into the system Python: Debian 12 refuses it (PEP 668).
# Sets UV to the executable.
ensure_uv() {
  if have uv; then UV=$(command -v uv); return; fi
  local venv=.tools/uv-venv
  if [ ! -x "$venv/bin/uv" ]; then
    say "installing uv into $venv (a virtual environment of its own)"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      if have apt-get; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      fi
      python3 -m venv "$venv" || { echo "hadir: python3 -m venv failed; install python3-venv" >&2; exit 1; }
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check uv
  fi
  # .tools/bin holds only uv, so that putting it on PATH brings no other python or pip along.
  mkdir -p .tools/bin && ln -sfn ../uv-venv/bin/uv .tools/bin/uv
  UV=$PWD/.tools/bin/uv
}

# A DSN for the tests' PostgreSQL admin connection (they create and drop a database per run).
# 1. HADIR_TEST_PG if set; 2. `postgres` without a password on 127.0.0.1 (trust), as on a
# developer machine; 3. otherwise (a fresh Debian install: scram on 127.0.0.1, peer on the
# socket) the role `hadir_test` (LOGIN CREATEDB, no superuser) is created or its password reset
# through the `postgres` system user over the socket; the password is kept in
# .tools/pg-test-password (mode 600, gitignored). pg_hba.conf is not touched.
# Args: host port. Prints the DSN.
test_pg_dsn() {
  local host=$1 port=$2
  if [ -n "${HADIR_TEST_PG:-}" ]; then printf '%s\n' "$HADIR_TEST_PG"; return; fi
  local trusted="postgresql://postgres@$host:$port/postgres"
  if psql -w "$trusted" -Atc 'select 1' >/dev/null 2>&1; then printf '%s\n' "$trusted"; return; fi
  local file=.tools/pg-test-password password
  mkdir -p .tools
  if [ ! -s "$file" ]; then
    (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$file")
  fi
  password=$(cat "$file")
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >/dev/null <<SQL || return 1
SELECT 'CREATE ROLE hadir_test' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hadir_test')
\gexec
ALTER ROLE hadir_test WITH LOGIN CREATEDB NOSUPERUSER PASSWORD '$password';
SQL
  local dsn="postgresql://hadir_test:$password@$host:$port/postgres"
  psql -w "$dsn" -Atc 'select 1' >/dev/null 2>&1 || return 1
  printf '%s\n' "$dsn"
}

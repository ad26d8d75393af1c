#!/usr/bin/env bash
# The README's first command: set up on a fresh machine and run hadir on its embedded default
# (SQLite file, objects on local disk, jobs in-process) with the seeded demo regency.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/lib/common.sh
ensure_uv
"$UV" sync --frozen 2>/dev/null || "$UV" sync
exec "$UV" run hadir run --demo

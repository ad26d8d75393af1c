#!/usr/bin/env bash
# The README's first command: set up on a fresh machine and run hadir on its embedded default
# (SQLite file, objects on local disk, jobs in-process) with the seeded demo regency.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then python3 -m pip install -q uv; fi
uv sync --frozen 2>/dev/null || uv sync
exec uv run hadir run --demo

#!/usr/bin/env bash
# Storage round-trip against a REAL MinIO (the tests use moto, which does not check request
# signatures the way MinIO does). Point HADIR_MINIO_* at a MinIO server and run:
#   HADIR_MINIO_ENDPOINT=127.0.0.1:9000 HADIR_MINIO_ACCESS_KEY=... HADIR_MINIO_SECRET_KEY=... \
#     bash infra/check-minio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HADIR_STORAGE=minio uv run python - <<'PY'
import asyncio
import httpx
from backend.core.settings import Settings
from backend.core.storage import open_store


async def main() -> None:
    settings = Settings.from_env(storage="minio")
    async with open_store(settings) as store:
        key = "health/check-minio.jpg"
        await store.put(key, b"\xff\xd8hadir\xff\xd9", "image/jpeg")
        assert await store.get(key) == b"\xff\xd8hadir\xff\xd9"
        url = await store.presigned_get_url(key, 60)
        assert httpx.get(url).content == b"\xff\xd8hadir\xff\xd9", "presigned GET failed"
        await store.delete(key)
        assert not await store.exists(key)
    print(f"MinIO at {settings.minio_endpoint}: put, get, presigned GET, delete all OK")


asyncio.run(main())
PY

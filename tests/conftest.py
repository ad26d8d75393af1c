"""Fixtures over real parts: PostgreSQL, Redis, an S3 server driven through the minio SDK, and
the schema built by running the real migrations. Unit tests use none of them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from minio import Minio

from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.gerai.demo import seed_gerai
from tests.support import services as real
from tests.support.factories import login

TABLES_SQL = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"

# Emptied before each test that asks for `clean`, children first. Domains add theirs here.
CLEANED_TABLES = (
    "core_outbox",
    "push_notification",
    "permits_permit",
    "attendance_day",
    "push_subscription",
    "attendance_review",
    "faces_photo_access",
    "faces_reference",
    "gerai_alert",
    "ratings_rating",
    "ratings_day",
    "board_day",
    "board_count",
    "board_teguran_log",
    "board_teguran",
    "cctv_exit",
    "cctv_seen",
    "cctv_alert",
    "cctv_snapshot",
    "cctv_camera",
    "core_audit",
    "kiosk_capture",
    "kiosk_kiosk",
    "devices_chain_link",
    "devices_device",
    "attestations_attestation",
)


_DEMO_HASH: list[str] = []


async def restore_demo_passwords() -> None:
    """An admin's password reset (the policy matrix walks it) leaves a demo account with a
    one-time password: give it the demo password back, active, for the tests after it."""
    from backend.core.auth import hash_password
    from backend.org import demo_data
    from backend.org.tables import Employee

    if not _DEMO_HASH:
        _DEMO_HASH.append(hash_password(demo_data.DEMO_PASSWORD))
    await Employee.update(
        {Employee.password_hash: _DEMO_HASH[0], Employee.must_change_password: False}
    ).where(
        Employee.nip.is_in([e.nip for e in demo_data.EMPLOYEES])
        & (Employee.must_change_password.eq(True))
    )


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with real.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    async with real.database(f"hadir_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hadir")


@pytest.fixture(scope="session")
async def redis_url() -> AsyncIterator[str]:
    async with real.redis_database() as url:
        yield url


@pytest.fixture(scope="session")
def settings(pg_url: str, s3_endpoint: str, session_dir: Path, redis_url: str) -> Settings:
    """Production-shaped settings: PostgreSQL, S3 via minio, arq on Redis."""
    return Settings(
        data_dir=str(session_dir),
        database_url=pg_url,
        database_pool_size=10,
        storage="minio",
        minio_endpoint=s3_endpoint,
        minio_bucket="hadir-test",
        redis_url=redis_url,
        secret_key="test-secret-key-test-secret-key-0123456789",
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> Settings:
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        await seed_gerai()
    return settings


@pytest.fixture
async def clean(migrated: Settings) -> Settings:
    """Each test starts with no check-ins, no enrolled faces and an empty job queue."""
    async with open_engine(migrated) as engine:
        existing = {row["name"] for row in await engine.run_ddl(TABLES_SQL)}
        for table in CLEANED_TABLES:
            if table in existing:
                await engine.run_ddl(f"DELETE FROM {table}")
        await engine.run_ddl("DELETE FROM attendance_checkin")
        # The demo gerai stay (seeded once), but not what cameras and the watch said of them.
        if "gerai_gerai" in existing:
            await engine.run_ddl(
                "UPDATE gerai_gerai SET load = NULL, load_at = NULL, empty_since = NULL"
            )
        await restore_demo_passwords()
    s3 = Minio(migrated.minio_endpoint, access_key="test", secret_key="test", secure=False)
    if s3.bucket_exists(migrated.minio_bucket):
        for item in s3.list_objects(migrated.minio_bucket, recursive=True):
            s3.remove_object(migrated.minio_bucket, item.object_name)
    redis = aioredis.from_url(migrated.redis_url)
    for key in [*await redis.keys("arq:*"), *await redis.keys("hadir:login:*")]:
        await redis.delete(key)
    await redis.aclose()
    return migrated


@pytest.fixture
async def db(clean: Settings) -> AsyncIterator[Settings]:
    """The test database bound to the tables, for tests that call services without the app."""
    async with open_engine(clean):
        yield clean


@pytest.fixture
def app(clean: Settings) -> Litestar:
    return create_app(clean, face_executor=lambda: None)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with real.asgi_client(app) as client:
        yield client


@pytest.fixture
async def teacher(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client)


@pytest.fixture(scope="session")
def server_env(migrated: Settings, session_dir: Path) -> dict[str, str]:
    """Environment for a live granian server on the test database and S3, jobs in-process."""
    return {
        "HADIR_DATA_DIR": str(session_dir),
        "HADIR_DATABASE_URL": migrated.database_url,
        "HADIR_STORAGE": "minio",
        "HADIR_MINIO_ENDPOINT": migrated.minio_endpoint,
        "HADIR_MINIO_BUCKET": migrated.minio_bucket,
        "HADIR_SECRET_KEY": migrated.secret_key,
        "HADIR_REDIS_URL": "",
    }

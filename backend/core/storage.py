"""Object storage for selfies, reference photos and CCTV snapshots.

One small interface, two implementations: files on local disk (the embedded default) and any
S3-compatible server through the `minio` SDK (MinIO in production; an S3 server on loopback in
tests). Photos are only ever handed to browsers as short-lived presigned URLs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

import anyio.to_thread
from minio import Minio
from minio.error import S3Error

from backend.core.errors import NotFound
from backend.core.settings import Settings


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...
    async def presigned_get_url(self, key: str, expires_s: int) -> str:
        """A short-lived URL of this app's own origin (`/api/v1/objects/...`) for the object.

        Same-origin on purpose: the PWA's CSP allows images from 'self' only, and MinIO's own
        presigned URLs would name another origin (and its internal address)."""
        ...

    def verify(self, key: str, expires: int, signature: str) -> bool: ...
    async def ping(self) -> None: ...


def _checked_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key:
        raise ValueError(f"bad object key {key!r}")
    return key


class SignedLinks:
    """HMAC-signed, expiring links to objects, served by the app's object route."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def verify(self, key: str, expires: int, signature: str) -> bool:
        return expires >= time.time() and hmac.compare_digest(
            self.signature(key, expires), signature
        )

    async def presigned_get_url(self, key: str, expires_s: int) -> str:
        expires = int(time.time()) + expires_s
        query = urlencode({"expires": expires, "signature": self.signature(key, expires)})
        return f"/api/v1/objects/{quote(_checked_key(key))}?{query}"


class LocalDiskStore(SignedLinks):
    """Objects as files under one folder."""

    def __init__(self, root: Path, secret: str) -> None:
        super().__init__(secret)
        self.root = root
        self._folders: set[Path] = set()  # made already: one mkdir per day folder, not per photo

    def _path(self, key: str) -> Path:
        return self.root / _checked_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        # Write then rename, so a reader never sees half a photo.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:  # the folder was removed behind our back
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        tmp.replace(path)

    async def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("Berkas tidak ditemukan") from exc

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # A name of its own per probe: concurrent health checks must not unlink each other's.
        probe = self.root / f".health.{os.getpid()}.{time.monotonic_ns()}"
        probe.write_bytes(b"ok")
        probe.unlink()


class MinioStore(SignedLinks):
    """MinIO (or any S3-compatible server) through the `minio` SDK, whose calls block: each one
    runs in a worker thread."""

    def __init__(self, client: Minio, bucket: str, secret: str) -> None:
        super().__init__(secret)
        self.client = client
        self.bucket = bucket

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.put_object(
                self.bucket,
                _checked_key(key),
                io.BytesIO(data),
                len(data),
                content_type=content_type,
            )
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(self.bucket, _checked_key(key))
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        try:
            return await anyio.to_thread.run_sync(read)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise NotFound("Berkas tidak ditemukan") from exc
            raise

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.remove_object(self.bucket, _checked_key(key))
        )

    async def exists(self, key: str) -> bool:
        def stat() -> bool:
            try:
                self.client.stat_object(self.bucket, _checked_key(key))
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return False
                raise
            return True

        return await anyio.to_thread.run_sync(stat)

    async def ping(self) -> None:
        if not await anyio.to_thread.run_sync(lambda: self.client.bucket_exists(self.bucket)):
            raise RuntimeError(f"bucket {self.bucket!r} does not exist")

    async def ensure_bucket(self) -> None:
        def make() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

        await anyio.to_thread.run_sync(make)


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[ObjectStore]:
    """The configured store, checked at start-up so a wrong endpoint fails loudly."""
    if settings.storage == "local":
        store: ObjectStore = LocalDiskStore(settings.data_path / "objects", settings.secret_key)
    elif settings.storage == "minio":
        minio_store = MinioStore(
            Minio(
                settings.minio_endpoint,
                access_key=settings.minio_access_key,
                secret_key=settings.minio_secret_key,
                secure=settings.minio_secure,
                region=settings.minio_region,
            ),
            settings.minio_bucket,
            settings.secret_key,
        )
        await minio_store.ensure_bucket()
        store = minio_store
    else:
        raise ValueError(f"HADIR_STORAGE must be 'local' or 'minio', not {settings.storage!r}")
    await store.ping()
    yield store

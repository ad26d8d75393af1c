"""Object storage for selfies, reference photos and CCTV snapshots.

One small interface, two implementations: files on local disk (the embedded default) and any
S3-compatible server through the `minio` SDK (MinIO in production; an S3 server on loopback in
tests). Photos are only ever handed to browsers as short-lived presigned URLs.

Every call is bounded by `storage_timeout_s` as a whole (the SDK's connect and read timeouts
and its few retries included): a store that is down or hung raises `Unavailable` (503 with
Retry-After) within seconds instead of holding a request, and the caller's client sends again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import quote, urlencode

import anyio
import anyio.to_thread
import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from backend.core.errors import NotFound, Unavailable
from backend.core.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a store that is down, unreachable or too slow raises: our own deadline and socket
# timeouts (TimeoutError), socket errors, urllib3 giving up after its retries, an S3 server
# answering 5xx or something that is not S3 (a proxy's error page).
UNREACHABLE: tuple[type[BaseException], ...] = (
    TimeoutError,
    OSError,
    urllib3.exceptions.HTTPError,
    ServerError,
    InvalidResponseError,
)
# Idle connections to the S3 server kept for reuse: about anyio's worker threads (40), so a busy
# morning does not open a new connection per selfie.
S3_CONNECTIONS = 40


async def bounded(work: Callable[[], T], timeout_s: float) -> T:
    """Run a blocking storage call in a worker thread, giving up on it after `timeout_s`.

    A thread cannot be stopped: one given up on is left to end at its socket timeout, while the
    request answers 503 now."""
    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except UNREACHABLE as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        why = f"no answer within {timeout_s} s" if isinstance(exc, TimeoutError) else repr(exc)
        log.warning("object storage failed: %s", why)
        raise Unavailable("Penyimpanan sedang bermasalah; coba lagi sebentar lagi") from exc


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

    def __init__(self, root: Path, secret: str, *, timeout_s: float = 5.0) -> None:
        super().__init__(secret)
        self.root = root
        self.timeout_s = timeout_s
        self._folders: set[Path] = set()  # made already: one mkdir per day folder, not per photo

    def _path(self, key: str) -> Path:
        return self.root / _checked_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
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

        # In a thread, bounded: a full or hung disk (a network mount) answers 503, not a hang.
        await bounded(write, self.timeout_s)

    async def get(self, key: str) -> bytes:
        try:
            return await bounded(self._path(key).read_bytes, self.timeout_s)
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
    runs in a worker thread, bounded by `timeout_s` as a whole."""

    def __init__(self, client: Minio, bucket: str, secret: str, *, timeout_s: float = 5.0) -> None:
        super().__init__(secret)
        self.client = client
        self.bucket = bucket
        self.timeout_s = timeout_s

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        def write() -> None:
            self.client.put_object(
                self.bucket,
                _checked_key(key),
                io.BytesIO(data),
                len(data),
                content_type=content_type,
            )

        try:
            await bounded(write, self.timeout_s)
        except S3Error as exc:
            if exc.code != "NoSuchBucket":
                raise
            # Removed behind our back (an operator, a lifecycle rule, a wiped test server): make
            # it again rather than answer 503 until someone notices.
            log.warning("bucket %r disappeared; making it again", self.bucket)
            await self.ensure_bucket()
            await bounded(write, self.timeout_s)

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(self.bucket, _checked_key(key))
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        try:
            return await bounded(read, self.timeout_s)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket"):
                raise NotFound("Berkas tidak ditemukan") from exc
            raise

    async def delete(self, key: str) -> None:
        await bounded(
            lambda: self.client.remove_object(self.bucket, _checked_key(key)), self.timeout_s
        )

    async def exists(self, key: str) -> bool:
        def stat() -> bool:
            try:
                self.client.stat_object(self.bucket, _checked_key(key))
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound", "NoSuchBucket"):
                    return False
                raise
            return True

        return await bounded(stat, self.timeout_s)

    async def ping(self) -> None:
        if not await bounded(lambda: self.client.bucket_exists(self.bucket), self.timeout_s):
            raise RuntimeError(f"bucket {self.bucket!r} does not exist")

    async def ensure_bucket(self) -> None:
        def make() -> None:
            if self.client.bucket_exists(self.bucket):
                return
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:  # another process made it first
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

        await bounded(make, self.timeout_s)


def s3_http_client(settings: Settings) -> urllib3.PoolManager:
    """The SDK's own HTTP client but with timeouts of seconds, not its five minutes, and few
    retries: connections refused or reset and 5xx answers are tried again twice, quickly; a read
    that timed out is not (the whole call would outlast `storage_timeout_s`)."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(
            connect=settings.storage_timeout_s, read=settings.storage_timeout_s
        ),
        maxsize=S3_CONNECTIONS,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),  # as the SDK does
        retries=urllib3.Retry(
            total=2, read=0, backoff_factor=0.1, status_forcelist=[500, 502, 503, 504]
        ),
    )


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[ObjectStore]:
    """The configured store, checked at start-up so a wrong endpoint fails loudly."""
    if settings.storage == "local":
        store: ObjectStore = LocalDiskStore(
            settings.data_path / "objects",
            settings.secret_key,
            timeout_s=settings.storage_timeout_s,
        )
    elif settings.storage == "minio":
        minio_store = MinioStore(
            Minio(
                settings.minio_endpoint,
                access_key=settings.minio_access_key,
                secret_key=settings.minio_secret_key,
                secure=settings.minio_secure,
                region=settings.minio_region,
                http_client=s3_http_client(settings),
            ),
            settings.minio_bucket,
            settings.secret_key,
            timeout_s=settings.storage_timeout_s,
        )
        await minio_store.ensure_bucket()
        store = minio_store
    else:
        raise ValueError(f"HADIR_STORAGE must be 'local' or 'minio', not {settings.storage!r}")
    await store.ping()
    yield store

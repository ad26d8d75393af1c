"""Frigate's live person counts over MQTT, fed to the queue load without decoding a frame.

Frigate publishes the number of people it currently tracks on `<prefix>/<camera>/person` and
`<prefix>/<zone>/person` (an integer payload, sent when it changes). `consume` subscribes to
`<prefix>/+/person` and hands each count to `Cctv.count_from_frigate`, which records it for every
`frigate` camera whose `frigate_camera` names that camera or zone.

It runs as one long-lived task in the worker process (`backend/worker.py` startup), never in the
api processes. The subscription is shared (MQTT 5 `$share/hadir/...`, Mosquitto 1.6+, EMQX):
with several worker processes the broker hands each count to one of them. A broker that is down
or drops the connection is retried with a doubling wait (1 s up to a minute); every call to the
broker is bounded by aiomqtt's timeout and every count's recording by `HANDLE_TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit

import aiomqtt

from backend.core.settings import Settings

log = logging.getLogger(__name__)

CountSink = Callable[[str, int, dt.datetime], Awaitable[int]]
BROKER_TIMEOUT_S = 10.0  # connect, subscribe, ping
HANDLE_TIMEOUT_S = 10.0  # recording one count (a few database statements)
MAX_WAIT_S = 60.0
MAX_PEOPLE = 10_000
SHARE_GROUP = "hadir"


def parse_count(topic: str, payload: bytes, prefix: str) -> tuple[str, int] | None:
    """(camera or zone, people) of a Frigate count message; None for anything else."""
    head, tail = f"{prefix.strip('/')}/", "/person"
    if not (topic.startswith(head) and topic.endswith(tail)):
        return None
    name = topic[len(head) : -len(tail)]
    if not name or "/" in name:
        return None
    try:
        people = int(payload.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None
    if not 0 <= people <= MAX_PEOPLE:
        return None
    return name, people


def broker(url: str) -> dict[str, object]:
    """aiomqtt.Client's keyword arguments for `mqtt://[user:pass@]host[:port]` (or `mqtts://`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"HADIR_MQTT_URL must be mqtt://host:port or mqtts://..., not {url!r}")
    tls = parts.scheme == "mqtts"
    return {
        "hostname": parts.hostname,
        "port": parts.port or (8883 if tls else 1883),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "tls_context": ssl.create_default_context() if tls else None,
    }


def retry_wait(failures: int) -> float:
    return min(MAX_WAIT_S, 2.0 ** max(0, failures - 1))


async def consume(
    settings: Settings, sink: CountSink, *, subscribed: asyncio.Event | None = None
) -> None:
    """Feed Frigate's counts to `sink` until cancelled, reconnecting whenever the broker goes."""
    options = broker(settings.mqtt_url)
    prefix = settings.mqtt_topic_prefix.strip("/")
    failures = 0
    while True:
        try:
            async with (
                aiomqtt.Client(
                    **options,  # type: ignore[arg-type]
                    identifier=f"hadir-{uuid.uuid4().hex[:12]}",
                    timeout=BROKER_TIMEOUT_S,
                    protocol=aiomqtt.ProtocolVersion.V5,
                    keepalive=30,
                ) as client
            ):
                # A shared subscription: with several worker processes, each count reaches one.
                await client.subscribe(f"$share/{SHARE_GROUP}/{prefix}/+/person", qos=0)
                log.info("mqtt: subscribed to %s/+/person", prefix)
                failures = 0
                if subscribed is not None:
                    subscribed.set()
                async for message in client.messages:
                    payload = message.payload
                    if not isinstance(payload, bytes | bytearray):
                        continue
                    count = parse_count(message.topic.value, bytes(payload), prefix)
                    if count is None:
                        continue
                    try:
                        async with asyncio.timeout(HANDLE_TIMEOUT_S):
                            await sink(count[0], count[1], dt.datetime.now(dt.UTC))
                    except Exception:
                        # One count lost; the next one (Frigate sends each change) carries on.
                        log.exception("mqtt: count %s from %s not recorded", count[1], count[0])
        except aiomqtt.MqttError as exc:
            failures += 1
            wait = retry_wait(failures)
            log.warning("mqtt: %s; connecting again in %.0f s", exc, wait)
            await asyncio.sleep(wait)

"""CCTV's plain rules: object keys, health, queue hysteresis, zones, camera definitions."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from backend.cctv import people
from backend.cctv.schemas import CameraCreate
from backend.cctv.service import (
    check_camera,
    hash_key,
    health_state,
    key_matches,
    new_key,
    object_key,
    officer_seen,
    queue_step,
)
from backend.core.errors import Invalid

WIB = dt.timezone(dt.timedelta(hours=7))


def test_object_keys_name_camera_and_utc_time_to_the_microsecond():
    at = dt.datetime(2026, 11, 30, 7, 5, 9, 42, tzinfo=WIB)
    assert object_key("CAM-1", at) == "cctv/CAM-1/2026/11/30/000509-000042.jpg"


def test_keys_are_hashed_and_checked():
    key = new_key()
    assert key_matches(key, hash_key(key))
    assert not key_matches(key + "x", hash_key(key))
    assert new_key() != key


def test_a_camera_is_dark_after_its_allowance_of_intervals():
    created = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    now = created + dt.timedelta(seconds=120)
    assert health_state(None, created, 30, 4, now) == "online"
    assert health_state(None, created, 30, 4, now + dt.timedelta(seconds=1)) == "dark"
    assert health_state(now, created, 30, 4, now + dt.timedelta(seconds=60)) == "online"


def run(counts: list[int], threshold: int = 5, open_after: int = 3, close_after: int = 2):
    above = below = 0
    is_open = False
    actions = []
    for people_now in counts:
        step = queue_step(
            people=people_now,
            threshold=threshold,
            above=above,
            below=below,
            is_open=is_open,
            open_after=open_after,
            close_after=close_after,
        )
        above, below = step.above, step.below
        is_open = (is_open or step.action == "open") and step.action != "close"
        actions.append(step.action)
    return actions


def test_queue_alerts_open_and_close_with_hysteresis():
    assert run([5, 6, 7, 2, 9, 1, 1]) == ["", "", "open", "", "", "", "close"]
    # A lone spike or a lone dip restarts the run instead of flapping the alert.
    assert run([6, 6, 1, 6, 6, 6]) == ["", "", "", "", "", "open"]
    assert run([6, 6, 6, 1, 6, 1, 1]) == ["", "", "open", "", "", "", "close"]
    assert run([4, 4, 4, 4]) == ["", "", "", ""]


def box(left: int, top: int, right: int, bottom: int, score: float = 1.0) -> people.Box:
    return people.Box(left=left, top=top, right=right, bottom=bottom, score=score)


def test_a_person_is_in_the_zone_by_the_bottom_centre_of_their_box():
    zone = people.zone_polygon([[0, 200], [300, 200], [300, 400], [0, 400]])
    feet_in = box(100, 50, 140, 250)
    head_in_feet_out = box(100, 250, 140, 450)
    beside = box(320, 200, 360, 300)
    assert people.in_zone([feet_in, head_in_feet_out, beside], zone) == 1
    assert people.in_zone([feet_in, head_in_feet_out, beside], None) == 3


def test_overlapping_detections_of_one_person_are_one():
    kept = people.suppress(
        [box(0, 0, 64, 128, 1.0), box(4, 6, 70, 136, 0.8), box(200, 0, 264, 128)]
    )
    assert len(kept) == 2 and kept[0].score == 1.0


def test_only_the_part_of_the_frame_a_person_in_the_zones_can_stand_in_is_searched():
    queue = people.zone_polygon([[300, 400], [500, 400], [500, 600], [300, 600]])
    desk = people.zone_polygon([[450, 200], [700, 200], [700, 300], [450, 300]])
    # From the top (bodies stand above their feet) to the lowest zone point (+8 px), across
    # the zones' width plus a quarter of the frame's height (half a frame-tall body) each side.
    assert people.search_area([queue], 1280, 720) == (120, 0, 680, 608)
    assert people.search_area([queue, desk], 1280, 720) == (120, 0, 880, 608)
    # No zone, or one camera zone unset: the whole frame.
    assert people.search_area([], 1280, 720) == (0, 0, 1280, 720)
    assert people.search_area([queue, None], 1280, 720) == (0, 0, 1280, 720)
    # Clipped to the frame.
    edge = people.zone_polygon([[0, 600], [100, 600], [100, 720], [0, 720]])
    assert people.search_area([edge], 1280, 720) == (0, 0, 280, 720)


def test_an_officer_counts_while_the_picture_that_showed_them_is_fresh():
    now = dt.datetime(2026, 12, 11, 3, 0, tzinfo=dt.UTC)
    allowance = dt.timedelta(seconds=180)
    assert officer_seen(1, now - dt.timedelta(seconds=180), now, allowance)
    assert officer_seen(2, now, now, allowance)
    assert not officer_seen(1, now - dt.timedelta(seconds=181), now, allowance)  # too old
    assert not officer_seen(0, now, now, allowance)  # the desk is empty
    assert not officer_seen(None, None, now, allowance)  # no officer zone, or never counted
    assert officer_seen(1, now + dt.timedelta(seconds=5), now, allowance)  # a clock ahead


def camera(**fields) -> CameraCreate:
    return msgspec.convert(
        {"code": "C1", "name": "c", "location_id": 1, "mode": "push", **fields}, CameraCreate
    )


def test_camera_definitions_follow_their_mode():
    check_camera(camera())
    check_camera(
        camera(mode="pull", snapshot_url="http://10.0.0.5/ISAPI/Streaming/channels/101/picture")
    )
    with pytest.raises(Invalid, match="snapshot_url"):
        check_camera(camera(mode="pull"))
    with pytest.raises(Invalid, match="snapshot_url"):
        check_camera(camera(mode="frigate", snapshot_url="ftp://nvr"))
    with pytest.raises(Invalid, match="zone"):
        check_camera(camera(zone=[[0, 0], [10, 10], [10, 0], [0, 10]]))
    with pytest.raises(Invalid, match="officer_zone"):
        check_camera(camera(officer_zone=[[0, 0], [10, 10], [10, 0], [0, 10]]))
    with pytest.raises(Invalid, match="frigate_officer_zone"):
        check_camera(camera(frigate_officer_zone="meja_1"))
    check_camera(camera(officer_zone=[[0, 0], [10, 0], [10, 10]]))
    with pytest.raises(msgspec.ValidationError):
        camera(code="a:b")


def test_a_failing_pull_camera_waits_twice_as_long_each_time_up_to_the_cap():
    from backend.cctv.pull import backoff_s

    assert [backoff_s(30, n, 900) for n in range(7)] == [30, 60, 120, 240, 480, 900, 900]
    assert backoff_s(30, 10_000, 900) == 900  # no overflow however long it stays dark


def test_pull_urls_for_a_camera_and_for_frigate():
    from backend.cctv.pull import snapshot_url

    cam = {"mode": "pull", "snapshot_url": "http://10.0.0.5/cgi-bin/snapshot.cgi"}
    assert snapshot_url(cam) == "http://10.0.0.5/cgi-bin/snapshot.cgi"
    nvr = {"mode": "frigate", "snapshot_url": "http://nvr:5000/", "frigate_camera": "loket_1"}
    assert snapshot_url(nvr) == "http://nvr:5000/api/loket_1/latest.jpg"


def test_the_pull_job_runs_every_five_seconds_on_arq_and_in_process():
    from backend.core.queue import schedule
    from backend.core.settings import Settings
    from backend.worker import SCHEDULE, worker_settings

    crons = {job.name: job for job in worker_settings(Settings())["cron_jobs"]}
    assert crons["cron:pull_cameras"].second == set(range(0, 60, 5))
    assert crons["cron:purge_snapshots"].second in (0, {0})
    entries = {job.__name__: schedule(entry) for entry in SCHEDULE for job in entry[:1]}
    assert entries["pull_cameras"][3] == set(range(0, 60, 5))
    assert entries["purge_snapshots"][3] == {0}


def test_frigate_count_messages_are_read_and_anything_else_ignored():
    from backend.cctv.mqtt import parse_count

    assert parse_count("frigate/loket_1/person", b"4", "frigate") == ("loket_1", 4)
    assert parse_count("frigate/zona_antre/person", b" 0\n", "frigate/") == ("zona_antre", 0)
    assert parse_count("site-a/frigate/loket_1/person", b"2", "site-a/frigate") == ("loket_1", 2)
    for topic, payload in [
        ("frigate/loket_1/person", b"banyak"),
        ("frigate/loket_1/person", b"-1"),
        ("frigate/loket_1/person", b"\xff"),
        ("frigate/loket_1/car", b"2"),
        ("frigate/loket_1/person/snapshot", b"2"),
        ("other/loket_1/person", b"2"),
        ("frigate//person", b"2"),
    ]:
        assert parse_count(topic, payload, "frigate") is None, topic


def test_the_broker_url_and_the_reconnect_wait():
    from backend.cctv.mqtt import broker, retry_wait

    plain = broker("mqtt://127.0.0.1:1883")
    assert plain["hostname"] == "127.0.0.1" and plain["port"] == 1883
    assert plain["tls_context"] is None and plain["username"] is None
    secure = broker("mqtts://hadir:rah%40sia@mqtt.kab.go.id")
    assert secure["port"] == 8883 and secure["tls_context"] is not None
    assert (secure["username"], secure["password"]) == ("hadir", "rah@sia")
    with pytest.raises(ValueError):
        broker("http://127.0.0.1:1883")
    assert [retry_wait(n) for n in (1, 2, 3, 7, 50)] == [1, 2, 4, 60, 60]

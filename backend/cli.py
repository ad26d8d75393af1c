"""The `hadir` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

import msgspec

from backend.core.settings import Settings


async def _migrate(settings: Settings) -> None:
    from backend.core.db import migrate, open_engine

    # Piccolo prints its progress; it goes to stderr so that a command's stdout is only its
    # report (`hadir seed-demo | jq`, `hadir export-geofences - > fences.geojson`).
    with contextlib.redirect_stdout(sys.stderr):
        async with open_engine(settings) as engine:
            await migrate(engine)


async def _seed(settings: Settings) -> None:
    from backend.core.db import open_engine
    from backend.demo import seed_demo
    from backend.gerai.demo import seed_gerai

    async with open_engine(settings):
        report = await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        gerai = await seed_gerai()
    print(
        msgspec.json.format(
            msgspec.json.encode({**msgspec.to_builtins(report), "gerai": gerai})
        ).decode()
    )


def _serve(settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        target="backend.asgi:app_from_env",
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_access=False,
    ).serve()


def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_migrate(settings))
    if args.demo:
        asyncio.run(_seed(settings))
        from backend.org.demo_data import DEMO_PASSWORD, EMPLOYEES

        first = EMPLOYEES[0]
        print(
            f"\nhadir is running at http://{settings.host}:{settings.port}\n"
            f"Demo login: NIP {first.nip} ({first.name}), password {DEMO_PASSWORD}\n"
            "Other demo accounts (BKD, kepala unit, command centre) are listed in README.md.\n",
            flush=True,
        )
    _serve(settings)


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    asyncio.run(_migrate(settings))


def cmd_seed_demo(settings: Settings, _: argparse.Namespace) -> None:
    asyncio.run(_migrate(settings))
    asyncio.run(_seed(settings))


def cmd_worker(settings: Settings, _: argparse.Namespace) -> None:
    from arq.worker import Worker

    from backend.worker import worker_settings

    if not settings.redis_url:
        sys.exit("hadir worker needs HADIR_REDIS_URL (without it jobs run inside the api process)")

    async def run() -> None:
        # arq's Worker binds asyncio primitives to the running loop when it is built: build it
        # inside the loop that runs it, or it fails with "attached to a different loop".
        worker = Worker(**worker_settings(settings))
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            # SIGTERM/SIGINT: arq's handler cancels its main task (and any job still running,
            # which stays queued and is picked up again). A normal stop, as in arq's own run().
            pass
        finally:
            await worker.close()

    asyncio.run(run())


def cmd_import_geofences(settings: Settings, args: argparse.Namespace) -> None:
    from backend.core.db import open_engine
    from backend.geofence.service import import_geojson

    data = Path(args.file).read_bytes()

    async def run() -> None:
        async with open_engine(settings):
            report = await import_geojson(
                data, default_max_accuracy_m=settings.default_max_accuracy_m
            )
        print(msgspec.json.format(msgspec.json.encode(report)).decode())
        if report.refused:
            sys.exit(1)

    asyncio.run(run())


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    """Bulk import of master data from CSV/XLSX: a dry run unless --apply."""
    from backend.core.errors import DomainError
    from backend.services import open_services

    data = Path(args.file).read_bytes()

    async def run() -> object:
        async with open_services(settings) as services:
            return await services.imports.run(
                args.kind, data, apply=args.apply, sheet=args.sheet, filename=args.file
            )

    try:
        report = asyncio.run(run())
    except DomainError as exc:
        sys.exit(f"hadir import: {exc.detail}")
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    passwords = report.passwords  # type: ignore[attr-defined]
    if args.handout and passwords:
        import datetime as dt

        from backend.imports.handout import handout_pages, handout_xlsx

        Path(args.handout).write_bytes(
            handout_xlsx(handout_pages(passwords), printed=dt.date.today())
        )
        print(f"hadir import: password handout written to {args.handout}", file=sys.stderr)
    if report.refused:  # type: ignore[attr-defined]
        sys.exit(1)


def cmd_export_geofences(settings: Settings, args: argparse.Namespace) -> None:
    from backend.core.db import open_engine
    from backend.geofence.service import export_geojson

    async def run() -> bytes:
        async with open_engine(settings):
            return msgspec.json.format(await export_geojson())

    data = asyncio.run(run())
    if args.file == "-":
        sys.stdout.write(data.decode() + "\n")
    else:
        Path(args.file).write_bytes(data)


def cmd_enrol_faces(settings: Settings, args: argparse.Namespace) -> None:
    """Enrol every `<NIP>.jpg` (or `<NIP>_<anything>.jpg`) in a folder as a reference photo."""
    from backend.core.errors import DomainError
    from backend.faces.schemas import EnrolReport
    from backend.services import open_services

    files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    photos = {p.name: p.read_bytes() for p in files}

    # One process per core, but no more than there are photos: each process loads the models.
    workers = max(1, min(os.cpu_count() or 1, len(photos)))

    async def run() -> EnrolReport:
        refused: dict[str, str] = {}
        async with open_services(settings, face_executor=lambda: face_pool(workers)) as services:
            slots = asyncio.Semaphore(workers)

            async def enrol(name: str, photo: bytes) -> None:
                nip = name.rsplit(".", 1)[0].split("_", 1)[0]
                async with slots:
                    try:
                        await services.faces.enrol(nip, photo, enrolled_by=None)
                    except DomainError as exc:
                        refused[name] = exc.detail

            await asyncio.gather(*(enrol(name, photo) for name, photo in photos.items()))
        enrolled = [name for name in photos if name not in refused]
        return EnrolReport(enrolled=enrolled, refused=dict(sorted(refused.items())))

    from backend.faces.service import face_pool

    report = asyncio.run(run())
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    if report.refused:
        sys.exit(1)


def cmd_import_gerai(settings: Settings, args: argparse.Namespace) -> None:
    from backend.core.errors import DomainError
    from backend.services import open_services

    data = Path(args.file).read_bytes()

    async def run() -> object:
        async with open_services(settings, face_executor=lambda: None) as services:
            return await services.gerai.import_sheet(data, apply=args.apply)

    try:
        report = asyncio.run(run())
    except DomainError as exc:
        sys.exit(exc.detail)
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    passwords = report.passwords  # type: ignore[attr-defined]
    if args.handout and passwords:
        import datetime as dt

        from backend.imports.handout import handout_pages, handout_xlsx

        Path(args.handout).write_bytes(
            handout_xlsx(handout_pages(passwords), printed=dt.date.today())
        )
        print(f"hadir import: password handout written to {args.handout}", file=sys.stderr)
    if report.refused:  # type: ignore[attr-defined]
        sys.exit(1)


def cmd_partition_checkins(settings: Settings, args: argparse.Namespace) -> None:
    import datetime as dt

    from backend.attendance.partitions import PartitionError, partition_checkins
    from backend.core.db import open_engine

    async def run() -> object:
        async with open_engine(settings) as engine:
            if engine.engine_type != "postgres":
                sys.exit("partition-checkins needs PostgreSQL (HADIR_DATABASE_URL)")
            connection = await engine.get_new_connection()
            try:
                return await partition_checkins(
                    connection, today=dt.date.today(), months_ahead=args.months_ahead
                )
            finally:
                await connection.close()

    try:
        report = asyncio.run(run())
    except PartitionError as exc:
        sys.exit(str(exc))
    print(msgspec.json.format(msgspec.json.encode(report)).decode())


def cmd_board_rebuild(settings: Settings, args: argparse.Namespace) -> None:
    import datetime as dt

    from backend.services import open_services

    async def run() -> dict[str, object]:
        async with open_services(settings) as services:
            end = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
            start = end - dt.timedelta(days=args.days)
            days = await services.board.rebuild(start, end)
            return {"from": start.isoformat(), "to": end.isoformat(), "day_records": days}

    print(msgspec.json.format(msgspec.json.encode(asyncio.run(run()))).decode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="hadir", description="hadir: geofenced presensi for Pemda"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate and serve the API and the PWA")
    run.add_argument(
        "--demo", action="store_true", help="seed the demo regency first and print a login"
    )
    run.set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="run pending database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load the demo regency (idempotent)").set_defaults(
        func=cmd_seed_demo
    )
    sub.add_parser("worker", help="run the arq worker (needs HADIR_REDIS_URL)").set_defaults(
        func=cmd_worker
    )
    imp = sub.add_parser(
        "import-geofences", help="create/update locations from a GeoJSON FeatureCollection"
    )
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import_geofences)
    bulk = sub.add_parser(
        "import",
        help="bulk import units, employees, schedules or holidays from CSV/XLSX (dry run "
        "unless --apply; exit 1 if any row is refused)",
    )
    bulk.add_argument("kind", choices=["units", "employees", "schedules", "holidays"])
    bulk.add_argument("file")
    bulk.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
    bulk.add_argument("--sheet", default=None, help="the sheet to read (default: the first)")
    bulk.add_argument(
        "--handout",
        default=None,
        metavar="FILE.xlsx",
        help="with --apply: also write new employees' one-time passwords as a printable XLSX, "
        "a sheet per unit (nothing is kept on the server)",
    )
    bulk.set_defaults(func=cmd_import)
    exp = sub.add_parser(
        "export-geofences", help="write every location as a GeoJSON FeatureCollection"
    )
    exp.add_argument("file", nargs="?", default="-")
    exp.set_defaults(func=cmd_export_geofences)
    enrol = sub.add_parser(
        "enrol-faces", help="enrol reference photos named <NIP>.jpg from a folder"
    )
    enrol.add_argument("folder")
    enrol.set_defaults(func=cmd_enrol_faces)
    gerai = sub.add_parser(
        "import-gerai", help="check (or --apply) a CSV/XLSX sheet of gerai of the MPP"
    )
    gerai.add_argument("file")
    gerai.add_argument("--apply", action="store_true", help="write the rows that pass")
    gerai.set_defaults(func=cmd_import_gerai)
    part = sub.add_parser(
        "partition-checkins",
        help="PostgreSQL: partition check-ins by month (large deployments; rerun monthly)",
    )
    part.add_argument("--months-ahead", type=int, default=3)
    part.set_defaults(func=cmd_partition_checkins)
    board = sub.add_parser(
        "board-rebuild",
        help="count the board afresh from the stored day records (days before the board existed)",
    )
    board.add_argument("--days", type=int, default=31)
    board.set_defaults(func=cmd_board_rebuild)
    args = parser.parse_args(argv)
    args.func(Settings.from_env(os.environ), args)


if __name__ == "__main__":
    main()

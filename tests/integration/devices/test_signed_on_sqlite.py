"""The chain on the embedded default's SQLite: its migrations, a registration, a good link, a
gap, the write lock standing in for PostgreSQL's advisory lock."""

from __future__ import annotations

import json
from pathlib import Path

from backend.core.auth import Principal
from backend.core.db import migrate, open_engine
from backend.core.outbox import Outbox
from backend.core.settings import Settings
from backend.devices.schemas import DeviceCreate
from backend.devices.service import Devices
from backend.org.service import UnitDirectory
from tests.support.devicekeys import DeviceSigner
from tests.support.factories import meta


async def test_signed_records_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        outbox = Outbox(engine, poll_s=1, retry_s=1, max_attempts=1)
        devices = Devices(engine=engine, transaction=outbox.transaction, tree=UnitDirectory().tree)
        who = Principal(employee_id=1, nip="1", name="Siti", roles=("asn",), unit_id=1)
        signer = DeviceSigner()
        device, created = await devices.register(who, DeviceCreate(public_key=signer.spki))
        assert created and (await devices.register(who, DeviceCreate(signer.spki)))[0] == device

        async def send(body: dict) -> list[str]:
            selfie = b"jpeg %d" % signer.seq
            block = signer.block("checkin", body, {"selfie": selfie})
            verdict = await devices.verify_record(
                1,
                json.dumps(block),
                kind="checkin",
                meta=json.dumps(body),
                files={"selfie": selfie},
            )
            assert verdict.device_id == device.id
            return [r.code for r in verdict.reasons]

        assert await send(meta()) == []
        signer.block("checkin", meta(), {})  # made, then removed from the phone
        assert await send(meta()) == ["chain_broken"]
        assert (await devices.mine(who)).items[0].broken == 1

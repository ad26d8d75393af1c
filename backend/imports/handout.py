"""The password handout: new employees' one-time passwords printed per unit, downloaded once.

An applied employee import answers the passwords once (the API's `passwords`) and keeps them,
encrypted (Fernet, a key derived from the server's secret), as one page per unit for whoever
applied it. `GET /api/v1/admin/imports/handouts/{id}` (every unit still there, a sheet each) or
`?unit=CODE` (that unit's) answers an XLSX and deletes the pages it holds in the same
statement, so a second download finds nothing; a page not downloaded within
`handout_ttl_minutes` is deleted by the purge job (and skipped by every read before that).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import uuid
from collections.abc import Sequence

import msgspec
from cryptography.fernet import Fernet, InvalidToken
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from backend.imports.schemas import Handout, HandoutUnit, InitialPassword
from backend.imports.tables import HandoutSheet

INSTRUCTIONS = (
    "Cara masuk pertama kali:",
    "1. Buka aplikasi hadir di ponsel atau komputer (alamatnya dari BKD), lalu pilih Masuk.",
    "2. Isi NIP dan kata sandi awal yang tertulis pada baris Anda.",
    "3. Aplikasi langsung meminta kata sandi baru: paling sedikit 8 karakter dan tidak memuat "
    "NIP. Setelah diganti, kata sandi awal tidak berlaku lagi.",
    "4. Jangan berikan kata sandi kepada siapa pun, termasuk petugas BKD. Lupa kata sandi: "
    "minta admin hadir mengatur ulang.",
)


class Sealed(msgspec.Struct, frozen=True):
    nip: str
    name: str
    password: str


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(f"hadir-password-handout\n{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class Handouts:
    def __init__(self, *, secret: str, ttl_minutes: int) -> None:
        self.fernet = _fernet(secret)
        self.ttl = dt.timedelta(minutes=ttl_minutes)

    async def keep(
        self, passwords: Sequence[InitialPassword], *, created_by: int, now: dt.datetime
    ) -> Handout | None:
        """Keep the passwords of an applied import as one encrypted page per unit."""
        if not passwords:
            return None
        handout = str(uuid.uuid4())
        expires = now + self.ttl
        pages = []
        units = []
        for code, name, people in handout_pages(passwords):
            sealed = self.fernet.encrypt(msgspec.json.encode(people)).decode()
            pages.append(
                HandoutSheet(
                    handout=handout,
                    unit=code,
                    unit_name=name,
                    people=len(people),
                    sealed=sealed,
                    created_by=created_by,
                    created_at=now,
                    expires_at=expires,
                )
            )
            units.append(HandoutUnit(code=code, name=name, people=len(people)))
        await HandoutSheet.insert(*pages)
        return Handout(
            id=handout,
            expires_at=expires,
            units=units,
            url=f"/api/v1/admin/imports/handouts/{handout}",
        )

    async def take(
        self, handout: str, *, employee_id: int, unit: str | None, now: dt.datetime
    ) -> list[tuple[str, str, list[Sealed]]] | None:
        """The pages (unit code, unit name, people) of the handout for its maker, deleted by
        the very statement that reads them: a second call gets None."""
        where = (
            (HandoutSheet.handout == handout)
            & (HandoutSheet.created_by == employee_id)
            & (HandoutSheet.expires_at > now)
        )
        if unit is not None:
            where &= HandoutSheet.unit == unit
        rows = (
            await HandoutSheet.delete()
            .where(where)
            .returning(HandoutSheet.unit, HandoutSheet.unit_name, HandoutSheet.sealed)
        )
        if not rows:
            return None
        pages = []
        for row in sorted(rows, key=lambda r: r["unit"]):
            try:
                plain = self.fernet.decrypt(row["sealed"].encode())
            except InvalidToken:  # the server's secret changed since: nothing to hand out
                continue
            pages.append(
                (row["unit"], row["unit_name"], msgspec.json.decode(plain, type=list[Sealed]))
            )
        return pages or None

    async def purge(self, now: dt.datetime) -> int:
        """Delete the pages nobody downloaded in time."""
        rows = (
            await HandoutSheet.delete()
            .where(HandoutSheet.expires_at <= now)
            .returning(HandoutSheet.id)
        )
        return len(rows)


def handout_pages(
    passwords: Sequence[InitialPassword],
) -> list[tuple[str, str, list[Sealed]]]:
    """The pages of a handout straight from an import's answer (the command line's)."""
    by_unit: dict[str, list[InitialPassword]] = {}
    for entry in passwords:
        by_unit.setdefault(entry.unit, []).append(entry)
    return [
        (
            code,
            by_unit[code][0].unit_name or code,
            [
                Sealed(p.nip, p.name, p.password)
                for p in sorted(by_unit[code], key=lambda p: p.name)
            ],
        )
        for code in sorted(by_unit)
    ]


def handout_xlsx(pages: list[tuple[str, str, list[Sealed]]], *, printed: dt.date) -> bytes:
    """One printable sheet per unit: the unit, the table (NIP, name, unit, initial password, a
    column to sign on receipt) and the instructions to change the password at first login."""
    book = Workbook()
    book.remove(book.active)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    used: set[str] = set()
    for code, name, people in pages:
        title = _sheet_title(code, used)
        sheet = book.create_sheet(title)
        sheet.append([f"Kata sandi awal pegawai baru — {name}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(
            [
                f"Dicetak {printed.isoformat()}. RAHASIA: gunting per baris dan serahkan kepada "
                "masing-masing pegawai. Lembar ini hanya dapat diunduh sekali."
            ]
        )
        sheet.append([])
        sheet.append(["No", "NIP", "Nama", "Unit kerja", "Kata sandi awal", "Tanda tangan"])
        for cell in sheet[4]:
            cell.font = bold
            cell.border = box
        for number, person in enumerate(people, start=1):
            sheet.append([number, person.nip, person.name, name, person.password, ""])
            for cell in sheet[sheet.max_row]:
                cell.border = box
                cell.alignment = Alignment(vertical="center")
            sheet.row_dimensions[sheet.max_row].height = 28
            # Never read as a number by Excel: an 18-digit NIP would lose its last digits.
            sheet.cell(sheet.max_row, 2).number_format = "@"
        sheet.append([])
        for line in INSTRUCTIONS:
            sheet.append([line])
        sheet.cell(sheet.max_row - len(INSTRUCTIONS) + 1, 1).font = bold
        for column, width in zip("ABCDEF", (5, 22, 34, 34, 18, 22), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(code: str, used: set[str]) -> str:
    """A unit code as a sheet title: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", code)[:31] or "Unit"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:28]}-{n}"
        n += 1
    used.add(title.lower())
    return title

"""Bulk import: one machinery, many kinds. A domain that keeps master data (org: units,
employees, schedules, holidays; later gerai, cameras) hands in an `Importer` per kind; this
service reads the file, finds the columns by name and leaves the rules and the writing to the
importer. Dry run first, then apply; the same file applied twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol

from backend.core.errors import Gone, NotFound
from backend.imports.handout import Handouts, handout_xlsx
from backend.imports.schemas import ImportReport, Outcome, Refusal
from backend.imports.sheets import Column, SheetRow, read_sheet


class Importer(Protocol):
    """One kind of master data, as its own domain reads and writes it."""

    columns: Sequence[Column]

    async def run(self, rows: list[SheetRow], *, apply: bool) -> Outcome:
        """Check every row (refusing the bad ones with their reasons) and, when `apply`,
        write the good ones in bulk statements inside one transaction."""
        ...


class Imports:
    def __init__(self, importers: Mapping[str, Importer], handouts: Handouts | None = None) -> None:
        # Without `handouts` (a benchmark) nothing is kept for a printable handout.
        self.importers = dict(importers)
        self.handouts = handouts

    @property
    def kinds(self) -> list[str]:
        return sorted(self.importers)

    async def run(
        self,
        kind: str,
        data: bytes,
        *,
        apply: bool,
        sheet: str | None = None,
        filename: str = "",
        by: int | None = None,
    ) -> ImportReport:
        """A dry run or an apply. On an apply by someone (`by`, an employee id; not the
        command line) that created employees, their one-time passwords are also kept for the
        printable handout (see backend/imports/handout.py)."""
        importer = self.importers.get(kind)
        if importer is None:
            raise NotFound(f"Jenis impor '{kind}' tidak dikenal; yang ada: {', '.join(self.kinds)}")
        table = read_sheet(data, importer.columns, sheet=sheet, filename=filename)
        if table.missing:
            # Without a required column no row can be judged: nothing is read or written.
            refused = [
                Refusal(
                    row=table.header_row,
                    column=column.label,
                    reason=f"Kolom wajib '{column.label}' tidak ada di baris judul (judul yang "
                    f"dikenali: {', '.join(column.names)})",
                )
                for column in table.missing
            ]
            return ImportReport(
                kind=kind,
                applied=False,
                rows=len(table.rows),
                created=0,
                updated=0,
                unchanged=0,
                refused=refused,
            )
        outcome = await importer.run(table.rows, apply=apply)
        handout = None
        if apply and by is not None and outcome.passwords and self.handouts is not None:
            handout = await self.handouts.keep(
                outcome.passwords, created_by=by, now=dt.datetime.now(dt.UTC)
            )
        return ImportReport(
            kind=kind,
            applied=apply,
            rows=len(table.rows),
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            refused=sorted(outcome.refused, key=lambda r: r.row),
            passwords=outcome.passwords if apply else [],
            handout=handout,
        )

    async def handout(self, handout: str, *, by: int, unit: str | None) -> tuple[str, bytes]:
        """The handout's XLSX (every unit still there, or `unit`'s page) and its file name; the
        pages it holds are gone from the server from this moment."""
        now = dt.datetime.now(dt.UTC)
        pages = (
            await self.handouts.take(handout, employee_id=by, unit=unit, now=now)
            if self.handouts is not None
            else None
        )
        if pages is None:
            raise Gone(
                "Lembar kata sandi ini sudah diunduh, sudah kedaluwarsa, atau bukan dari impor "
                "Anda. Kata sandi yang hilang: minta admin mengatur ulang kata sandi pegawai."
            )
        name = f"kata-sandi-awal-{pages[0][0] if len(pages) == 1 else 'pegawai-baru'}.xlsx"
        return name, handout_xlsx(pages, printed=now.date())

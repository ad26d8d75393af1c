"""Bulk import: one machinery, many kinds. A domain that keeps master data (org: units,
employees, schedules, holidays; later gerai, cameras) hands in an `Importer` per kind; this
service reads the file, finds the columns by name and leaves the rules and the writing to the
importer. Dry run first, then apply; the same file applied twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from backend.core.errors import NotFound
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
    def __init__(self, importers: Mapping[str, Importer]) -> None:
        self.importers = dict(importers)

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
    ) -> ImportReport:
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
        return ImportReport(
            kind=kind,
            applied=apply,
            rows=len(table.rows),
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            refused=sorted(outcome.refused, key=lambda r: r.row),
            passwords=outcome.passwords if apply else [],
        )

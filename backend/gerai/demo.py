"""The demo MPP's gerai: a realistic subset of Blora's Mal Pelayanan Publik (271 services from
31 agencies), loaded by `hadir seed-demo` after the regency. Idempotent: gerai are matched on
their codes.

Agencies and services are those such MPP host (Disdukcapil, DPMPTSP, Samsat, BPJS, ATR/BPN,
Polres, Imigrasi, Kemenag, PDAM, the tax office, the bank of the province); which exact services
Blora's counters offer and their hours were not checked. Staff are demo employees: the MPP's
front office, and the Disdukcapil and DPMPTSP officers posted there.
"""

from __future__ import annotations

import msgspec

from backend.gerai import importer
from backend.gerai.tables import Gerai, GeraiMember
from backend.org import service as org
from backend.org.service import UnitDirectory

WEEK = "Senin-Kamis 08:00-15:00; Jumat 08:00-11:00; Sabtu 08:00-12:00"
SHORT = "Senin-Kamis 08:00-14:00; Jumat 08:00-11:00"  # "they only serve until 12:00" and worse

WAHYU = "198407072006121002"  # Pengelola MPP
NOVI, PUTRI, DEWI, RIZKY = (
    "199611112021012002",
    "199708172022122003",
    "199802282023042001",
    "199912202024061001",
)
SUNARTO, IKA, ARIFIN = "196911031996031005", "199002142015032002", "198208192009011012"
RETNO, ANDI = "196906141995032001", "198701252011011003"


class DemoGerai(msgspec.Struct, frozen=True):
    code: str
    name: str
    agency: str
    services: tuple[str, ...]
    hours: str
    staff: tuple[str, ...]
    supervisors: tuple[str, ...]
    service_users: int  # service users a year, the SKM's population


GERAI: tuple[DemoGerai, ...] = (
    DemoGerai(
        "MPP-G01",
        "Gerai Disdukcapil",
        "Disdukcapil Kabupaten Blora",
        (
            "Perekaman KTP-el",
            "Pencetakan KTP-el",
            "Kartu Keluarga",
            "Akta Kelahiran",
            "Akta Kematian",
            "Kartu Identitas Anak",
            "Surat Pindah",
        ),
        WEEK,
        (IKA, ARIFIN),
        (SUNARTO, WAHYU),
        12_000,
    ),
    DemoGerai(
        "MPP-G02",
        "Gerai Perizinan dan Nonperizinan",
        "DPMPTSP Kabupaten Blora",
        (
            "Perizinan Berusaha (OSS RBA)",
            "Persetujuan Bangunan Gedung",
            "Izin Praktik Tenaga Kesehatan",
            "Izin Reklame",
            "Konsultasi Perizinan",
        ),
        WEEK,
        (ANDI, NOVI),
        (RETNO, WAHYU),
        4_500,
    ),
    DemoGerai(
        "MPP-G03",
        "Gerai Samsat",
        "Samsat Blora (Bapenda Provinsi Jawa Tengah, Polres Blora, Jasa Raharja)",
        ("Pengesahan STNK Tahunan", "Pembayaran PKB", "Balik Nama Kendaraan", "Ganti Plat Nomor"),
        WEEK,
        (PUTRI,),
        (WAHYU,),
        20_000,
    ),
    DemoGerai(
        "MPP-G04",
        "Gerai BPJS Kesehatan",
        "BPJS Kesehatan",
        (
            "Pendaftaran Peserta",
            "Perubahan Data Peserta",
            "Pindah Faskes",
            "Informasi dan Pengaduan",
        ),
        WEEK,
        (DEWI,),
        (WAHYU,),
        6_000,
    ),
    DemoGerai(
        "MPP-G05",
        "Gerai BPJS Ketenagakerjaan",
        "BPJS Ketenagakerjaan",
        ("Pendaftaran Peserta", "Klaim Jaminan Hari Tua", "Klaim Jaminan Kematian"),
        SHORT,
        (DEWI,),
        (WAHYU,),
        2_000,
    ),
    DemoGerai(
        "MPP-G06",
        "Gerai Pertanahan",
        "Kantor Pertanahan Kabupaten Blora (ATR/BPN)",
        ("Pengecekan Sertipikat", "Peralihan Hak (Balik Nama)", "Informasi Pertanahan"),
        SHORT,
        (RIZKY,),
        (WAHYU,),
        1_200,
    ),
    DemoGerai(
        "MPP-G07",
        "Gerai SKCK",
        "Polres Blora",
        ("Penerbitan SKCK Baru", "Perpanjangan SKCK"),
        WEEK,
        (PUTRI,),
        (WAHYU,),
        8_000,
    ),
    DemoGerai(
        "MPP-G08",
        "Gerai PDAM",
        "Perumda Air Minum Tirta Amerta Kabupaten Blora",
        ("Pemasangan Sambungan Baru", "Pembayaran Rekening Air", "Pengaduan Gangguan"),
        SHORT,
        (RIZKY,),
        (WAHYU,),
        1_500,
    ),
    DemoGerai(
        "MPP-G09",
        "Gerai Bank Jateng",
        "Bank Jateng",
        ("Pembayaran PBB-P2", "Pembukaan Rekening", "Pembayaran Retribusi Daerah"),
        WEEK,
        (NOVI,),
        (WAHYU,),
        3_000,
    ),
    DemoGerai(
        "MPP-G10",
        "Gerai Perpajakan",
        "KPP Pratama Blora (Direktorat Jenderal Pajak)",
        ("Pendaftaran NPWP", "Konsultasi SPT Tahunan", "Aktivasi EFIN"),
        SHORT,
        (RIZKY,),
        (WAHYU,),
        900,
    ),
    DemoGerai(
        "MPP-G11",
        "Gerai Imigrasi",
        "Kantor Imigrasi Kelas II TPI Pati (Unit Layanan Paspor Blora)",
        ("Permohonan Paspor Baru", "Penggantian Paspor", "Informasi Keimigrasian"),
        "Selasa, Kamis 08:00-14:00",
        (NOVI,),
        (WAHYU,),
        1_100,
    ),
    DemoGerai(
        "MPP-G12",
        "Gerai Kementerian Agama",
        "Kantor Kementerian Agama Kabupaten Blora",
        ("Pendaftaran Haji", "Legalisasi Dokumen Nikah", "Rekomendasi Paspor Umrah"),
        SHORT,
        (DEWI,),
        (WAHYU,),
        700,
    ),
)

MPP_UNIT = "MPP"


def demo_table() -> list[list[str]]:
    """The demo gerai as the sheet an MPP manager would import."""
    header = [
        "Kode Gerai",
        "Nama Gerai",
        "Instansi",
        "Kode Unit",
        "Layanan",
        "Jam Layanan",
        "Petugas",
        "Penyelia",
        "Jumlah Pengguna Layanan",
    ]
    return [header] + [
        [
            g.code,
            g.name,
            g.agency,
            MPP_UNIT,
            "; ".join(g.services),
            g.hours,
            "; ".join(g.staff),
            "; ".join(g.supervisors),
            str(g.service_users),
        ]
        for g in GERAI
    ]


async def seed_gerai() -> int:
    """Add the demo gerai that are not there yet, with their staff and supervisors."""
    rows, refused, _ = importer.parse_rows(demo_table())
    assert not refused, refused  # the demo data is ours: a refusal is a bug here
    existing = {row["code"] for row in await Gerai.select(Gerai.code)}
    units = {u.code: u.id for u in (await UnitDirectory._load()).values()}
    nips = await org.employees_by_nip(
        [n for r in rows for n in (r.staff or []) + (r.supervisors or [])]
    )
    for row in rows:
        if row.code in existing:
            continue
        inserted = await Gerai.insert(
            Gerai(
                code=row.code,
                name=row.name,
                agency=row.agency,
                unit=units[row.unit_code],
                services=row.services,
                hours=row.hours,
                service_users=row.service_users or 0,
            )
        ).returning(Gerai.id)
        members = [
            GeraiMember(gerai=inserted[0]["id"], employee=nips[nip], role=role)
            for role, listed in (("staff", row.staff), ("supervisor", row.supervisors))
            for nip in listed or []
        ]
        await GeraiMember.insert(*members)
    return len(GERAI)

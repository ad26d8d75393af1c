"""The demo regency that `hadir seed-demo` loads: Kabupaten Blora, Jawa Tengah (WIB).

Pure data, no I/O: the seeding function turns these Structs into rows. Everything here is
illustrative. The places are real and so are their names and codes; the people, their NIPs and
every fence are made up, and no fence claims to be the true outline of a real building.

Sources:
- Area names and Kemendagri codes (kode wilayah) come from the npm package `idn-area-data`
  4.0.1 (https://github.com/fityannugroho/idn-area-data), whose data is made available under
  the Open Database License (ODbL) 1.0: https://opendatacommons.org/licenses/odbl/1-0/.
  Blora is regency 33.16.
- The setting follows news reports about Blora: the regent checking ASN presensi live at BKD,
  schools and villages with weak signal, a command centre at the Setda, and the Mal Pelayanan
  Publik on Jl. Raya Blora-Cepu KM 5 (Jepon) with 271 services from 31 agencies.
- Working hours: Perpres 21/2023 (37.5 hours a week over Monday to Friday, start 07:30).
- Holidays: the SKB of the Menteri Agama, Menteri Ketenagakerjaan and Menteri PANRB on the 2026
  libur nasional and cuti bersama (Nomor 1497, 2 and 5 Tahun 2025), as reported when it was
  announced on 19 September 2025.
"""

import datetime as dt

import msgspec


class DemoUnit(msgspec.Struct, frozen=True):
    code: str  # short stable code, e.g. "BKD", "SDN-JIKEN-1", "DESA-JIKEN", "MPP"
    name: str  # e.g. "Badan Kepegawaian Daerah Kabupaten Blora"
    kind: str  # "pemda" | "opd" | "school" | "desa" | "mpp"
    parent_code: str | None
    timezone: str = "Asia/Jakarta"
    kode_wilayah: str = ""  # Kemendagri code of the area it sits in, e.g. "33.16.04.2001"


class DemoLocation(msgspec.Struct, frozen=True):
    code: str
    name: str
    unit_code: str
    geometry: dict  # GeoJSON in lon/lat: a Polygon (office compounds) or a Point (circle centre)
    radius_m: float | None = None  # required for a Point
    max_accuracy_m: float = 50.0  # worse GPS accuracy than this is flagged


class DemoSchedule(msgspec.Struct, frozen=True):
    code: str  # "5HK" (five-day), "6HK" (six-day school week), "SHIFT-MPP", ...
    name: str
    kind: str  # "five_day" | "six_day" | "shift"
    days: dict[int, tuple[str, str]]  # ISO weekday 1=Mon..7=Sun -> ("07:30", "16:00") local time


class DemoEmployee(msgspec.Struct, frozen=True):
    nip: str  # 18 digits: birth date YYYYMMDD, TMT CPNS YYYYMM, sex 1/2, sequence 001-999
    name: str  # with academic titles as Indonesians write them, e.g. "Siti Nurhayati, S.Pd."
    unit_code: str
    schedule_code: str
    roles: tuple[str, ...]  # subset of "asn", "kepala_unit", "bkd", "command", "admin"
    position: str  # jabatan, e.g. "Guru Kelas", "Kepala Sekolah", "Analis SDM Aparatur"


class DemoHoliday(msgspec.Struct, frozen=True):
    date: dt.date
    name: str
    kind: str  # "libur_nasional" | "cuti_bersama"


class DemoGerai(msgspec.Struct, frozen=True):
    code: str  # e.g. "MPP-G01"
    name: str  # e.g. "Gerai Disdukcapil"
    agency: str  # the OPD or agency serving it
    unit_code: str  # the MPP unit
    queue_threshold: int  # people waiting that counts as a queue building up


DEMO_PASSWORD = "hadir2026"


# The OPDs in town are given the kelurahan of Kecamatan Blora (33.16.09) their fence is drawn
# in; which kelurahan each real office stands in was not checked. The remote units sit in the
# desa they are named after.
UNITS: tuple[DemoUnit, ...] = (
    DemoUnit("PEMDA", "Pemerintah Kabupaten Blora", "pemda", None, kode_wilayah="33.16"),
    DemoUnit(
        "SETDA",
        "Sekretariat Daerah Kabupaten Blora",
        "opd",
        "PEMDA",
        kode_wilayah="33.16.09.1013",  # Kauman
    ),
    DemoUnit(
        "BKD",
        "Badan Kepegawaian Daerah Kabupaten Blora",
        "opd",
        "PEMDA",
        kode_wilayah="33.16.09.1013",  # Kauman
    ),
    DemoUnit(
        "DISDIK",
        "Dinas Pendidikan Kabupaten Blora",
        "opd",
        "PEMDA",
        kode_wilayah="33.16.09.1016",  # Tempelan
    ),
    DemoUnit(
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kabupaten Blora",
        "opd",
        "PEMDA",
        kode_wilayah="33.16.09.1015",  # Kunden
    ),
    DemoUnit(
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Blora",
        "opd",
        "PEMDA",
        kode_wilayah="33.16.09.1011",  # Jetis
    ),
    DemoUnit(
        "MPP",
        "Mal Pelayanan Publik Kabupaten Blora",
        "mpp",
        "DPMPTSP",
        kode_wilayah="33.16.08.1013",  # Jepon, Kecamatan Jepon
    ),
    DemoUnit(
        "SDN-BLEBOH-1",
        "SD Negeri 1 Bleboh",
        "school",
        "DISDIK",
        kode_wilayah="33.16.07.2005",  # Bleboh, Kecamatan Jiken
    ),
    DemoUnit(
        "SMPN-TODANAN-1",
        "SMP Negeri 1 Todanan",
        "school",
        "DISDIK",
        kode_wilayah="33.16.14.2013",  # Todanan, Kecamatan Todanan
    ),
    DemoUnit(
        "DESA-NGLIRON",
        "Pemerintah Desa Ngliron",
        "desa",
        "PEMDA",
        kode_wilayah="33.16.02.2018",  # Ngliron, Kecamatan Randublatung
    ),
)


# Fences are illustrative: compounds of about the right size near where such offices are
# (Blora town around the alun-alun, -6.969 111.417; the MPP about 5 km down the Cepu road), not
# surveyed outlines. Exterior rings are counter-clockwise and closed (RFC 7946). Remote units
# are circles with a looser accuracy limit: weak signal there gives coarse GPS fixes.
LOCATIONS: tuple[DemoLocation, ...] = (
    DemoLocation(
        code="LOC-SETDA",
        name="Kompleks Sekretariat Daerah Kabupaten Blora",
        unit_code="SETDA",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.417667, -6.968594],
                    [111.418933, -6.968594],
                    [111.418933, -6.968145],
                    [111.4183, -6.968145],
                    [111.4183, -6.967606],
                    [111.417667, -6.967606],
                    [111.417667, -6.968594],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-BKD",
        name="Kantor Badan Kepegawaian Daerah",
        unit_code="BKD",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.421091, -6.966328],
                    [111.421804, -6.966203],
                    [111.421709, -6.965672],
                    [111.420996, -6.965797],
                    [111.421091, -6.966328],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-DISDIK",
        name="Kantor Dinas Pendidikan",
        unit_code="DISDIK",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.41423, -6.973052],
                    [111.415082, -6.973171],
                    [111.41517, -6.972548],
                    [111.414318, -6.972429],
                    [111.41423, -6.973052],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-DPMPTSP",
        name="Kantor DPMPTSP",
        unit_code="DPMPTSP",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.423506, -6.970873],
                    [111.424137, -6.970819],
                    [111.424094, -6.970327],
                    [111.423463, -6.970381],
                    [111.423506, -6.970873],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-DISDUKCAPIL",
        name="Kantor Dinas Kependudukan dan Pencatatan Sipil",
        unit_code="DISDUKCAPIL",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.420238, -6.975192],
                    [111.420962, -6.975192],
                    [111.420962, -6.974922],
                    [111.4206, -6.974922],
                    [111.4206, -6.974608],
                    [111.420238, -6.974608],
                    [111.420238, -6.975192],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-MPP",
        name="Gedung Mal Pelayanan Publik, Jl. Raya Blora-Cepu KM 5",
        unit_code="MPP",
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [111.446646, -7.003756],
                    [111.447478, -7.003063],
                    [111.447216, -7.002754],
                    [111.4468, -7.0031],
                    [111.446538, -7.00279],
                    [111.446122, -7.003137],
                    [111.446646, -7.003756],
                ]
            ],
        },
    ),
    DemoLocation(
        code="LOC-SDN-BLEBOH-1",
        name="Halaman SD Negeri 1 Bleboh",
        unit_code="SDN-BLEBOH-1",
        geometry={"type": "Point", "coordinates": [111.3120, -7.1390]},
        radius_m=90.0,
        max_accuracy_m=100.0,
    ),
    DemoLocation(
        code="LOC-SMPN-TODANAN-1",
        name="Halaman SMP Negeri 1 Todanan",
        unit_code="SMPN-TODANAN-1",
        geometry={"type": "Point", "coordinates": [111.1851, -6.9842]},
        radius_m=100.0,
        max_accuracy_m=100.0,
    ),
    DemoLocation(
        code="LOC-DESA-NGLIRON",
        name="Balai Desa Ngliron",
        unit_code="DESA-NGLIRON",
        geometry={"type": "Point", "coordinates": [111.3260, -7.2420]},
        radius_m=60.0,
        max_accuracy_m=100.0,
    ),
)


SCHEDULES: tuple[DemoSchedule, ...] = (
    DemoSchedule(
        code="5HK",
        name="Lima hari kerja (Perpres 21/2023)",
        kind="five_day",
        days={
            1: ("07:30", "16:00"),
            2: ("07:30", "16:00"),
            3: ("07:30", "16:00"),
            4: ("07:30", "16:00"),
            5: ("07:30", "16:30"),
        },
    ),
    DemoSchedule(
        code="6HK",
        name="Enam hari sekolah",
        kind="six_day",
        days={
            1: ("07:00", "13:30"),
            2: ("07:00", "13:30"),
            3: ("07:00", "13:30"),
            4: ("07:00", "13:30"),
            5: ("07:00", "11:00"),
            6: ("07:00", "12:30"),
        },
    ),
    # Front-line staff of the MPP: the counters open on Saturday morning too.
    DemoSchedule(
        code="SHIFT-MPP",
        name="Shift layanan Mal Pelayanan Publik",
        kind="shift",
        days={
            1: ("07:30", "15:30"),
            2: ("07:30", "15:30"),
            3: ("07:30", "15:30"),
            4: ("07:30", "15:30"),
            5: ("07:30", "15:30"),
            6: ("08:00", "12:00"),
        },
    ),
)


# The people are fictional. NIP = birth date + TMT CPNS (year, month) + sex (1 male, 2 female)
# + sequence. Real NI PPPK put "21" where the TMT month goes; the PPPK here (marked) use a
# month so that every NIP passes the PNS format check.
EMPLOYEES: tuple[DemoEmployee, ...] = (
    # SD Negeri 1 Bleboh, Jiken: the remote school with weak signal. The README's demo login.
    DemoEmployee(
        nip="199205142019042003",
        name="Siti Nurhayati, S.Pd.",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Kelas",
    ),
    DemoEmployee(
        nip="197108031998031005",
        name="Sugiyono, S.Pd.SD",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn", "kepala_unit"),
        position="Kepala Sekolah",
    ),
    DemoEmployee(
        nip="197906152006122009",
        name="Sri Wahyuni, S.Pd.",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Kelas",
    ),
    DemoEmployee(
        nip="198811212011011002",
        name="Agus Prasetyo, S.Pd.",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Pendidikan Jasmani, Olahraga, dan Kesehatan",
    ),
    DemoEmployee(
        nip="198502092009011007",
        name="Ahmad Fauzi, S.Pd.I.",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Pendidikan Agama Islam",
    ),
    DemoEmployee(  # PPPK
        nip="199009272022092002",
        name="Dwi Astuti, S.Pd.",
        unit_code="SDN-BLEBOH-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Kelas",
    ),
    # SMP Negeri 1 Todanan.
    DemoEmployee(
        nip="196904121995031003",
        name="Drs. Mulyono, M.Pd.",
        unit_code="SMPN-TODANAN-1",
        schedule_code="6HK",
        roles=("asn", "kepala_unit"),
        position="Kepala Sekolah",
    ),
    DemoEmployee(
        nip="198707022010012011",
        name="Yuliana Puspitasari, S.Pd.",
        unit_code="SMPN-TODANAN-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Matematika",
    ),
    DemoEmployee(
        nip="199403302021011001",
        name="Rudi Setiawan, S.Pd.",
        unit_code="SMPN-TODANAN-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Bahasa Indonesia",
    ),
    DemoEmployee(  # PPPK
        nip="199112052022062001",
        name="Anik Rahmawati, S.Pd.",
        unit_code="SMPN-TODANAN-1",
        schedule_code="6HK",
        roles=("asn",),
        position="Guru Ilmu Pengetahuan Alam",
    ),
    # Badan Kepegawaian Daerah: verifiers and the admin.
    DemoEmployee(
        nip="197010081996031002",
        name="Drs. Bambang Sutrisno, M.Si.",
        unit_code="BKD",
        schedule_code="5HK",
        roles=("asn", "kepala_unit", "bkd"),
        position="Kepala Badan Kepegawaian Daerah",
    ),
    DemoEmployee(
        nip="198301192009012003",
        name="Rina Kusumawati, S.Sos.",
        unit_code="BKD",
        schedule_code="5HK",
        roles=("asn", "bkd"),
        position="Analis SDM Aparatur Ahli Muda",
    ),
    DemoEmployee(
        nip="199106222019031006",
        name="Yusuf Hidayat, S.Psi.",
        unit_code="BKD",
        schedule_code="5HK",
        roles=("asn", "bkd"),
        position="Analis SDM Aparatur Ahli Pertama",
    ),
    DemoEmployee(
        nip="198909112015031001",
        name="Eko Saputro, S.Kom.",
        unit_code="BKD",
        schedule_code="5HK",
        roles=("asn", "bkd", "admin"),
        position="Pranata Komputer Ahli Muda",
    ),
    DemoEmployee(
        nip="199504042021012004",
        name="Nur Aini, A.Md.",
        unit_code="BKD",
        schedule_code="5HK",
        roles=("asn",),
        position="Pengolah Data Kepegawaian",
    ),
    # Sekretariat Daerah: the Sekda and the command centre.
    DemoEmployee(
        nip="196802171994031006",
        name="Ir. Hadi Santoso, M.M.",
        unit_code="SETDA",
        schedule_code="5HK",
        roles=("asn", "kepala_unit", "command"),
        position="Sekretaris Daerah",
    ),
    DemoEmployee(
        nip="199308082019031003",
        name="Fajar Nugroho, S.T.",
        unit_code="SETDA",
        schedule_code="5HK",
        roles=("asn", "command"),
        position="Pranata Komputer Ahli Pertama (Command Center)",
    ),
    DemoEmployee(
        nip="197812012003122002",
        name="Endah Purwaningsih, S.H., M.H.",
        unit_code="SETDA",
        schedule_code="5HK",
        roles=("asn",),
        position="Kepala Bagian Organisasi",
    ),
    DemoEmployee(
        nip="197505202007011010",
        name="Slamet Riyadi",
        unit_code="SETDA",
        schedule_code="5HK",
        roles=("asn",),
        position="Pengadministrasi Umum",
    ),
    # Dinas Pendidikan.
    DemoEmployee(
        nip="196809251993031004",
        name="Drs. Suharno, M.Pd.",
        unit_code="DISDIK",
        schedule_code="5HK",
        roles=("asn", "kepala_unit"),
        position="Kepala Dinas Pendidikan",
    ),
    DemoEmployee(
        nip="197403081999122001",
        name="Sutarmi, S.Pd., M.Pd.",
        unit_code="DISDIK",
        schedule_code="5HK",
        roles=("asn",),
        position="Pengawas Sekolah Ahli Madya",
    ),
    DemoEmployee(
        nip="198610302010012015",
        name="Lestari Handayani, S.E.",
        unit_code="DISDIK",
        schedule_code="5HK",
        roles=("asn",),
        position="Pengolah Data Pendidik dan Tenaga Kependidikan",
    ),
    # DPMPTSP, which runs the MPP.
    DemoEmployee(
        nip="196906141995032001",
        name="Dra. Retno Wulandari, M.Si.",
        unit_code="DPMPTSP",
        schedule_code="5HK",
        roles=("asn", "kepala_unit"),
        position="Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
    ),
    DemoEmployee(
        nip="198701252011011003",
        name="Andi Kurniawan, S.H.",
        unit_code="DPMPTSP",
        schedule_code="5HK",
        roles=("asn",),
        position="Analis Perizinan Berusaha",
    ),
    # Mal Pelayanan Publik: front-line staff on the shift schedule.
    DemoEmployee(
        nip="198407072006121002",
        name="Wahyu Hidayat, S.STP., M.Si.",
        unit_code="MPP",
        schedule_code="SHIFT-MPP",
        roles=("asn", "kepala_unit"),
        position="Kepala Bidang Pelayanan Perizinan (Pengelola MPP)",
    ),
    DemoEmployee(
        nip="199611112021012002",
        name="Novitasari, S.E.",
        unit_code="MPP",
        schedule_code="SHIFT-MPP",
        roles=("asn",),
        position="Pengadministrasi Perizinan (Front Office)",
    ),
    DemoEmployee(
        nip="199708172022122003",
        name="Putri Ayu Wulandari, S.AP.",
        unit_code="MPP",
        schedule_code="SHIFT-MPP",
        roles=("asn",),
        position="Pengadministrasi Perizinan (Front Office)",
    ),
    DemoEmployee(  # PPPK
        nip="199802282023042001",
        name="Dewi Lestari, A.Md.",
        unit_code="MPP",
        schedule_code="SHIFT-MPP",
        roles=("asn",),
        position="Petugas Informasi dan Pengaduan",
    ),
    DemoEmployee(
        nip="199912202024061001",
        name="Rizky Ramadhan, S.Kom.",
        unit_code="MPP",
        schedule_code="SHIFT-MPP",
        roles=("asn",),
        position="Pranata Komputer Ahli Pertama (Sistem Antrean)",
    ),
    # Dinas Kependudukan dan Pencatatan Sipil.
    DemoEmployee(
        nip="196911031996031005",
        name="Drs. Sunarto, M.M.",
        unit_code="DISDUKCAPIL",
        schedule_code="5HK",
        roles=("asn", "kepala_unit"),
        position="Kepala Dinas Kependudukan dan Pencatatan Sipil",
    ),
    DemoEmployee(
        nip="199002142015032002",
        name="Ika Permatasari, S.Kom.",
        unit_code="DISDUKCAPIL",
        schedule_code="5HK",
        roles=("asn",),
        position="Administrator Database Kependudukan Ahli Pertama",
    ),
    DemoEmployee(
        nip="198208192009011012",
        name="Mohamad Arifin",
        unit_code="DISDUKCAPIL",
        schedule_code="5HK",
        roles=("asn",),
        position="Pengadministrasi Registrasi Kependudukan",
    ),
    # Desa Ngliron, Randublatung. The Sekretaris Desa is one of the Sekdes made PNS under
    # PP 45/2007 and heads the office here (the Kepala Desa is elected, not ASN). Perangkat desa
    # are not ASN and have no NIP; the two below carry NIP-shaped numbers only so that the demo
    # has one login path, as Pemda that require presensi of perangkat desa give them an ID.
    DemoEmployee(
        nip="197004232009011001",
        name="Suparno",
        unit_code="DESA-NGLIRON",
        schedule_code="5HK",
        roles=("asn", "kepala_unit"),
        position="Sekretaris Desa",
    ),
    DemoEmployee(
        nip="198507162012052001",
        name="Tri Wahyuningsih",
        unit_code="DESA-NGLIRON",
        schedule_code="5HK",
        roles=("asn",),
        position="Kepala Urusan Keuangan",
    ),
    DemoEmployee(
        nip="199001092017081001",
        name="Budi Santoso",
        unit_code="DESA-NGLIRON",
        schedule_code="5HK",
        roles=("asn",),
        position="Kepala Seksi Pelayanan",
    ),
)


# Data, not code: check against the signed SKB 3 Menteri before relying on it, and add each new
# year (and any revision, which has happened mid-year before) here or by import. Days that fall
# on a weekend are kept: a six-day school still works Saturday 21 March unless it is listed.
# School calendars (libur semester, Ramadan) are set by Dinas Pendidikan and are not here.
HOLIDAYS: tuple[DemoHoliday, ...] = (
    DemoHoliday(dt.date(2026, 1, 1), "Tahun Baru 2026 Masehi", "libur_nasional"),
    DemoHoliday(dt.date(2026, 1, 16), "Isra Mikraj Nabi Muhammad S.A.W.", "libur_nasional"),
    DemoHoliday(dt.date(2026, 2, 16), "Cuti Bersama Tahun Baru Imlek", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 2, 17), "Tahun Baru Imlek 2577 Kongzili", "libur_nasional"),
    DemoHoliday(dt.date(2026, 3, 18), "Cuti Bersama Hari Suci Nyepi", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 3, 19), "Hari Suci Nyepi (Tahun Baru Saka 1948)", "libur_nasional"),
    DemoHoliday(dt.date(2026, 3, 20), "Cuti Bersama Idul Fitri 1447 Hijriah", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 3, 21), "Idul Fitri 1447 Hijriah", "libur_nasional"),
    DemoHoliday(dt.date(2026, 3, 22), "Idul Fitri 1447 Hijriah", "libur_nasional"),
    DemoHoliday(dt.date(2026, 3, 23), "Cuti Bersama Idul Fitri 1447 Hijriah", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 3, 24), "Cuti Bersama Idul Fitri 1447 Hijriah", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 4, 3), "Wafat Yesus Kristus", "libur_nasional"),
    DemoHoliday(dt.date(2026, 4, 5), "Kebangkitan Yesus Kristus (Paskah)", "libur_nasional"),
    DemoHoliday(dt.date(2026, 5, 1), "Hari Buruh Internasional", "libur_nasional"),
    DemoHoliday(dt.date(2026, 5, 14), "Kenaikan Yesus Kristus", "libur_nasional"),
    DemoHoliday(dt.date(2026, 5, 15), "Cuti Bersama Kenaikan Yesus Kristus", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 5, 27), "Idul Adha 1447 Hijriah", "libur_nasional"),
    DemoHoliday(dt.date(2026, 5, 28), "Cuti Bersama Idul Adha 1447 Hijriah", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 5, 31), "Hari Raya Waisak 2570 BE", "libur_nasional"),
    DemoHoliday(dt.date(2026, 6, 1), "Hari Lahir Pancasila", "libur_nasional"),
    DemoHoliday(dt.date(2026, 6, 16), "1 Muharam Tahun Baru Islam 1448 Hijriah", "libur_nasional"),
    DemoHoliday(
        dt.date(2026, 8, 17), "Proklamasi Kemerdekaan Republik Indonesia", "libur_nasional"
    ),
    DemoHoliday(dt.date(2026, 8, 25), "Maulid Nabi Muhammad S.A.W.", "libur_nasional"),
    DemoHoliday(dt.date(2026, 12, 24), "Cuti Bersama Kelahiran Yesus Kristus", "cuti_bersama"),
    DemoHoliday(dt.date(2026, 12, 25), "Kelahiran Yesus Kristus", "libur_nasional"),
    # 1 January 2027 so that the year boundary works; the rest of 2027 comes with its SKB.
    DemoHoliday(dt.date(2027, 1, 1), "Tahun Baru 2027 Masehi", "libur_nasional"),
)


# Agencies at the MPP: the Pemda's own OPDs and vertical agencies. Thresholds follow how busy
# each counter is (Disdukcapil, Samsat and SKCK draw the longest queues).
GERAI: tuple[DemoGerai, ...] = (
    DemoGerai("MPP-G01", "Gerai Disdukcapil", "Disdukcapil Kabupaten Blora", "MPP", 15),
    DemoGerai(
        "MPP-G02",
        "Gerai Perizinan dan Nonperizinan",
        "DPMPTSP Kabupaten Blora",
        "MPP",
        10,
    ),
    DemoGerai(
        "MPP-G03",
        "Gerai Samsat",
        "Samsat Blora (Bapenda Provinsi Jawa Tengah, Polres Blora, Jasa Raharja)",
        "MPP",
        12,
    ),
    DemoGerai("MPP-G04", "Gerai BPJS Kesehatan", "BPJS Kesehatan", "MPP", 10),
    DemoGerai("MPP-G05", "Gerai BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan", "MPP", 8),
    DemoGerai(
        "MPP-G06",
        "Gerai Pertanahan",
        "Kantor Pertanahan Kabupaten Blora (ATR/BPN)",
        "MPP",
        8,
    ),
    DemoGerai("MPP-G07", "Gerai SKCK", "Polres Blora", "MPP", 12),
    DemoGerai("MPP-G08", "Gerai PDAM", "Perumda Air Minum Kabupaten Blora", "MPP", 8),
    DemoGerai("MPP-G09", "Gerai Bank Jateng", "Bank Jateng", "MPP", 10),
    DemoGerai(
        "MPP-G10", "Gerai Perpajakan", "KPP Pratama Blora (Direktorat Jenderal Pajak)", "MPP", 8
    ),
)

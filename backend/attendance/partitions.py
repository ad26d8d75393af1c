"""Check-ins partitioned by month of `work_date`, on PostgreSQL: `hadir partition-checkins`.

A regency writes a few million check-ins a year; a province or the nation hundreds of millions.
Partitions by month keep each month's indexes small, let a recap or a day recompute (which
filter on `work_date`) read one partition, and let retention drop a month whole instead of
deleting row by row.

Why `work_date` and not `received_at`: every read that matters filters on the local work date
(day records, the monthly recap, the review queue by day), so it prunes partitions there; a
record synced late still lands in the month it belongs to, which is the month its recap and
retention go by. `received_at` would only help writes, which go to the newest partition either way.

It is an explicit step for large deployments rather than a migration that runs at every start:
it rewrites the whole table under an exclusive lock (minutes per ten million rows), which a
Pemda schedules, and the default schema stays a plain table that every engine (SQLite too) and
every other migration treat alike. Running it again only adds the months ahead.

What changes with it:
- PostgreSQL demands the partition key in every unique index, so `client_id`'s uniqueness moves
  to a small guard table, `attendance_checkin_client (client_id PRIMARY KEY, work_date)`, that a
  BEFORE INSERT trigger claims; a claim that already exists skips the insert, exactly as the
  `ON CONFLICT DO NOTHING` of the plain table does, so a replay (or 25 at once) still stores
  one row and gets the stored record back. The primary key becomes (id, work_date); ids still
  come from the same sequence and stay unique.
- A foreign key cannot point at a partitioned table's `id` alone: foreign keys to check-ins
  (`attendance_review.checkin`) become a trigger that refuses a row naming a missing check-in.
  Deleting a check-in is then not blocked by its reviews: retention must drop reviews with it.
- Months get partitions `attendance_checkin_yYYYYmMM` from the oldest record to `months_ahead`
  ahead, plus `attendance_checkin_default` for anything outside them; run the command monthly
  (cron) to keep months ahead. A month whose rows already sit in the default partition is moved
  out of it when its partition is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

TABLE = "attendance_checkin"
GUARD = "attendance_checkin_client"
DEFAULT = f"{TABLE}_default"


class PartitionReport(msgspec.Struct, frozen=True):
    converted: bool  # False when the table was already partitioned
    rows: int  # rows in the table afterwards
    partitions_created: list[str]
    foreign_keys_replaced: list[str]  # "table.column" now checked by a trigger


class PartitionError(Exception):
    """The table cannot be partitioned as it stands (the message says why)."""


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


async def partition_checkins(
    connection: Any, *, today: dt.date, months_ahead: int = 3
) -> PartitionReport:
    """Turn `attendance_checkin` into a table partitioned by month (if it is not yet one) and
    make sure months up to `months_ahead` after `today` have partitions.

    `connection` is an asyncpg connection; everything happens in one transaction.
    """
    async with connection.transaction():
        kind = await connection.fetchval(
            "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)", TABLE
        )
        if kind is None:
            raise PartitionError(f"{TABLE} does not exist: run `hadir migrate` first")
        converted = kind != "p"
        replaced: list[str] = []
        if converted:
            replaced = await _convert(connection)
        first = await connection.fetchval(f"SELECT min(work_date) FROM {TABLE}")
        start = month_start(min(first or today, today))
        end = next_month(month_start(today))  # this month, then `months_ahead` after it
        for _ in range(months_ahead):
            end = next_month(end)
        created = await _ensure_months(connection, start, end)
        rows = await connection.fetchval(f"SELECT count(*) FROM {TABLE}")
    return PartitionReport(
        converted=converted,
        rows=rows,
        partitions_created=created,
        foreign_keys_replaced=replaced,
    )


async def _convert(connection: Any) -> list[str]:
    await connection.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    indexes = await connection.fetch(
        """
        SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition,
               x.indisunique AS is_unique, x.indisprimary AS is_primary,
               array(SELECT a.attname FROM unnest(x.indkey) k
                     JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k) AS columns
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = to_regclass($1)
        """,
        TABLE,
    )
    for index in indexes:
        if index["is_unique"] and not index["is_primary"] and index["columns"] != ["client_id"]:
            raise PartitionError(
                f"unique index {index['name']} on {index['columns']} cannot hold across "
                "monthly partitions; extend it with work_date first"
            )
    own_keys = await connection.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
        "WHERE conrelid = to_regclass($1) AND contype = 'f'",
        TABLE,
    )
    references = await connection.fetch(
        """
        SELECT c.conname, c.conrelid::regclass::text AS source, a.attname AS column
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.confrelid = to_regclass($1) AND c.contype = 'f'
        """,
        TABLE,
    )
    sequence = await connection.fetchval("SELECT pg_get_serial_sequence($1, 'id')", TABLE)

    for reference in references:
        await connection.execute(
            f'ALTER TABLE {reference["source"]} DROP CONSTRAINT "{reference["conname"]}"'
        )
    await connection.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_plain")
    await connection.execute(
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_plain INCLUDING DEFAULTS INCLUDING STORAGE) "
        "PARTITION BY RANGE (work_date)"
    )
    if sequence:
        await connection.execute(f"ALTER SEQUENCE {sequence} OWNED BY {TABLE}.id")
    await connection.execute(
        f"CREATE TABLE IF NOT EXISTS {GUARD} (client_id uuid PRIMARY KEY, work_date date NOT NULL)"
    )
    first = await connection.fetchval(f"SELECT min(work_date) FROM {TABLE}_plain")
    last = await connection.fetchval(f"SELECT max(work_date) FROM {TABLE}_plain")
    if first is not None:
        await _ensure_months(connection, month_start(first), next_month(month_start(last)))
    await _ensure_default(connection)
    # Rows first, indexes after: one sort per index instead of a tree grown row by row.
    await connection.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_plain")
    await connection.execute(
        f"INSERT INTO {GUARD} (client_id, work_date) SELECT client_id, work_date "
        f"FROM {TABLE}_plain ON CONFLICT DO NOTHING"
    )
    await connection.execute(f"DROP TABLE {TABLE}_plain")
    await connection.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, work_date)"
    )
    for index in indexes:
        if not index["is_unique"]:
            await connection.execute(index["definition"])
    await connection.execute(f"CREATE INDEX {TABLE}_client_id ON {TABLE} (client_id)")
    for key in own_keys:
        await connection.execute(
            f'ALTER TABLE {TABLE} ADD CONSTRAINT "{key["conname"]}" {key["definition"]}'
        )
    await connection.execute(
        f"""
        CREATE OR REPLACE FUNCTION {TABLE}_claim() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- client_id is unique across every month: the guard's primary key decides, and
            -- waits for a concurrent claim of the same id to commit or roll back.
            INSERT INTO {GUARD} (client_id, work_date) VALUES (NEW.client_id, NEW.work_date)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                RETURN NULL;  -- a replay: nothing inserted, as ON CONFLICT DO NOTHING does
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER {TABLE}_claim BEFORE INSERT ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION {TABLE}_claim();
        CREATE OR REPLACE FUNCTION {TABLE}_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            wanted bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
        BEGIN
            IF wanted IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {TABLE} WHERE id = wanted) THEN
                RAISE foreign_key_violation
                    USING MESSAGE = format('%s.%s = %s: no such check-in',
                                           TG_TABLE_NAME, TG_ARGV[0], wanted);
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    replaced = []
    for reference in references:
        source, column = reference["source"], reference["column"]
        await connection.execute(
            f'CREATE TRIGGER "{reference["conname"]}" BEFORE INSERT OR UPDATE OF "{column}" '
            f"ON {source} FOR EACH ROW EXECUTE FUNCTION {TABLE}_referenced('{column}')"
        )
        replaced.append(f"{source}.{column}")
    return replaced


async def _ensure_default(connection: Any) -> None:
    await connection.execute(f"CREATE TABLE IF NOT EXISTS {DEFAULT} PARTITION OF {TABLE} DEFAULT")


async def _ensure_months(connection: Any, start: dt.date, end: dt.date) -> list[str]:
    """Partitions for every month from `start` up to (not including) `end`."""
    created = []
    month = start
    while month < end:
        following = next_month(month)
        name = partition_name(month)
        if await connection.fetchval("SELECT to_regclass($1)", name) is None:
            bounds = f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
            has_default = await connection.fetchval("SELECT to_regclass($1)", DEFAULT)
            stranded = has_default is not None and await connection.fetchval(
                f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE work_date >= $1 AND work_date < $2)",
                month,
                following,
            )
            if stranded:
                # The month's rows went to the default partition: move them to their own.
                await connection.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)")
                await connection.execute(
                    f"WITH moved AS (DELETE FROM {DEFAULT} WHERE work_date >= $1 AND "
                    f"work_date < $2 RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                    month,
                    following,
                )
                await connection.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} {bounds}")
            else:
                await connection.execute(f"CREATE TABLE {name} PARTITION OF {TABLE} {bounds}")
            created.append(name)
        month = following
    return created

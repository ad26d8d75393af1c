from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.table import Table


class OutboxItem(Table, tablename="core_outbox"):
    """Follow-up work, written in the same transaction as the change that needs it.

    A dispatcher hands each row to the job queue under its `job_key`; the job removes the rows
    of its key that existed when it started (`backend/core/outbox.py`).
    """

    job = Varchar(length=60)  # the job function's name, as registered in backend/worker.py
    # Names the work, e.g. "day:7:2026-11-16": the queue's job id, so it is queued once at a time.
    job_key = Varchar(length=200, index=True)
    kwargs = JSON()
    created_at = Timestamptz()
    # Not handed to the queue before this time: now for new work, later after a hand-over
    # (the lease before it is offered again) or when the queue was unreachable.
    available_at = Timestamptz(index=True)
    attempts = Integer(default=0)  # hand-overs to the queue so far
    gave_up_at = Timestamptz(null=True, default=None)  # set after `outbox_max_attempts`
    last_error = Varchar(length=300, default="")


class AuditEntry(Table, tablename="core_audit"):
    """Who changed master data or an account, when, and the record before and after: written
    in the same transaction as the change (backend/core/audit.py)."""

    at = Timestamptz(index=True)
    actor = Varchar(length=18)  # the NIP of the one who did it
    action = Varchar(length=60)  # e.g. "employee.update", "employee.password_reset", "admin.put"
    target = Varchar(length=60)  # the table, e.g. "org_employee"
    target_key = Varchar(length=100, index=True)  # e.g. the NIP, the row id
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)

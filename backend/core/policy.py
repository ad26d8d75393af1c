"""Who may do what: the one access-policy table, and the checks every route and service uses.

`POLICY` maps each action to the widest scope each role reaches:

- `OWN`: the caller's own records only;
- `UNIT`: the records of anyone in the caller's unit or a unit under it (a head of unit);
- `ANY`: everyone's.

A role missing from an action's row may not do it at all: the route's guard answers 403. A
person holding several roles (a Kepala BKD is asn, kepala_unit and bkd) reaches the widest
scope of any of them. Nobody decides their own request or check-in (`NOT_OWN`), whatever
their scope. `command` (the regent's command centre) reads aggregates, the recap, and not any
employee's check-ins with their GPS points.

Every route handler carries its action through `allow(action)` in its guards, or is listed in
`PUBLIC`; a test walks every route of the app against every role and own / same-unit /
other-unit target and compares the answers with this table.
"""

from __future__ import annotations

from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from backend.core.auth import ROLES, Principal

OWN, UNIT, ANY = "own", "unit", "any"
SCOPES = (OWN, UNIT, ANY)  # narrowest first


def _everyone(scope: str = OWN) -> dict[str, str]:
    return dict.fromkeys(ROLES, scope)


# action -> role -> the widest scope that role reaches.
POLICY: dict[str, dict[str, str]] = {
    "me.read": _everyone(),
    "checkin.create": _everyone(),
    "checkin.list": _everyone(),  # one's own records of a day
    "checkin.read": {"asn": OWN, "command": OWN, "kepala_unit": UNIT, "bkd": ANY, "admin": ANY},
    "days.read": _everyone(),  # one's own day statuses
    "recap.read": {"kepala_unit": UNIT, "bkd": ANY, "admin": ANY, "command": ANY},
    "review.list": {"bkd": ANY},
    "review.decide": {"bkd": ANY},
    # "Jadikan foto referensi": an accepted check-in's selfie enrolled from the review desk.
    "review.reference": {"bkd": ANY},
    "face.enrol": {"bkd": ANY, "admin": ANY},
    "face.list": {"bkd": ANY, "admin": ANY},
    "permit.create": _everyone(),
    "permit.list": _everyone(),  # one's own permits
    "permit.inbox": {"kepala_unit": UNIT, "bkd": ANY, "admin": ANY},
    "permit.read": {**_everyone(), "kepala_unit": UNIT, "bkd": ANY, "admin": ANY},
    "permit.decide": {"kepala_unit": UNIT, "bkd": ANY, "admin": ANY},
    "permit.cancel": _everyone(),
    "push.key": _everyone(),
    "push.subscribe": _everyone(),
    "push.unsubscribe": _everyone(),
    # The back office (issue 9): bulk import, accounts.
    "import.run": {"bkd": ANY, "admin": ANY},
    "me.password": _everyone(),
    # Gerai of the MPP: the MPP's own staff see theirs (unit scope: the gerai of their unit,
    # and those they serve at or supervise); bkd, command and admin see all.
    "gerai.list": {"asn": UNIT, "kepala_unit": UNIT, "bkd": ANY, "command": ANY, "admin": ANY},
    "gerai.import": {"bkd": ANY, "admin": ANY},
    # SKM figures: a gerai's supervisors (asn, own: the gerai they supervise), the head of the
    # MPP (and above), bkd and command.
    "ratings.ikm": {"asn": OWN, "kepala_unit": UNIT, "bkd": ANY, "command": ANY},
    # Citizens' comments: read by the same people as the figures.
    "ratings.comments": {"asn": OWN, "kepala_unit": UNIT, "bkd": ANY, "command": ANY},
    # The command board (backend/board): aggregates for command and BKD; a head's own today.
    "board.read": {"command": ANY, "bkd": ANY},
    "board.today": {"kepala_unit": UNIT, "bkd": ANY, "command": ANY, "admin": ANY},
    "board.remind": {"kepala_unit": UNIT},
    "teguran.send": {"command": ANY, "bkd": ANY},
    "teguran.list": {**_everyone(), "command": ANY, "bkd": ANY},
    "teguran.ack": _everyone(),  # only what was sent to oneself
    # CCTV: BKD and admins keep the cameras; the command centre watches them too.
    "cctv.camera.manage": {"bkd": ANY, "admin": ANY},
    "cctv.camera.list": {"bkd": ANY, "admin": ANY, "command": ANY},
    "cctv.snapshot.list": {"bkd": ANY, "admin": ANY, "command": ANY},
    "cctv.alert.list": {"bkd": ANY, "admin": ANY, "command": ANY},
    # The fence editor: BKD and admins read and change every location's fence.
    "fence.read": {"bkd": ANY, "admin": ANY},
    "fence.update": {"bkd": ANY, "admin": ANY},
    # Face enrolment at the BKD desk: the quality check before saving, and removal.
    "face.check": {"bkd": ANY, "admin": ANY},
    "face.remove": {"bkd": ANY, "admin": ANY},
    # Finding an employee (for the enrolment desk and the account screen) and their trail.
    "employee.list": {"bkd": ANY, "admin": ANY},
    "employee.audit": {"bkd": ANY, "admin": ANY},
    # Exit events (faces identified at exits): evidence for BKD and the head of the unit.
    "cctv.exit.list": {"kepala_unit": UNIT, "bkd": ANY, "admin": ANY},
    "employee.update": {"admin": ANY},
    "employee.password_reset": {"admin": ANY},
    # Face kiosks at office doors: registered, listed and revoked by BKD and admins.
    "kiosk.manage": {"bkd": ANY, "admin": ANY},
    # Device keys (issue 13): everyone registers and sees their own; BKD and admins see an
    # employee's devices (changes of phone, broken chains).
    "device.register": _everyone(),
    "device.list": _everyone(),
    "device.read": {"bkd": ANY, "admin": ANY},
    # Piccolo Admin at /admin/ (master data screens): checked by backend/core/admin.py.
    "admin.screens": {"admin": ANY},
    # Attestation (no signal for days): a head attests their own unit's staff's days, never their
    # own; BKD and admins see how often each head attests.
    "attestation.create": {"kepala_unit": UNIT},
    "attestation.list": {"kepala_unit": UNIT},  # the attestations one made
    "attestation.summary": {"bkd": ANY, "admin": ANY},
}

# Nobody decides their own: a permit goes to a superior, a check-in to another verifier.
# An admin changes their own password as everyone does, with the old one (me.password).
NOT_OWN = frozenset(
    {
        "permit.decide",
        "review.decide",
        "review.reference",
        "employee.password_reset",
        "attestation.create",  # nobody attests their own day
    }
)

# Routes reachable without a token, by operation id: signing in, the health probe, and
PUBLIC = frozenset(
    {
        "login",
        "loginHelp",  # whom to ask, and what to do with a forgotten password
        "health",
        "getObject",
        # Citizens rate a gerai with no account (abuse limits in backend/ratings/service.py).
        "publicGerai",
        "submitRating",
        "geraiQrSvg",
        "geraiQrPng",
        "ratingPage",
        "ratingPoster",
        # Cameras push snapshots with HTTP Basic and their own key (checked by backend/cctv).
        "pushSnapshot",
        # Face kiosks: activation with a one-time code, then captures signed with the kiosk's
        # own device key (checked by backend/kiosk/service.py: 401 / 403).
        "activateKiosk",
        "kioskCapture",
        # Piccolo Admin's shell and login page; its API checks hadir's session and the
        # `admin.screens` action itself (backend/core/admin.py: 401 / 403).
        "adminScreens",
    }
)


def scope(who: Principal, action: str) -> str | None:
    """The widest scope any of `who`'s roles reaches for `action`; None: not allowed at all."""
    reached = [POLICY[action][role] for role in who.roles if role in POLICY[action]]
    return max(reached, key=SCOPES.index) if reached else None


def roles_for(action: str) -> list[str]:
    return [role for role in ROLES if role in POLICY[action]]


class allow:
    """The route guard of `action`: lets through callers whose roles reach it at all; the
    service then checks the target against the scope (`ensure`)."""

    def __init__(self, action: str) -> None:
        if action not in POLICY:
            raise KeyError(f"{action!r} is not in the access policy table")
        self.action = action

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.user
        if not isinstance(user, Principal) or scope(user, self.action) is None:
            raise PermissionDeniedException(f"perlu peran {' / '.join(roles_for(self.action))}")


def action_of(handler: BaseRouteHandler) -> str | None:
    """The policy action a route handler is guarded by, if any."""
    for guard in handler.guards or []:
        if isinstance(guard, allow):
            return guard.action
    return None


class UnitTree(Protocol):
    """Where people and units sit in the Pemda's tree: what the `unit` scope needs. The org
    domain's service provides it (core imports no domain; callers hand it in)."""

    async def employee_within(self, employee_id: int, ancestor_id: int) -> bool: ...

    async def unit_within(self, unit_id: int, ancestor_id: int) -> bool: ...


async def reaches(
    who: Principal,
    action: str,
    tree: UnitTree,
    *,
    employee_id: int | None = None,
    unit_id: int | None = None,
) -> bool:
    """Whether `who` may do `action` on the records of `employee_id` (or of unit `unit_id`)."""
    widest = scope(who, action)
    own = employee_id is not None and employee_id == who.employee_id
    if widest is None or (own and action in NOT_OWN):
        return False
    if widest == ANY or own:
        return True
    if widest == OWN:
        return False
    if unit_id is not None:
        return await tree.unit_within(unit_id, who.unit_id)
    return employee_id is not None and await tree.employee_within(employee_id, who.unit_id)


async def ensure(
    who: Principal,
    action: str,
    refusal: Exception,
    tree: UnitTree,
    *,
    employee_id: int | None = None,
    unit_id: int | None = None,
) -> None:
    """Raise `refusal` unless `who` may do `action` on that employee's (or unit's) records.
    A read refuses with NotFound, so as not to confirm that someone else's record exists."""
    if not await reaches(who, action, tree, employee_id=employee_id, unit_id=unit_id):
        raise refusal

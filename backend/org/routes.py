from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from backend.core.auth import PasswordChecker, Principal, TokenIssuer
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.ratelimit import LoginLimiter
from backend.core.schema import Word
from backend.core.settings import Settings
from backend.org import service
from backend.org.schemas import (
    AuditPage,
    EmployeeAccount,
    EmployeePage,
    EmployeePatch,
    LoginHelp,
    LoginRequest,
    LoginResponse,
    PasswordChange,
    PasswordReset,
)
from backend.org.service import Accounts

Search = Annotated[str, Parameter(max_length=100, description="NIP digits or part of a name")]


@post(
    "/api/v1/auth/login",
    operation_id="login",
    summary="Log in with NIP and password (429 with Retry-After after repeated failures)",
)
async def login(
    request: Request[Any, Any, Any],
    data: JSONBody[LoginRequest],
    tokens: NamedDependency[TokenIssuer],
    passwords: NamedDependency[PasswordChecker],
    logins: NamedDependency[LoginLimiter],
) -> LoginResponse:
    address = logins.address_of(
        request.client.host if request.client else None, request.headers.get("x-forwarded-for")
    )
    principal, user = await service.login(data.nip, data.password, passwords, logins, address)
    return LoginResponse(
        access_token=tokens.issue(principal),
        expires_in=tokens.ttl_s,
        user=user,
    )


@get(
    "/api/v1/public/login-help",
    operation_id="loginHelp",
    summary="Whom to ask for help, e.g. with a forgotten password (no login needed)",
)
async def login_help(settings: NamedDependency[Settings]) -> LoginHelp:
    return service.login_help(settings.help_contact)


@post(
    "/api/v1/me/password",
    operation_id="changePassword",
    summary="Change one's own password; other sessions end, a fresh token is returned",
    guards=[allow("me.password")],
    status_code=200,
)
async def change_password(
    request: Request[Principal, Any, Any],
    data: JSONBody[PasswordChange],
    tokens: NamedDependency[TokenIssuer],
    passwords: NamedDependency[PasswordChecker],
) -> LoginResponse:
    principal, user = await service.change_password(
        request.user, data.old_password, data.new_password, passwords
    )
    return LoginResponse(access_token=tokens.issue(principal), expires_in=tokens.ttl_s, user=user)


@patch(
    "/api/v1/admin/employees/{nip:str}",
    operation_id="updateEmployee",
    summary="Change an employee (active, roles, unit, name, position, schedule); audited; "
    "active/roles/unit changes end their sessions",
    guards=[allow("employee.update")],
)
async def update_employee(
    request: Request[Principal, Any, Any],
    nip: FromPath[Word],
    data: JSONBody[EmployeePatch],
    accounts: NamedDependency[Accounts],
) -> EmployeeAccount:
    return await accounts.update(request.user, nip, data)


@post(
    "/api/v1/admin/employees/{nip:str}/password-reset",
    operation_id="resetPassword",
    summary="A new one-time password, shown once; the employee's sessions end; audited",
    guards=[allow("employee.password_reset")],
    status_code=200,
)
async def reset_password(
    request: Request[Principal, Any, Any], nip: FromPath[Word], accounts: NamedDependency[Accounts]
) -> PasswordReset:
    return await accounts.reset_password(request.user, nip)


@get(
    "/api/v1/admin/employees",
    operation_id="listEmployees",
    summary="Find employees by NIP (its first digits) or name; paged",
    guards=[allow("employee.list")],
)
async def list_employees(
    q: FromQuery[Search] = "",
    limit: FromQuery[PageLimit] = DEFAULT_PAGE_SIZE,
    cursor: FromQuery[PageCursor] = None,
) -> EmployeePage:
    return await service.search_employees(q, limit, cursor)


@get(
    "/api/v1/admin/employees/{nip:str}/audit",
    operation_id="employeeAudit",
    summary="The audit trail of an employee's account and face references, newest first; paged",
    guards=[allow("employee.audit")],
)
async def employee_audit(
    nip: FromPath[Word],
    accounts: NamedDependency[Accounts],
    limit: FromQuery[PageLimit] = DEFAULT_PAGE_SIZE,
    cursor: FromQuery[PageCursor] = None,
) -> AuditPage:
    return await accounts.trail(nip, limit, cursor)


ROUTES = [
    login,
    login_help,
    change_password,
    list_employees,
    update_employee,
    reset_password,
    employee_audit,
]

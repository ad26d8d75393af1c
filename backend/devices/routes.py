from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.auth import Principal
from backend.core.policy import allow
from backend.core.schema import Word
from backend.devices.schemas import Device, DeviceCreate, DeviceList
from backend.devices.service import Devices


@post(
    "/api/v1/devices",
    operation_id="registerDevice",
    summary="Register the caller's device key (ECDSA P-256 SPKI, base64); the same key again "
    "answers the same device (200)",
    guards=[allow("device.register")],
)
async def register_device(
    request: Request[Principal, Any, Any],
    data: JSONBody[DeviceCreate],
    devices: NamedDependency[Devices],
) -> Response[Device]:
    device, created = await devices.register(request.user, data)
    return Response(device, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get(
    "/api/v1/devices",
    operation_id="listMyDevices",
    summary="The caller's registered device keys, newest first",
    guards=[allow("device.list")],
)
async def list_my_devices(
    request: Request[Principal, Any, Any], devices: NamedDependency[Devices]
) -> DeviceList:
    return await devices.mine(request.user)


@get(
    "/api/v1/admin/employees/{nip:str}/devices",
    operation_id="listEmployeeDevices",
    summary="An employee's registered device keys, with how many of their links were broken",
    guards=[allow("device.read")],
)
async def list_employee_devices(
    request: Request[Principal, Any, Any], nip: FromPath[Word], devices: NamedDependency[Devices]
) -> DeviceList:
    return await devices.of_employee(request.user, nip)


ROUTES = [register_device, list_my_devices, list_employee_devices]

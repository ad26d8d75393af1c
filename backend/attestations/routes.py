from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.attestations.schemas import (
    Attestation,
    AttestationCreate,
    AttestationList,
    AttestationSummary,
)
from backend.attestations.service import Attestations
from backend.core.auth import Principal
from backend.core.policy import allow


@post(
    "/api/v1/attestations",
    operation_id="createAttestation",
    summary="A head of unit attests a staff member's days with no check-in possible (no signal, "
    "a dead phone); replays of one client_id are idempotent",
    guards=[allow("attestation.create")],
)
async def create_attestation(
    request: Request[Principal, Any, Any],
    data: JSONBody[AttestationCreate],
    attestations: NamedDependency[Attestations],
) -> Response[Attestation]:
    attestation, created = await attestations.create(request.user, data, body=await request.body())
    return Response(attestation, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get(
    "/api/v1/attestations",
    operation_id="listMyAttestations",
    summary="The newest attestations this head of unit made",
    guards=[allow("attestation.list")],
)
async def list_my_attestations(
    request: Request[Principal, Any, Any], attestations: NamedDependency[Attestations]
) -> AttestationList:
    return await attestations.mine(request.user)


@get(
    "/api/v1/attestations/summary",
    operation_id="attestationSummary",
    summary="How often each head of unit attested over the last `days` (30), beside their staff, "
    "and the newest attestations with reasons",
    guards=[allow("attestation.summary")],
)
async def attestation_summary(
    attestations: NamedDependency[Attestations],
    # Not named `days`: that name is the day records' dependency.
    period: Annotated[int, QueryParameter(name="days", ge=1, le=366)] = 30,
) -> AttestationSummary:
    return await attestations.summary(days=period)


ROUTES = [create_attestation, list_my_attestations, attestation_summary]

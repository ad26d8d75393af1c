from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter

from backend.core.auth import Principal
from backend.core.policy import allow
from backend.push.schemas import PushKey, Subscription, SubscriptionCreate
from backend.push.service import Push


@get(
    "/api/v1/push/key",
    operation_id="getPushKey",
    summary="The VAPID public key for PushManager.subscribe({applicationServerKey})",
    guards=[allow("push.key")],
)
async def push_key(push: NamedDependency[Push]) -> PushKey:
    return PushKey(public_key=push.public_key)


@post(
    "/api/v1/push/subscriptions",
    operation_id="subscribePush",
    summary="Keep this browser's PushSubscription.toJSON() for the caller (upsert by endpoint)",
    guards=[allow("push.subscribe")],
)
async def subscribe(
    request: Request[Principal, Any, Any],
    data: JSONBody[SubscriptionCreate],
    push: NamedDependency[Push],
) -> Subscription:
    return await push.subscribe(request.user, data)


@delete(
    "/api/v1/push/subscriptions",
    operation_id="unsubscribePush",
    summary="Forget the caller's subscription with this endpoint (idempotent)",
    guards=[allow("push.unsubscribe")],
)
async def unsubscribe(
    request: Request[Principal, Any, Any],
    endpoint: FromQuery[Annotated[str, Parameter(min_length=1, max_length=1000)]],
    push: NamedDependency[Push],
) -> None:
    await push.unsubscribe(request.user, endpoint)


ROUTES = [push_key, subscribe, unsubscribe]

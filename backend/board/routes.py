from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.board.schemas import (
    BoardState,
    Reminded,
    RemindRequest,
    TeguranAck,
    TeguranCreate,
    TeguranList,
    TeguranSent,
    TeguranView,
    UnitTodayView,
)
from backend.board.service import Board
from backend.core.auth import Principal
from backend.core.policy import allow
from backend.core.schema import Id, MaybeWord
from backend.core.settings import Settings

# SSE responses must reach the browser as they are written: never gzip-buffered.
STREAMING = {"skip_compression": True}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@get(
    "/api/v1/board",
    operation_id="getBoard",
    summary="The command board: every unit today (or `unit`'s subtree), watch list, trends, gerai",
    guards=[allow("board.read")],
)
async def get_board(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    unit: FromQuery[MaybeWord] = None,
) -> BoardState:
    return await board.for_viewer(await board.state(_now(), unit), request.user)


@get(
    "/api/v1/board/stream",
    operation_id="streamBoard",
    summary="Server-Sent Events: `board` events carry the whole state after each change",
    guards=[allow("board.read")],
    opt=STREAMING,
)
async def stream_board(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    settings: NamedDependency[Settings],
    unit: FromQuery[MaybeWord] = None,
    once: FromQuery[bool] = False,
) -> ServerSentEvent:
    if unit is not None:
        await board.state(_now(), unit)  # an unknown unit is a 404 before the stream opens
    return ServerSentEvent(
        _events(board, unit, settings.board_refresh_s, once=once, who=request.user)
    )


async def _events(
    board: Board, unit: str | None, refresh_s: float, *, once: bool, who: Principal
) -> AsyncIterator[ServerSentEventMessage]:
    """The state at once, then after every change signal, and at least every `refresh_s`
    (a signal lost while Redis was away; it also renews the thumbnails' short-lived links).
    `once`: the current state, then the end."""
    seen = board.signal.version
    while True:
        state = await (board.shared_state(seen) if unit is None else board.state(_now(), unit))
        state = await board.for_viewer(state, who)
        yield ServerSentEventMessage(
            data=msgspec.json.encode(state).decode(), event="board", id=str(seen)
        )
        if once:
            return
        await board.signal.wait(seen, refresh_s)
        seen = board.signal.version


@get(
    "/api/v1/board/today",
    operation_id="unitToday",
    summary="A head of unit's today: their staff (units under them) one by one, and the month",
    guards=[allow("board.today")],
)
async def unit_today(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    unit: FromQuery[MaybeWord] = None,
) -> UnitTodayView:
    return await board.today(request.user, unit, _now())


@post(
    "/api/v1/board/remind",
    operation_id="remindNotYetIn",
    summary="Push a reminder to the staff not yet in today (once per person and day)",
    guards=[allow("board.remind")],
    status_code=HTTP_200_OK,
)
async def remind(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    data: JSONBody[RemindRequest],
) -> Reminded:
    return await board.remind(request.user, data.unit, _now())


@post(
    "/api/v1/board/teguran",
    operation_id="sendTeguran",
    summary="Send a teguran or a note to a unit's heads or a gerai's supervisors (push, audited)",
    guards=[allow("teguran.send")],
    status_code=HTTP_201_CREATED,
)
async def send_teguran(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    data: JSONBody[TeguranCreate],
) -> TeguranSent:
    return TeguranSent(sent=await board.send_teguran(request.user, data, _now()))


@get(
    "/api/v1/board/teguran",
    operation_id="listTeguran",
    summary="The latest teguran: sent to or by the caller (all of them for command and bkd)",
    guards=[allow("teguran.list")],
)
async def list_teguran(
    request: Request[Principal, Any, Any], board: NamedDependency[Board]
) -> TeguranList:
    return TeguranList(items=await board.list_teguran(request.user))


@post(
    "/api/v1/board/teguran/{teguran_id:int}/ack",
    operation_id="ackTeguran",
    summary="The recipient acknowledges a teguran (once; audited)",
    guards=[allow("teguran.ack")],
    status_code=HTTP_200_OK,
)
async def ack_teguran(
    request: Request[Principal, Any, Any],
    board: NamedDependency[Board],
    teguran_id: FromPath[Id],
    data: JSONBody[TeguranAck],
) -> TeguranView:
    return await board.ack_teguran(request.user, teguran_id, data.note, _now())


ROUTES = [get_board, stream_board, unit_today, remind, send_teguran, list_teguran, ack_teguran]

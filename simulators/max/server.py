"""The aiohttp application: authentication, schema checks, limits, faults, dispatch."""

from __future__ import annotations

import json
import traceback
from typing import Any

from aiohttp import web

from simulators.faults import take_fault as take_fault_of
from simulators.images import content_type_of, png_bytes, sniff_image
from simulators.ratewindow import admit
from simulators.serving import HUB_KEY, Hub

from . import control, spec
from .api import HANDLERS
from .errors import Code, MaxError, bad_request
from .state import CallRecord, Fault, FaultKind, State
from .updates import long_poll

STATE_KEY = web.AppKey("fake_max_state", State)
MAX_BODY = 60 * 1024 * 1024


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error(error: MaxError) -> web.Response:
    return web.json_response(error.body(), status=error.status, dumps=_dumps)


def over_limit(state: State) -> bool:
    """Sliding one-second window of requests per bot; refused requests do not count."""
    if not state.limits:
        return False
    if admit(state.window, state.clock(), state.rps):
        return False
    state.bump("rate_limited")
    return True


def take_fault(state: State, operation: str) -> Fault | None:
    """The first scripted fault for ``operation`` (or ``*``), using up one time."""
    return take_fault_of(state.faults, lambda fault: fault.operation in (operation, "*"))


async def _body(request: web.Request) -> tuple[Any, MaxError | None]:
    raw = await request.read()
    if not raw:
        return None, None
    try:
        return json.loads(raw), None
    except ValueError:
        return None, bad_request("the body is not JSON")


def _violation(state: State, record: CallRecord, problem: str) -> None:
    state.violations.append(f"{record.verb} {record.path}: {problem}")


def _authorize(state: State, request: web.Request, record: CallRecord) -> MaxError | None:
    if "access_token" in request.query:
        _violation(state, record, "token in the query (MAX takes it only in Authorization)")
        return MaxError(401, Code.VERIFY_TOKEN, "Token in query parameters is not supported")
    if request.headers.get("Authorization") != state.token:
        return MaxError(401, Code.VERIFY_TOKEN, "Invalid access_token")
    return None


def _checked(
    state: State, request: web.Request, record: CallRecord, body: Any
) -> tuple[spec.Operation, dict[str, str]]:
    """The schema operation of a request, or the error its problems call for."""
    op, values, path_known = spec.match(request.method, request.path)
    if op is None:
        problem = "wrong HTTP verb" if path_known else "no such path in the schema"
        _violation(state, record, problem)
        if path_known:
            raise MaxError(405, Code.METHOD_NOT_ALLOWED, "Method not allowed")
        raise MaxError(404, Code.NOT_FOUND, "Path not found")
    record.operation = op.operation_id
    repeated = [name for name in request.query if len(request.query.getall(name)) > 1]
    problems = [f"query {name!r}: given more than once" for name in repeated]
    problems += spec.check_query(op, dict(request.query))
    problems += spec.check_path(op, values)
    problems += spec.check_body(op, body)
    for problem in problems:
        _violation(state, record, problem)
    if problems:
        raise bad_request(problems[0])
    return op, values


async def handle_api(request: web.Request) -> web.Response:
    """Every API path: the checks in MAX's order, then the operation."""
    state = request.app[STATE_KEY]
    body, body_error = await _body(request)
    with state.lock:
        record = CallRecord(
            len(state.calls) + 1, "", request.method, request.path, dict(request.query), body
        )
        state.calls.append(record)
    try:
        response, delay = await _serve(request, state, record, body, body_error)
    except MaxError as error:
        response, delay = _error(error), 0.0
        record.code = error.code
    except Exception:
        detail = traceback.format_exc()
        with state.lock:
            state.internal_errors.append(detail)
        response, delay = (
            web.json_response({"code": "internal.error", "message": "fake bug"}, status=500),
            0.0,
        )
    record.status = response.status
    if delay:
        await request.app[HUB_KEY].sleep(delay)
    return response


async def _serve(
    request: web.Request, state: State, record: CallRecord, body: Any, body_error: MaxError | None
) -> tuple[web.Response, float]:
    with state.lock:
        refusal = _authorize(state, request, record)
        if refusal is not None:
            raise refusal
        if over_limit(state):
            raise MaxError(429, Code.TOO_MANY_REQUESTS, "Too many requests")
        if body_error is not None:
            _violation(state, record, body_error.message)
            raise body_error
        op, values = _checked(state, request, record, body)
        fault = take_fault(state, op.operation_id)
    if fault is not None and fault.kind == FaultKind.ERROR:
        state.bump("faults")
        raise MaxError(fault.status, fault.code, fault.message)
    delay = fault.delay if fault is not None else 0.0
    if op.operation_id == "getUpdates":
        answer = await long_poll(state, request.app[HUB_KEY], dict(request.query))
    else:
        handler = HANDLERS.get(op.operation_id)
        if handler is None:
            raise MaxError(501, Code.INTERNAL, f"the fake does not implement {op.operation_id}")
        with state.lock:
            answer = handler(state, dict(request.query), values, body)
    # The fake's own answers are held to the schema too: a mismatch is a bug of the fake.
    problems = spec.check_answer(op, 200, answer)
    if problems:
        with state.lock:
            state.internal_errors.append(f"{op.operation_id} answered off the schema: {problems}")
    return web.json_response(answer, dumps=_dumps), delay


async def handle_upload(request: web.Request) -> web.Response:
    """``POST /upload/{slot}``: multipart field ``data``, answered like MAX's upload hosts."""
    state = request.app[STATE_KEY]
    with state.lock:
        upload = state.uploads.get(request.match_info["slot"])
    if upload is None or upload.data is not None:
        return web.json_response({"error_code": "upload.url.invalid"}, status=404)
    form = await request.post()
    field = form.get("data")
    if not isinstance(field, web.FileField):
        return web.json_response({"error_code": "upload.no.file", "field": "data"}, status=400)
    data = field.file.read()
    if upload.type == "image" and sniff_image(data) is None:
        return web.json_response({"error_code": "upload.not.image"}, status=400)
    with state.lock:
        upload.data, upload.filename = data, field.filename
        if upload.type == "image":
            upload.photo_id = state.next_photo_id
            state.next_photo_id += 1
            answer: dict[str, Any] = {"photos": {str(upload.photo_id): {"token": upload.token}}}
        elif upload.type == "file":
            answer = {"fileId": upload.photo_id or len(state.uploads), "token": upload.token}
        else:
            answer = {}
    return web.json_response(answer)


async def handle_media(request: web.Request) -> web.Response:
    """``GET /media/{slot}``: the bytes behind an attachment's URL."""
    state = request.app[STATE_KEY]
    name = request.match_info["slot"]
    if name == "bot.png":
        return web.Response(body=png_bytes(64, 64), content_type="image/png")
    with state.lock:
        upload = state.uploads.get(name)
    if upload is None or upload.data is None:
        raise web.HTTPNotFound()
    return web.Response(body=upload.data, content_type=content_type_of(upload.data))


def build_app(state: State, hub: Hub, base_url: str) -> web.Application:
    """Routes: uploads, media and control first, then every API path."""
    app = web.Application(client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    with state.lock:
        state.base_url = base_url
        state.notify = hub.notify  # what queues an update wakes the long polls
    app.router.add_post("/upload/{slot}", handle_upload)
    app.router.add_get("/media/{slot}", handle_media)
    control.add_routes(app, STATE_KEY)
    app.router.add_route("*", "/{tail:.*}", handle_api)
    return app

"""The HTTP side of the fake: an aiohttp app on its own loop in a daemon thread.

So async tests, sync code and subprocesses can all talk to it. ``FakeTelegram``
(``fake.py``) adds the test-facing API on top.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import urllib.parse
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from simulators.faults import take_fault
from simulators.serving import HUB_KEY, Hub, Served, ServerThread

from . import control
from .errors import (
    NGINX_413,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    EntityTooLarge,
    bad_request,
    forbidden,
    retry_after,
)
from .media import UPLOAD_MAX_BYTES, Upload
from .methods import METHODS, MethodSpec
from .params import Params
from .state import UPDATE_TYPES, Fault, State

CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
log = logging.getLogger(__name__)
# nginx's limit on a whole request: one 50 MB file and its multipart framing.
NGINX_MAX_BODY = UPLOAD_MAX_BYTES + 64 * 1024


async def read_request(request: web.Request) -> tuple[dict[str, str], dict[str, Upload]]:
    """Query string plus a urlencoded, multipart or JSON body."""
    values: dict[str, str] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return values, files
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = await part.read(decode=False)
                kind = part.headers.get(hdrs.CONTENT_TYPE, "")
                files[part.name] = Upload(part.filename, bytes(data), kind)
            else:
                values[part.name] = await part.text()
    elif request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        if isinstance(body, dict):
            for key, value in body.items():
                values[key] = value if isinstance(value, str) else json.dumps(value)
    else:
        raw = await request.text()
        values.update(urllib.parse.parse_qsl(raw, keep_blank_values=True))
    return values, files


class BotApiServer(Served):
    """Serves the Bot API over a ``State``; start()/stop() or use as a context manager."""

    def __init__(self, state: State, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = state
        self._lock = state.lock
        # No cancelling a handler whose client went away: a send it began is finished.
        thread = ServerThread(
            "fake-telegram", self._build, handler_cancellation=False, shutdown_timeout=2.0
        )
        self._serve_from(thread, host, port)
        self.internal_errors: list[str] = []

    def _build(self, hub: Hub, base_url: str) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        control.add_routes(app, self)  # type: ignore[arg-type]  # always a FakeTelegram
        return app

    def _wake(self) -> None:
        """Wake long polls (callable from any thread)."""
        self._server.notify()

    # --- HTTP --------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        spec = METHODS.get(name.lower())
        entry: dict[str, Any] = {
            "method": spec.name if spec else name,
            "params": {},
            "time": time.time(),
            "status": None,
            "ok": None,
            "description": None,
            "fault": None,
        }
        with self._lock:
            self._state.request_log.append(entry)
            self._state.counters["requests"] += 1
        delay = 0.0
        if (request.content_length or 0) > NGINX_MAX_BODY:
            return await self._refused_by_nginx(request, entry)
        try:
            if request.match_info["token"] != self._state.token:
                raise UNAUTHORIZED
            values, files = await read_request(request)
            params = Params(entry["method"], spec.fields if spec else frozenset(), values, files)
            with self._lock:
                entry["params"] = params.logged()
            if spec is None:
                raise NOT_FOUND
            fault = self._take_fault(spec.name, values)
            if fault is not None:
                entry["fault"] = fault.kind
                delay = fault.delay if fault.kind == "timeout_after_accept" else 0.0
                if not delay:
                    raise self._fault_error(fault)
            status, body = 200, await self._call(spec, params, request.app[HUB_KEY])
        except EntityTooLarge:
            return await self._refused_by_nginx(request, entry)
        except ApiError as error:
            status, body = error.code, json.dumps(error.body(), ensure_ascii=False)
        except Exception as error:  # a bug of the fake: answer 500, keep it
            detail = "".join(traceback.format_exception(error))
            log.error("fake Telegram failed on %s:\n%s", name, detail)
            with self._lock:
                self.internal_errors.append(detail)
            status = 500
            body = json.dumps(
                {"ok": False, "error_code": 500, "description": f"Internal Server Error: {error}"}
            )
        self._finish(entry, status, body)
        await request.app[HUB_KEY].sleep(delay)
        return web.Response(text=body, status=status, content_type="application/json")

    async def _refused_by_nginx(self, request: web.Request, entry: dict[str, Any]) -> web.Response:
        """A body over the upload limit: read to the end, then nginx's HTML 413 (no JSON)."""
        while await request.content.readany():
            pass
        with self._lock:
            entry.update(status=413, ok=False, description="413 Request Entity Too Large (nginx)")
            self._state.counters["errors"] += 1
        return web.Response(text=NGINX_413, status=413, content_type="text/html")

    async def _call(self, spec: MethodSpec, params: Params, hub: Hub) -> str:
        if spec.handler is None:
            return await self._get_updates(params, hub)
        with self._lock:
            result = spec.handler(self._state, params)
            return json.dumps({"ok": True, "result": result}, ensure_ascii=False)

    def _finish(self, entry: dict[str, Any], status: int, body: str) -> None:
        with self._lock:
            entry["status"] = status
            entry["ok"] = status == 200
            counters = self._state.counters
            if status != 200:
                entry["description"] = json.loads(body).get("description")
                counters["errors"] += 1
            if status == 429:
                counters["too_many_requests"] += 1

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self._state.token:
            return web.json_response(UNAUTHORIZED.body(), status=401)
        with self._lock:
            record = self._state.file_paths.get(request.match_info["path"])
            data = record.data if record is not None else None
            mime = (record.mime_type if record else None) or "application/octet-stream"
        if data is None:
            return web.json_response(NOT_FOUND.body(), status=404)
        return web.Response(body=data, content_type=mime)

    # --- faults ------------------------------------------------------------

    def _take_fault(self, method: str, values: dict[str, str]) -> Fault | None:
        def applies(fault: Fault) -> bool:
            if fault.method not in ("*", method.lower()):
                return False
            return fault.chat_id is None or str(fault.chat_id) == values.get("chat_id")

        with self._lock:
            fault = take_fault(self._state.faults, applies)
            if fault is not None:
                self._state.counters["faults_injected"] += 1
        return fault

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        if fault.kind == "429":
            return retry_after(fault.retry_after)
        if fault.kind == "403":
            return forbidden(fault.description or "bot was blocked by the user")
        if fault.kind == "400":
            return bad_request(fault.description or "fault injected by the test")
        if fault.kind == "502":
            return ApiError(502, fault.description or "Bad Gateway")
        return ApiError(500, fault.description or "Internal Server Error")

    # --- getUpdates --------------------------------------------------------

    async def _get_updates(self, p: Params, hub: Hub) -> str:
        st = self._state
        with self._lock:
            offset = p.integer("offset")
            limit = min(max(p.integer("limit") or 100, 1), 100)
            timeout = max(p.integer("timeout") or 0, 0)
            allowed = p.parsed("allowed_updates", "can't parse allowed_updates JSON object")
            if allowed is not None:
                if not isinstance(allowed, list):
                    raise bad_request("can't parse allowed_updates JSON object")
                known = [kind for kind in allowed if kind in UPDATE_TYPES]
                st.allowed_updates = frozenset(known) if known else None
            st.poll_generation += 1
            generation = st.poll_generation
            st.confirm(offset)
        hub.notify()  # an older poll still waiting gets its 409

        def attempt(final: bool) -> str | None:
            with self._lock:
                if st.poll_generation != generation:
                    raise ApiError(409, CONFLICT)
                batch = st.pending(limit)
                if batch:
                    return json.dumps({"ok": True, "result": batch}, ensure_ascii=False)
            return json.dumps({"ok": True, "result": []}) if final else None

        return await hub.poll(timeout, attempt)

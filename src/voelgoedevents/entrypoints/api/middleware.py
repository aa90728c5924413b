"""ASGI middleware: body size limits, idempotent writes, JSON access logs.

Plain ASGI rather than ``BaseHTTPMiddleware``: they must see (and for idempotency, replay) raw
bodies and responses, and they must not buffer the seat stream.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from datetime import datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voelgoedevents.adapters.metrics import HTTP_REQUESTS
from voelgoedevents.domain.errors import DomainError
from voelgoedevents.entrypoints.api.idempotency import Answer, HeldKey
from voelgoedevents.entrypoints.api.problems import domain_problem, problem
from voelgoedevents.workflows.access import begin_idempotent

access_log = logging.getLogger("voelgoedevents.access")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, 1 to 200 characters


async def _send_problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    await problem(status, code, detail, headers)(scope, receive, send)


class _TooLarge(HTTPException):
    """Raised while a body is read past the limit. An HTTPException, because FastAPI's body
    parsing turns any other error into a 400; this one it passes on, to the 413 handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body may be at most {limit} bytes")


class BodyLimit:
    """Refuse bodies over the limit with a 413 problem; layout documents get a larger limit."""

    def __init__(self, app: ASGIApp, *, limit: int, document_limit: int) -> None:
        self.app, self.limit, self.document_limit = app, limit, document_limit

    def _limit_for(self, scope: Scope) -> int:
        path = scope["path"]
        is_document = path.endswith("/document") or (
            path.startswith("/venues/") and path.endswith("/layouts")
        )
        return self.document_limit if is_document else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_problem(
                scope,
                receive,
                send,
                413,
                "payload_too_large",
                f"the body may be at most {limit} bytes",
            )
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_problem(
                    scope,
                    receive,
                    send,
                    413,
                    "payload_too_large",
                    f"the body may be at most {limit} bytes",
                )


class Idempotency:
    """Writes with an ``Idempotency-Key`` (per API key): a retry gets the stored answer, a
    duplicate still in flight a 409 with Retry-After, a different request under the same key a
    422. Failures on our side (5xx) are not stored, so a retry runs afresh; nor is an answer
    marked ``Cache-Control: no-store`` (a new key's token is shown once and never stored).
    While the first request runs it renews its claim (``idempotency.HeldKey``): a retry after a
    dead attempt is answered within seconds, and an answered request never keeps its key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        key = headers.get("idempotency-key") if headers is not None else None
        if headers is None or key is None or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        if not IDEMPOTENCY_KEY.match(key):
            await _send_problem(
                scope,
                receive,
                send,
                422,
                "invalid_input",
                "Idempotency-Key: 1 to 200 visible ASCII characters",
            )
            return
        state = scope["app"].state
        # This middleware reads the key and the record itself, outside the app's error
        # handlers: a refusal from the database (busy, unreachable) is answered here.
        try:
            caller = await _caller(state, headers)
        except DomainError as refused:
            await domain_problem(refused)(scope, receive, send)
            return
        if caller is None:  # the endpoint will answer 401
            await self.app(scope, receive, send)
            return
        body, more = await _read_all(receive)
        digest = request_digest(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        try:
            stored = await begin_idempotent(
                state.services, key_id=caller.key_id, key=key, request_hash=digest
            )
        except DomainError as refused:
            await domain_problem(refused)(scope, receive, send)
            return
        if stored.state == "mismatch":
            await _send_problem(
                scope,
                receive,
                send,
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            )
        elif stored.state == "in_flight":
            await _send_problem(
                scope,
                receive,
                send,
                409,
                "idempotency_key_in_flight",
                "a request with this Idempotency-Key is being answered",
                {"Retry-After": "1"},
            )
        elif stored.state == "done":
            await _replay(send, stored.status_code or 200, stored.content_type, stored.body)
        else:
            assert stored.claimed_at is not None
            claim = (caller.key_id, key, stored.claimed_at)
            await self._answer_and_store(scope, send, state, claim, body, more)

    async def _answer_and_store(
        self,
        scope: Scope,
        send: Send,
        state: Any,
        claim: tuple[uuid.UUID, str, datetime],
        body: bytes,
        more: Receive,
    ) -> None:
        held = HeldKey(state.services, *claim)
        held.keep()
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return await more()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, content_type, chunks = 500, "application/json", list[bytes]()
        secret = False

        async def capture(message: Message) -> None:
            nonlocal status, content_type, secret
            if message["type"] == "http.response.start":
                status = message["status"]
                answer = Headers(raw=message.get("headers", []))
                content_type = answer.get("content-type", content_type)
                secret = "no-store" in answer.get("cache-control", "").lower()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Settled before the answer's last bytes leave: whoever has the answer
                    # (and retries at once) never finds the key still in flight.
                    kept = 200 <= status < 500 and status not in (401, 403, 429) and not secret
                    stored = Answer(status, content_type, b"".join(chunks)) if kept else None
                    await held.settle(stored)
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            # No complete answer (the app raised, or the request was cancelled): a retry may
            # run afresh.
            await held.settle(None)


def request_digest(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests under one Idempotency-Key the same request."""
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), query, body])).hexdigest()


async def _caller(state: Any, headers: Headers) -> Any:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return await state.authenticator.caller(token)


async def _read_all(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), _then(message, receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), receive


def _then(first: Message, receive: Receive) -> Receive:
    pending: list[Message] = [first]

    async def again() -> Message:
        return pending.pop() if pending else await receive()

    return again


async def _replay(send: Send, status: int, content_type: str | None, body: bytes | None) -> None:
    headers = [
        (b"content-type", (content_type or "application/json").encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b""})


class AccessLog:
    """One JSON line per request (with the organisation and the event when known), and the
    request-duration histogram by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(route, str(status)).observe(seconds)
        caller = getattr(scope.get("state", {}).get("caller"), "organization_id", None)
        params = scope.get("path_params", {})
        access_log.info(
            "request",
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "organization_id": str(caller) if caller else None,
                "event_id": str(params["event_id"]) if "event_id" in params else None,
            },
        )

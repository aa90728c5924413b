"""Errors as ``application/problem+json`` (RFC 9457), each with a stable ``code``.

Domain errors keep their code; validation errors name each field; anything unexpected is a 500
with no internals, logged with its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from voelgoedevents.domain import errors

log = logging.getLogger("voelgoedevents.api")
PROBLEM_TYPE = "https://voelgoedevents.example/problems/"
MEDIA_TYPE = "application/problem+json"

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.InvalidDocument: 422,
    errors.IdempotencyKeyReused: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.RateLimited: 429,
    errors.Busy: 503,
    errors.IdempotencyInFlight: 409,
}
TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Busy",
}


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


# The problem's own members and problem()'s parameters: a domain detail with one of these names
# (a layout's or a hold's "status", say) comes back as current_<name>, never replacing them.
RESERVED = frozenset({"type", "title", "status", "code", "detail", "headers", "problems"})


def status_of(exc: errors.DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 409  # every other refusal: the request clashes with the current state


def domain_problem(exc: errors.DomainError) -> JSONResponse:
    status = status_of(exc)
    extra = {
        f"current_{key}" if key in RESERVED else key: value
        for key, value in exc.details.items()
        if key != "problems"
    }
    if isinstance(exc, errors.InvalidInput) and "field" in exc.details:
        # The same shape as a request validation error: clients read `errors` either way.
        extra["errors"] = [{"field": str(exc.details["field"]), "reason": exc.message}]
    if isinstance(exc, errors.InvalidDocument):
        extra["problems"] = [{"path": p.path, "reason": p.reason} for p in exc.problems]
    headers = None
    retry = getattr(exc, "retry_after_seconds", None)
    if retry is not None:
        headers = {"Retry-After": str(max(1, round(retry)))}
    return problem(status, exc.code, exc.message, headers, **extra)


NOT_JSON = "must be JSON, sent with Content-Type: application/json"


def _request_error(error: Any) -> dict[str, str]:
    """One request validation error as the field and why. A JSON syntax error is located at
    ("body", <character>): its field is the body, and the character belongs in the reason. A
    body FastAPI did not parse, because its Content-Type is not JSON, comes as raw bytes: the
    reason is that, not the bytes' failing to be an object."""
    if error["loc"][:1] == ("body",) and isinstance(error.get("input"), bytes | bytearray):
        return {"field": "body", "reason": NOT_JSON}
    if error["type"] == "json_invalid":
        why = (error.get("ctx") or {}).get("error", error["msg"])
        where = error["loc"][-1]
        return {"field": "body", "reason": f"malformed JSON ({why} at character {where})"}
    return {
        "field": ".".join(str(part) for part in error["loc"] if part != "body") or "body",
        "reason": error["msg"],
    }


def _unreadable_body(exc: HTTPException) -> str | None:
    """Why a JSON body could not be read, when that is what FastAPI's 400 says. It answers a
    body that is not UTF-8, nested past the parser's depth or holding an integer too long to
    convert with a bare 400 (raised from the parser's error), where a JSON syntax error is a
    422: a body that cannot be read is invalid input either way, and the 422 is the one
    documented."""
    cause = exc.__cause__
    if exc.status_code != 400 or not isinstance(cause, ValueError | RecursionError):
        return None
    if isinstance(cause, UnicodeDecodeError):
        return "malformed JSON (not UTF-8 text)"
    if isinstance(cause, RecursionError):
        return "malformed JSON (nested too deeply)"
    return f"malformed JSON ({str(cause)[:200]})"


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [_request_error(error) for error in exc.errors()]
        first = fields[0] if fields else {"field": "body", "reason": "invalid"}
        return problem(
            422, "invalid_input", f"{first['field']}: {first['reason']}", errors=fields[:50]
        )

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError) -> JSONResponse:
        # A model built inside a handler (a request turned into a domain request) said no.
        fields = [
            {"field": ".".join(str(p) for p in error["loc"]) or "body", "reason": error["msg"]}
            for error in exc.errors()
        ]
        first = fields[0] if fields else {"field": "body", "reason": "invalid"}
        return problem(
            422, "invalid_input", f"{first['field']}: {first['reason']}", errors=fields[:50]
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        unreadable = _unreadable_body(exc)
        if unreadable is not None:
            return problem(
                422,
                "invalid_input",
                f"body: {unreadable}",
                errors=[{"field": "body", "reason": unreadable}],
            )
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            401: "unauthenticated",
        }.get(exc.status_code, f"http_{exc.status_code}")
        return problem(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "something went wrong on our side")

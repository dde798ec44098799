"""The itellico API's error body as the stand-in answers it: `code`, `message`, and `detail` and
field `errors` where there are some."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def api_error(
    status: int,
    code: str,
    message: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return jsonify(body), status


def rate_limited(message: str, retry_after: str | None) -> tuple[Response, int]:
    """429 `rate_limit_exceeded`, with `Retry-After` (seconds) when given, as the API limits calls."""
    response, status = api_error(429, "rate_limit_exceeded", message)
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response, status


def not_found(detail: str | None = None) -> tuple[Response, int]:
    """404 `not_found`, with what does not exist (`Account … does not exist`) when known."""
    return api_error(404, "not_found", "Resource not found", detail)

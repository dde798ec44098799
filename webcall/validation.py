"""What the browser may send, checked before anything goes upstream."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from flask import g, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .bodies import MAX_BODY_BYTES, allow_one_more, whole_body
from .demos import SLUG_PATTERN, DemoProfile, page_variable_problems
from .errors import ApiError, ErrorCode

MAX_INITIAL_TEXT = 2000
MAX_LINK_TOKEN = 4000
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


# C0 controls and DEL, but tab, line feed and carriage return: no text a person types. A PostgreSQL text
# column refuses NUL, and what itellico does with them is undocumented.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _sendable(text: str) -> str:
    # JSON may carry a lone surrogate ("\ud800"), which no UTF-8 encoder takes: in a variable's value
    # httpx failed to encode the create, a 500 after the demo's pool was spent. Pydantic refuses one in
    # the constrained text fields (demo, a variable's name), not in a plain `str`.
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("not valid text (a lone surrogate)") from None
    if CONTROL_CHARACTER.search(text):
        raise ValueError("not valid text (a control character)")
    return text


SendableText = Annotated[str, AfterValidator(_sendable)]


class CreateCallBody(BaseModel):
    # Unknown fields (agent_id, overrides, …) are refused: the browser never chooses those.
    model_config = ConfigDict(extra="forbid", strict=True)

    demo: Slug | None = None
    mode: Literal["voice", "text"] | None = None
    initial_text: Annotated[SendableText, StringConstraints(max_length=MAX_INITIAL_TEXT)] | None = None
    variables: dict[Annotated[str, StringConstraints(max_length=64)], SendableText] = Field(
        default_factory=dict, max_length=32
    )
    # A signed share link (webcall/links.py): its variables are the link's, not the browser's.
    link: Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINK_TOKEN)] | None = None


_BODY = "json_body"


def json_body() -> object:
    """The request's JSON body, parsed once per request (the rate limiter's key reads it too).

    Only `application/json` is accepted: a `text/plain` POST is a "simple" cross-site request that
    needs no CORS preflight, so refusing it keeps every cross-origin create behind the preflight.
    Nesting too deep for the parser is a 400, never a 500 from RecursionError.
    """
    cached = g.get(_BODY)
    if cached is None:
        cached = g.setdefault(_BODY, _parse_json_body())
    if isinstance(cached, ApiError):
        raise cached
    return cached[0]


def _parse_json_body() -> tuple[object] | ApiError:
    if request.mimetype != "application/json":
        return ApiError(ErrorCode.INVALID_REQUEST, "Send the body as application/json.", status=415)
    allow_one_more(MAX_BODY_BYTES)
    raw = whole_body(MAX_BODY_BYTES)
    if raw is None:
        return ApiError(ErrorCode.INVALID_REQUEST, "The body is too large.", status=413)
    try:
        return (json.loads(raw),)
    except (ValueError, RecursionError):
        return ApiError(ErrorCode.INVALID_REQUEST, "The body is not valid JSON.")


def parse_create_body(raw: object) -> CreateCallBody:
    if not isinstance(raw, dict):
        raise ApiError(ErrorCode.INVALID_REQUEST, "The body must be a JSON object.")
    try:
        return CreateCallBody.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(ErrorCode.INVALID_REQUEST, f"{where}: {first['msg']}") from None


def allowed_variables(demo: DemoProfile, variables: dict[str, str]) -> dict[str, str]:
    """The page's variables, all of them allowed, or a 400 naming the first that is not (the browser
    filters with the same rule before sending, so a refusal here is a page that skipped it)."""
    for name, reason in page_variable_problems(demo, variables).items():
        raise ApiError(ErrorCode.INVALID_REQUEST, f"variables.{name}: {reason}")
    return dict(variables)

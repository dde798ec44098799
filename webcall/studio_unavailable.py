"""The site while its database is unavailable (PostgreSQL stopped or restarting, an SQLite file that
cannot be opened): calls and the public pages go on, the sales studio says so in one page.

A rep's session is a database row (webcall/sessions.py) that Flask-Login loads whenever a template is
drawn (its `current_user`), so with the database down every page a signed-in rep opened was a 500,
public ones included, and so was the error page drawn for it, which loads the rep too: two chained
tracebacks a request. Now, when the session cannot be read, a public page serves the rep as signed out
for that request (one warning line; the session stays, and the next request finds them signed in), a
studio page (/demos…) answers `studio_unavailable.html` with 503 (one line), and an error page never
asks the database for the rep.

The public paths that read the database themselves answer 503 with one line too (`answered_503`): a
demo's logo without a body (webcall/logos.py; its page draws without it), a share link's check in the
JSON API's error shape (`database_down_error`: webcall/embed.py, webcall/api.py); a link is never taken
unchecked.
"""

from __future__ import annotations

import logging

from flask import Response, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from .db_wait import UNAVAILABLE, described
from .errors import ApiError, ErrorCode
from .services import services
from .sessions import SignedIn

log = logging.getLogger("webcall.sales")

_ERROR_PAGE = "webcall_error_page"  # on flask.g: this request answers with an error page


def on_studio_page() -> bool:
    return request.path == "/demos" or request.path.startswith("/demos/")


def error_page() -> None:
    """This request answers with an error page from here on: its rep is no longer loaded from the
    database (`loads_nobody`), which may be what failed."""
    setattr(g, _ERROR_PAGE, True)


def loads_nobody() -> bool:
    return bool(g.get(_ERROR_PAGE, False))


def session(token: str) -> SignedIn | None:
    """The open session of the cookie's `token` (Flask-Login's user loader, webcall/auth.py). When the
    database fails to say: on a studio page the error stands (`answer` makes it a 503); on a public page
    the rep is served as a visitor, with one warning line."""
    if loads_nobody():
        return None
    try:
        return services().sessions.resolve(token)
    except SQLAlchemyError as error:
        if on_studio_page():
            raise
        log.warning(
            "cannot read the rep's session from the database (%s): %s %s served as signed out",
            _described(error),
            request.method,
            request.path,
        )
        return None


def answer(error: Exception) -> Response | None:
    """The studio's 503 page when `error` is the database unavailable on a studio page, else None."""
    if not (isinstance(error, UNAVAILABLE) and on_studio_page()):
        return None
    error_page()
    log.warning(
        "the studio's database is unavailable (%s): %s %s answered 503",
        _described(error),
        request.method,
        request.path,
    )
    page = render_template("studio_unavailable.html")
    return Response(page, status=503, headers={"Cache-Control": "no-store"})


def answered_503(logger: logging.Logger, what: str, error: SQLAlchemyError) -> None:
    """The one line of a public request answered 503 because the database is unavailable; `what`: what
    was not done ("logo not served")."""
    logger.warning(
        "%s: the database is unavailable (%s): %s %s answered 503",
        what,
        described(error),
        request.method,
        request.path,
    )


def database_down_error(logger: logging.Logger, what: str, error: SQLAlchemyError) -> ApiError:
    """A JSON API's answer (and its line) when the database is unavailable: 503 with `internal_error`, a
    code the page and the element already translate ("try again"; static/js/errors.js)."""
    answered_503(logger, what, error)
    return ApiError(
        ErrorCode.INTERNAL_ERROR, "This service is unavailable right now. Please try again shortly.", 503
    )


def _described(error: Exception) -> str:
    # The driver's message in one line (never the URL: psycopg names host and port, not the password).
    return described(error) if isinstance(error, SQLAlchemyError) else repr(error)

"""The studio's calls: the list with filters (demo, link, rep, dates), its CSV export, and one call's
detail page with the transcript read from itellico's `GET call`.

The transcript is never stored: the detail page asks itellico each time it is opened (bounded by the
client's timeouts, ITELLICOAI_TIMEOUT_SECONDS) and says so; a failing itellico gives the page a clear
notice in place of the transcript, never an error page.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from itertools import chain

from flask import Blueprint, Response, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from . import auth
from .auth import rep_required
from .call_queries import (
    PAGE_LIMIT,
    CallFilter,
    call_row,
    called_demos,
    each_call,
    find_calls,
    parse_filter,
    reps,
    unknown,
)
from .calllog import CallLog
from .csv_export import SEPARATORS, calls_csv
from .demo_page import private_headers
from .demo_registry import DemoRegistry
from .demos import DemoProfile
from .itellico_errors import UpstreamError, UpstreamErrorKind
from .itellico_types import MAX_ID_LENGTH, CallDetails, CallMessage
from .prospect_lines import is_calls_first_message
from .services import services

bp = Blueprint("calls", __name__)
log = logging.getLogger("webcall.sales")

TRANSCRIPT_ROLES = ("user", "agent")

# What the page says when itellico does not give us the call, per failure (no upstream text shown).
UPSTREAM_NOTICES = {
    UpstreamErrorKind.NOT_FOUND: "itellico does not know this call (any more).",
    UpstreamErrorKind.TIMEOUT: "itellico did not answer in time. Reload the page to try again.",
    UpstreamErrorKind.RATE_LIMITED: "itellico is busy right now. Try again in a minute.",
}
DEFAULT_NOTICE = "itellico could not give us this call right now. Reload the page to try again."

bp.after_request(private_headers)  # the pages name prospects and their links
auth.register_off_handler(bp)


@bp.get("/demos/calls")
@rep_required
def calls_list() -> str:
    svc = services()
    registry = svc.demos.registry()
    chosen = parse_filter(request.args, [demo.slug for demo in registry])
    try:
        rows = find_calls(svc.calllog.engine, chosen, limit=PAGE_LIMIT)
        owners = reps(svc.calllog.engine)
        every_link = svc.calllog.links()
        called = called_demos(svc.calllog.engine)
    except SQLAlchemyError as error:
        log.error("calllog read failed: %s", type(error).__name__)
        rows, owners, every_link, called = [], [], [], []
    else:
        chosen = unknown(chosen, {link.link_id for link in every_link}, owners)
    # As /demos shows them (older ones are there, behind "Show older links"), and the chosen one.
    known_links = [link for link in every_link if not link.long_ended or link.link_id == chosen.link]
    return render_template(
        "calls.html",
        rows=rows,
        chosen=chosen,
        filter_args=chosen.args(),
        demos=demo_choices(registry) + gone_demo_choices(called, registry, chosen),
        reps=owners,
        links=known_links,
        folded_links=len(every_link) - len(known_links),
        limit=PAGE_LIMIT,
    )


@bp.get("/demos/calls.csv")
@rep_required
def calls_export() -> Response:
    svc = services()
    chosen = parse_filter(request.args, [demo.slug for demo in svc.demos])
    separator = SEPARATORS.get(request.args.get("sep", ""), ",")  # anything else: the comma file
    lines = calls_csv(each_call(svc.calllog.engine, chosen), separator)
    # The header and the first call before answering: a database that fails is an error page here,
    # not a download cut short after its first line.
    first = [next(lines), next(lines, "")]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response = Response(chain(first, lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="calls-{stamp}.csv"'
    return response


@bp.get("/demos/calls/<call_id>")
@rep_required
def call_detail(call_id: str) -> tuple[str, int] | str:
    svc = services()
    row = call_row(svc.calllog.engine, call_id) if len(call_id) <= MAX_ID_LENGTH else None
    if row is None:
        return render_template("call_missing.html"), 404
    demo = svc.demos.get(row.call.demo)  # None when the demo was removed since
    details, notice = _fetch(call_id)
    if details is not None:
        _complete(svc.calllog, details)
    transcript = [m for m in details.messages if m.role in TRANSCRIPT_ROLES] if details else []
    return render_template(
        "call_detail.html",
        row=row,
        call=row.call,
        details=details,
        notice=notice,
        transcript=transcript,
        first_message=_first_message(transcript, demo, row.call.first_message),
        recording=_recording(details),
        language=demo.language if demo else None,  # what was said is in the demo's language
        # Opened from a filtered list (its links carry the filters): back to that list.
        back=parse_filter(request.args, [d.slug for d in svc.demos]).args(),
    )


def demo_choices(demos: Iterable[DemoProfile]) -> list[tuple[str, str]]:
    """The demo filter's options: each demo's slug and its title, followed by its slug when another
    demo's title reads the same (case and spacing aside), so that no two options look alike."""
    listed = list(demos)
    seen = Counter(_as_read(demo.title) for demo in listed)
    return [
        (demo.slug, f"{demo.title} ({demo.slug})" if seen[_as_read(demo.title)] > 1 else demo.title)
        for demo in listed
    ]


def gone_demo_choices(
    called: Collection[str], registry: DemoRegistry, chosen: CallFilter
) -> list[tuple[str, str]]:
    """The demo filter's options for slugs no demo is served under: each that has calls (a deleted
    demo's calls stay in the call log, and can be listed), and the chosen one, so that Show keeps it."""
    served = {demo.slug for demo in registry}
    gone = sorted({*called, *([chosen.demo] if chosen.demo else [])} - served)
    return [(slug, f"{slug} ({_why_not_served(slug, registry, called)})") for slug in gone]


def _why_not_served(slug: str, registry: DemoRegistry, called: Collection[str]) -> str:
    if slug in registry.refused:  # stored, but this release refuses its settings (webcall/demo_store.py)
        return "not served"
    return "deleted" if slug in called else "no such demo"


def _as_read(title: str) -> str:
    return " ".join(title.split()).casefold()


def _first_message(transcript: list[CallMessage], demo: DemoProfile | None, mark: str | None) -> int | None:
    """The index of the line that is the call's first message (a page's `initial_text`, else the demo's),
    sent for the visitor and returned as their first line: not something the prospect said (the
    notification does not count it either). The rule is webcall/prospect_lines.py's."""
    first = next((i for i, m in enumerate(transcript) if m.role == "user" and m.message.strip()), None)
    if first is None:
        return None
    demo_text = demo.initial_text if demo is not None else None
    return first if is_calls_first_message(transcript[first].message, mark, demo_text) else None


def _fetch(call_id: str) -> tuple[CallDetails | None, str | None]:
    try:
        return services().itellico.get_call(call_id), None
    except UpstreamError as error:
        log.warning("call.detail failed call_id=%s upstream=%s", call_id, error.kind.value)
        return None, UPSTREAM_NOTICES.get(error.kind, DEFAULT_NOTICE)


def _complete(calllog: CallLog, details: CallDetails) -> None:
    # Reading the call is a chance to bring its status and duration in the log up to date.
    try:
        calllog.complete(details.id, details.status, details.duration_seconds)
    except SQLAlchemyError as error:
        log.error("calllog.complete failed call_id=%s error=%s", details.id, type(error).__name__)


def _recording(details: CallDetails | None) -> str | None:
    """The recording's address when it is a web address (a bare path, or `javascript:`, is not a link)."""
    url = details.recording_url if details else None
    return url if url and url.startswith(("https://", "http://")) else None

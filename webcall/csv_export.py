"""CSV export of the studio's calls list, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or can become
one) in Excel, LibreOffice and Google Sheets: a link label such as `=HYPERLINK(...)` would run when a
rep opens the file. Such cells get a leading `'`, which spreadsheets show as text (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .call_queries import CallRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "created_at",
    "call_id",
    "demo",
    "link_id",
    "link_label",
    "rep",
    "mode",
    "outcome",
    "status",
    "duration_seconds",
)


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def calls_csv(rows: Iterable[CallRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        call = row.call
        writer.writerow(
            safe_cell(value)
            for value in (
                call.created_at.isoformat(),
                call.call_id,
                call.demo,
                call.link_id,
                row.link_label,
                row.rep,
                call.mode,
                call.outcome,
                call.status,
                call.duration_seconds,
            )
        )
    return out.getvalue()

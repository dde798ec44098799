"""CSV export of the studio's calls list, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or can become
one) in Excel, LibreOffice and Google Sheets: a link label such as `=HYPERLINK(...)` would run when a
rep opens the file. Such cells get a leading `'`, which spreadsheets show as text (OWASP's advice).
The file is UTF-8 with a byte order mark, so Excel shows a label's umlauts. Excel splits a `.csv` at its
region's list separator, a semicolon in German, Austrian, Swiss, French… regions (where `,` is the decimal
point): SEPARATORS names the files the studio offers (a `sep=` first line would make Excel drop the mark).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from .call_queries import CallRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = {"comma": ",", "semicolon": ";"}
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


def calls_csv(rows: Iterable[CallRow], separator: str = ",") -> Iterator[str]:
    """The file line by line, so a large export streams instead of being built in memory."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")

    def line(cells: Iterable[object]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(safe_cell(value) for value in cells)
        return out.getvalue()

    # UTF-8's byte order mark: Excel reads a CSV without it in the computer's old code page
    # ("Müller" came out as "MÃ¼ller"); LibreOffice, Google Sheets and Python's utf-8-sig skip it.
    yield "\ufeff" + line(HEADER)
    for row in rows:
        call = row.call
        yield line(
            (
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

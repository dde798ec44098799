"""The calls CSV for Excel in a region whose list separator is `;` (German, Austrian, Swiss, French…):
Excel splits a `.csv` there at semicolons, so a comma file opened as one column of whole rows (an audit).
`?sep=semicolon` writes the same file with semicolons, quoting a cell that holds one."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import link_for, sign_in

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_the_semicolon_csv_opens_in_columns_where_excel_splits_at_semicolons(client, svc):
    link = link_for(svc, slug="alpenblick", name="Maria")
    svc.calllog.add_link(link, "Müller; Zürich", created_by="web", owner="ann@example.com")
    for body in ({"demo": "alpenblick", "link": link.token}, {"demo": "northwind"}):
        assert client.post("/api/calls", json=body).status_code == 201
    sign_in(client)
    comma = client.get("/demos/calls.csv").get_data().decode("utf-8-sig")
    r = client.get("/demos/calls.csv?sep=semicolon")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbfcreated_at;")  # the byte order mark stays: Excel's umlauts
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    width = len(next(csv.reader(io.StringIO(comma))))
    assert len(rows) == 3 and all(len(row) == width for row in rows)
    assert "Müller; Zürich" in [row[4] for row in rows]  # a cell with a semicolon comes back whole


def test_the_calls_page_offers_both_files_with_its_filters(client, svc):
    sign_in(client)
    html = client.get("/demos/calls?demo=northwind").get_data(as_text=True)
    assert 'href="/demos/calls.csv?demo=northwind"' in html
    assert 'href="/demos/calls.csv?sep=semicolon&amp;demo=northwind"' in html or (
        'href="/demos/calls.csv?demo=northwind&amp;sep=semicolon"' in html
    )


def test_another_separator_is_the_comma_file(client, svc):
    sign_in(client)
    assert client.get("/demos/calls.csv?sep=tab").get_data().startswith(b"\xef\xbb\xbfcreated_at,")

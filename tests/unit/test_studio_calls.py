"""The studio's calls: the list and its filters, the CSV export (safe against formula injection), and
the call detail page with the transcript read from the stand-in's `GET call` over real HTTP."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from webcall.calllog import calls
from webcall.csv_export import safe_cell

from .conftest import link_for, sign_in

pytestmark = pytest.mark.unit

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def store(standin):
    return standin.app.extensions["standin"]["store"]


def talk(standin, call_id: str, *lines: tuple[str, str]) -> None:
    """The call as the sandbox agent reports it: joined, the lines said, ended."""
    store(standin).update(call_id, {"event": "participant_joined"})
    for role, message in lines:
        store(standin).update(call_id, {"event": "message", "role": role, "message": message})
    store(standin).update(call_id, {"event": "ended", "reason": "participant_left"})


def a_call(client, demo: str = "northwind", token: str | None = None) -> str:
    body = {"demo": demo} | ({"link": token} if token else {})
    r = client.post("/api/calls", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["call_id"]


def with_link(svc, label: str, owner: str, slug: str = "alpenblick"):
    link = link_for(svc, slug=slug, name="Maria")
    svc.calllog.add_link(link, label, created_by="web", owner=owner)
    return link


def made_at(svc, call_id: str, when: datetime) -> None:
    with svc.calllog.engine.begin() as db:
        db.execute(update(calls).where(calls.c.call_id == call_id).values(created_at=when))


def csv_rows(response) -> list[dict[str, str]]:
    """The CSV's rows as a spreadsheet reads them: UTF-8 after its byte order mark."""
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-call-id="([^"]*)"', html)


# -- call detail ----------------------------------------------------------------------------


def test_the_call_detail_shows_the_facts_and_the_transcript_from_itellico(client, svc, standin):
    link = with_link(svc, "Maria at Alpenblick", "ann@example.com")
    call_id = a_call(client, "alpenblick", link.token)
    talk(standin, call_id, ("agent", "Grüß Gott, wie kann ich helfen?"), ("user", "Do you have a sauna?"))
    sign_in(client)
    r = client.get(f"/demos/calls/{call_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert re.search(
        r'data-fact="link"><a href="[^"]+">Maria at Alpenblick</a> · owner ann@example.com', html
    )
    assert 'data-fact="status">Completed<' in html and "<code>alpenblick</code>" in html
    # Each line read aloud in the demo's language (tests/unit/test_call_detail_language.py).
    lines = re.findall(r'data-role="(\w+)">.*?<p dir="auto" lang="de">(.*?)</p>', html, re.S)
    assert lines == [("agent", "Grüß Gott, wie kann ich helfen?"), ("user", "Do you have a sauna?")]
    # Each line's time as every studio time: UTC and saying so, for the page to show in the rep's zone
    # (it was the bare UTC clock, an hour before the call's own time for a rep in Vienna).
    times = re.findall(r'<time datetime="([^"]+)" data-local="clock">(\d\d:\d\d:\d\d) UTC</time>', html)
    assert len(times) == 2 and all(iso.endswith("+00:00") for iso, _ in times), times
    assert re.search(r"<title>Call \d{4}-\d\d-\d\d \d\d:\d\d UTC ", html)
    assert "the call log keeps no part of the conversation" in html
    assert 'data-fact="recording"' not in html  # itellico gave no recording
    # Reading the call brought the log up to date; the conversation itself was not stored.
    assert svc.calllog.call(call_id).status == "completed"


def test_the_first_message_sent_for_the_visitor_is_not_labelled_as_the_prospects(client, svc, standin):
    # The demo's first message (initial_text) is sent for the visitor and comes back as their first
    # line: the page called it "Prospect", as if they had said it (the notification no longer counts it).
    table = svc.demos.tables()["northwind"]
    svc.demos.save("northwind", {**table, "initial_text": "Hello {{ name }}, I have a question."}, "test")
    call_id = a_call(client, "northwind")
    talk(
        standin,
        call_id,
        ("agent", "Hi, this is Ava."),
        ("user", "Hello Maria, I have a question."),
        ("agent", "Sure, go ahead."),
        ("user", "Hello Maria, I have a question."),  # said again: theirs
    )
    sign_in(client)
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    who = re.findall(r'<span class="transcript__who">(.*?)</span>', html)
    assert who == ["Ava", "First message (sent for the visitor)", "Ava", "Prospect"], who


def test_a_pages_own_first_message_is_not_labelled_as_the_prospects_either(client, svc, standin):
    # A host page's element sent its own first message (`initial-text`), not the demo's: judged only by
    # the demo's, the page called it "Prospect" and the notification counted it (a studio audit). The call
    # log keeps a digest of what each create sent (webcall/prospect_lines.py `first_message_mark`).
    asked = "I would like to book an appointment."
    r = client.post("/api/calls", json={"demo": "northwind", "initial_text": asked})
    assert r.status_code == 201, r.get_json()
    call_id = r.get_json()["call_id"]
    assert standin.creates()[-1]["initial_text"] == asked
    said = ("user", "I would like  to book an appointment.")  # spacing aside, as the transcript may have it
    talk(standin, call_id, ("agent", "Hi, this is Ava."), said, ("agent", "Sure."), ("user", asked))
    stored = svc.calllog.call(call_id)
    assert stored.first_message and asked not in repr(stored)  # a digest, never the words
    sign_in(client)
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    who = re.findall(r'<span class="transcript__who">(.*?)</span>', html)
    assert who == ["Ava", "First message (sent for the visitor)", "Ava", "Prospect"], who
    # A call without a first message: the demo's first message, set later, does not relabel its lines.
    plain = a_call(client, "northwind")
    table = svc.demos.tables()["northwind"]
    svc.demos.save("northwind", {**table, "initial_text": asked}, "test")
    talk(standin, plain, ("agent", "Hi, this is Ava."), ("user", asked))
    html = client.get(f"/demos/calls/{plain}").get_data(as_text=True)
    assert re.findall(r'<span class="transcript__who">(.*?)</span>', html) == ["Ava", "Prospect"]


def test_the_transcript_is_asked_of_itellico_each_time(client, svc, standin):
    call_id = a_call(client)
    sign_in(client)
    assert 'data-transcript="empty"' in client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    talk(standin, call_id, ("user", "What are your opening hours?"))
    assert "What are your opening hours?" in client.get(f"/demos/calls/{call_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"mode": "server_error", "status": 500, "endpoint": "get"}, "could not give us this call"),
        ({"mode": "hang", "delay_seconds": 5, "endpoint": "get"}, "did not answer in time"),
        ({"mode": "malformed", "endpoint": "get"}, "could not give us this call"),
        ({"mode": "rate_limit", "endpoint": "get"}, "busy right now"),
    ],
)
def test_a_failing_itellico_gives_a_clear_notice_not_an_error_page(client, svc, standin, fault, says):
    call_id = a_call(client)
    sign_in(client)
    standin.fault(**fault)
    r = client.get(f"/demos/calls/{call_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-upstream="failed"' in html and says in html
    assert f"<code>{call_id}</code>" in html  # what the call log knows is still there
    assert standin.key not in html and "leaked secret" not in html


def test_a_call_itellico_has_forgotten_says_so(client, svc):
    svc.calllog.record(
        demo="northwind", mode="voice", outcome="created", call_id="4b1d3c2a-0000-4000-8000-000000000000"
    )
    sign_in(client)
    html = client.get("/demos/calls/4b1d3c2a-0000-4000-8000-000000000000").get_data(as_text=True)
    assert "does not know this call" in html


def test_unknown_or_odd_call_ids_are_a_404_page(client, svc, standin):
    sign_in(client)
    for call_id in ("nope", "x" * 300, "<script>", "' OR 1=1 --"):
        r = client.get(f"/demos/calls/{call_id}")
        assert r.status_code == 404 and 'data-reason="unknown-call"' in r.get_data(as_text=True), call_id
    assert client.get("/demos/calls/..%2F..%2Fagents").status_code == 404  # no route: never upstream
    assert standin.creates() == []


def test_a_recording_is_linked_only_when_it_is_a_web_address(client, svc, standin):
    call_id = a_call(client)
    sign_in(client)
    store(standin).update(call_id, {"event": "recording", "url": "https://rec.example/c.mp3"})
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    assert 'href="https://rec.example/c.mp3"' in html
    store(standin).update(call_id, {"event": "recording", "url": "javascript:alert(1)"})
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    assert 'href="javascript' not in html and 'data-fact="recording">javascript:alert(1)<' in html


def test_transcript_text_is_inert(client, svc, standin):
    call_id = a_call(client)
    talk(standin, call_id, ("user", XSS), ("agent", "{{ 7 * 7 }}"))
    sign_in(client)
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "{{ 7 * 7 }}" in html


def test_calls_pages_need_a_signed_in_rep(client, svc):
    call_id = a_call(client)
    for path in ("/demos/calls", f"/demos/calls/{call_id}", "/demos/calls.csv"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login", path


# -- the list and its filters ---------------------------------------------------------------


@pytest.fixture
def three_calls(client, svc, standin):
    ann = with_link(svc, "Ann's prospect", "ann@example.com")
    bob = with_link(svc, "Bob's prospect", "bob@example.com", slug="northwind")
    first = a_call(client, "alpenblick", ann.token)
    second = a_call(client, "northwind", bob.token)
    third = a_call(client, "northwind")
    made_at(svc, first, datetime(2026, 3, 1, 10, tzinfo=UTC))
    made_at(svc, second, datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    made_at(svc, third, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    return {"ann": ann, "bob": bob, "first": first, "second": second, "third": third}


def test_the_list_filters_by_demo_link_rep_and_dates(client, three_calls):
    c = three_calls
    sign_in(client)
    get = lambda query: listed(client.get(f"/demos/calls?{query}").get_data(as_text=True))  # noqa: E731
    assert get("") == [c["third"], c["second"], c["first"]]
    assert get("demo=northwind") == [c["third"], c["second"]]
    assert get(f"link={c['ann'].link_id}") == [c["first"]]
    assert get("rep=bob%40example.com") == [c["second"]]
    assert get("from=2026-03-02&to=2026-03-02") == [c["second"]]  # whole days, both included
    assert get("from=2026-03-02") == [c["third"], c["second"]]
    assert get("to=2026-03-01") == [c["first"]]
    assert get("demo=northwind&rep=ann%40example.com") == []
    html = client.get("/demos/calls").get_data(as_text=True)
    assert "Ann&#39;s prospect" in html and "ann@example.com" in html


def test_dates_filter_whole_days_of_the_reps_time_zone(client, three_calls):
    # The page sends the browser's zone (static/js/pages/studio.js): 2026-03-02 23:59 UTC is already
    # 3 March in Vienna, 2026-03-03 00:00 UTC still 2 March in New York.
    c = three_calls
    sign_in(client)
    get = lambda query: listed(client.get(f"/demos/calls?{query}").get_data(as_text=True))  # noqa: E731
    assert get("from=2026-03-03&to=2026-03-03&tz=Europe/Vienna") == [c["third"], c["second"]]
    assert get("from=2026-03-02&to=2026-03-02&tz=America/New_York") == [c["third"], c["second"]]
    assert get("from=2026-03-02&to=2026-03-02&tz=UTC") == [c["second"]]
    html = client.get("/demos/calls?from=2026-03-03&tz=Europe/Vienna").get_data(as_text=True)
    assert 'name="tz" value="Europe/Vienna"' in html and 'value="2026-03-03"' in html
    assert 'calls.csv?from=2026-03-03&amp;tz=Europe/Vienna"' in html  # the CSV keeps the zone with the dates


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "x" * 300, "Europe/"]
)
def test_an_unknown_time_zone_is_ignored_and_days_are_utc(client, three_calls, zone):
    sign_in(client)
    r = client.get("/demos/calls", query_string={"from": "2026-03-02", "to": "2026-03-02", "tz": zone})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "time zone" in html and "UTC days" in html
    assert listed(html) == [three_calls["second"]]


def test_times_are_written_in_utc_and_marked_for_the_reps_zone(client, svc, standin):
    call_id = a_call(client)
    made_at(svc, call_id, datetime(2026, 3, 2, 23, 59, 30, tzinfo=UTC))
    sign_in(client)
    at = 'datetime="2026-03-02T23:59:30+00:00"'
    minutes = f'<time {at} data-local="minutes">2026-03-02 23:59 UTC</time>'
    seconds = f'<time {at} data-local="seconds">2026-03-02 23:59:30 UTC</time>'
    for page, written in (
        ("/demos/calls", minutes),
        ("/demos", minutes),
        (f"/demos/calls/{call_id}", seconds),
    ):
        html = client.get(page).get_data(as_text=True)
        assert written in html, page
        assert '<script type="module" src="/static/js/pages/studio.js"></script>' in html


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=yesterday", "is not a date"),
        ("to=2026-13-45", "is not a date"),
        ("from=2026-03-05&to=2026-03-01", "ends before it starts"),
        ("rep=" + "x" * 300, "too long"),
        ("demo=" + "x" * 300, "too long"),
    ],
)
def test_malformed_filters_are_ignored_with_a_message(client, three_calls, query, says):
    sign_in(client)
    r = client.get(f"/demos/calls?{query}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and says in html
    assert len(listed(html)) == 3  # the ignored filter filters nothing


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("link=doesnotexist", "No share link has that id"),
        ("rep=nobody%40example.com", "No share link belongs to nobody@example.com"),
        # Kept too: an unknown demo was ignored, so the list (and the CSV) held every demo's calls.
        ("demo=nope", "The demo nope is not served any more"),
        ("demo=%00%ff&from[]=1", "is not served any more"),
    ],
)
def test_a_filter_that_matches_nothing_known_says_so(client, three_calls, query, says):
    """A typo in a shared filter address looked like "no calls"."""
    sign_in(client)
    html = client.get(f"/demos/calls?{query}").get_data(as_text=True)
    assert says in html and listed(html) == []


def test_the_index_links_each_call_to_its_detail(client, svc, standin):
    call_id = a_call(client)
    sign_in(client)
    assert f'href="/demos/calls/{call_id}"' in client.get("/demos").get_data(as_text=True)
    assert f'href="/demos/calls/{call_id}"' in client.get("/demos/calls").get_data(as_text=True)


def test_a_calls_status_reads_as_words_everywhere_the_studio_shows_it(client, svc, standin):
    # itellico's status codes and our failure codes are for machines (the CSV keeps them as they are).
    standin.fault(mode="server_error", status=500)
    assert client.post("/api/calls", json={"demo": "northwind"}).status_code == 502
    standin.clear()
    started, done = a_call(client), a_call(client)
    talk(standin, done, ("user", "Hello"))
    sign_in(client)
    client.get(f"/demos/calls/{done}")  # brings its status into the log
    for page in ("/demos/calls", "/demos"):
        cells = re.findall(r'data-col="status">([^<]*)<', client.get(page).get_data(as_text=True))
        assert sorted(cells) == ["Completed", "Did not start: itellico was unavailable", "In progress"], page
    assert 'data-fact="status">In progress<' in client.get(f"/demos/calls/{started}").get_data(as_text=True)
    rows = csv_rows(client.get("/demos/calls.csv"))
    assert sorted(row["status"] or row["outcome"] for row in rows) == [
        "completed",
        "failed:upstream_unavailable",
        "in_progress",
    ]
    # Days later with no report from itellico (it forgot the call, no webhook came): not in progress.
    made_at(svc, started, datetime.now(UTC) - timedelta(days=3))
    for page in ("/demos/calls", "/demos"):
        assert ">No report from itellico<" in client.get(page).get_data(as_text=True), page
    # The call's own page asks itellico, and shows what it says.
    assert 'data-fact="status">In progress<' in client.get(f"/demos/calls/{started}").get_data(as_text=True)


# -- CSV ------------------------------------------------------------------------------------


def test_the_csv_has_the_filtered_calls(client, three_calls):
    c = three_calls
    sign_in(client)
    r = client.get("/demos/calls.csv?demo=northwind")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="calls-')
    rows = csv_rows(r)
    assert [row["call_id"] for row in rows] == [c["third"], c["second"]]
    assert rows[1]["link_label"] == "Bob's prospect" and rows[1]["rep"] == "bob@example.com"
    assert rows[1]["created_at"] == "2026-03-02T23:59:00+00:00" and rows[0]["link_id"] == ""
    page = client.get("/demos/calls?demo=northwind").get_data(as_text=True)
    assert 'href="/demos/calls.csv?demo=northwind"' in page


def test_the_csv_has_every_call_however_many(client, svc):
    # The export stopped at the newest 10,000 calls, saying nothing: a year's report came out short.
    # It is read in chunks now (each its own short read), all of them, in order, none twice; calls
    # made at the same second are told apart by their id.
    sign_in(client)
    same_second = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    rows = [
        dict(
            demo="northwind",
            call_id=f"c{n:05d}",
            mode="voice",
            outcome="created",
            created_at=same_second - timedelta(seconds=n // 3),
        )
        for n in range(10_050)
    ]
    with svc.calllog.engine.begin() as db:
        db.execute(insert(calls), rows)
    r = client.get("/demos/calls.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    ids = [row["call_id"] for row in csv_rows(r)]
    assert len(ids) == len(set(ids)) == 10_050
    assert ids[:4] == ["c00002", "c00001", "c00000", "c00005"] and ids[-1] == "c10047"


def test_the_csv_opens_in_excel_with_its_umlauts(client, svc, standin):
    # Excel reads a CSV without a byte order mark in the computer's old code page: "Müller, Zürich"
    # showed as "MÃ¼ller, ZÃ¼rich". The file starts with UTF-8's mark now (LibreOffice, Google Sheets
    # and Python's utf-8-sig read it too).
    link = with_link(svc, "Müller, Zürich", "ann@example.com")
    a_call(client, "alpenblick", link.token)
    sign_in(client)
    body = client.get("/demos/calls.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbfcreated_at,")
    assert [row["link_label"] for row in csv_rows(client.get("/demos/calls.csv"))] == ["Müller, Zürich"]


def test_the_csv_is_safe_against_formula_injection(client, svc, standin):
    for label in ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        link = with_link(svc, label, "=cmd|'/c calc'!A0")
        a_call(client, "alpenblick", link.token)
    sign_in(client)
    rows = csv_rows(client.get("/demos/calls.csv"))
    assert len(rows) == 6
    for row in rows:
        assert row["link_label"].startswith("'") and row["rep"] == "'=cmd|'/c calc'!A0"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell


def test_the_from_filter_counts_in_utc_days(client, svc, standin):
    call_id = a_call(client)
    made_at(svc, call_id, datetime.now(UTC) - timedelta(days=2))
    sign_in(client)
    today = datetime.now(UTC).date().isoformat()
    assert listed(client.get(f"/demos/calls?from={today}").get_data(as_text=True)) == []


@pytest.mark.parametrize("path", ["/demos/calls", "/demos/calls.csv"])
@pytest.mark.parametrize(
    ("query", "kept", "says"),
    [
        # 9999-12-31 has no next day to end the range on: the date is refused like an unreadable one.
        ("to=9999-12-31", ["third", "second", "first"], "out of range"),
        ("from=0001-01-01&to=9999-12-31", ["third", "second", "first"], "out of range"),
        ("from=9999-12-31&to=9999-12-31", [], "out of range"),
        ("from=0001-01-01", ["third", "second", "first"], None),
        ("from=9999-12-31", [], None),
        ("to=0001-01-01", [], None),
        ("to=9999-12-30", ["third", "second", "first"], None),
        ("from=0001-01-01&to=0001-01-01", [], None),
    ],
)
def test_the_first_and_last_dates_there_are_filter_or_are_refused_never_a_500(
    client, three_calls, path, query, kept, says
):
    sign_in(client)
    r = client.get(f"{path}?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    body = r.get_data(as_text=True)
    if path.endswith(".csv"):
        assert [row["call_id"] for row in csv_rows(r)] == [three_calls[k] for k in kept]
        return
    assert listed(body) == [three_calls[k] for k in kept]
    problems = re.findall(r'<p class="form-error" role="alert">(.*?)</p>', body)
    assert problems == ([f"The &#39;to&#39; date is {says} and was ignored."] if says else [])


def test_a_call_opened_from_a_filtered_list_leads_back_to_that_list(client, three_calls):
    """The "← All calls" link of a call's page dropped the filters the rep had chosen."""
    sign_in(client)
    html = client.get("/demos/calls?demo=northwind&tz=Europe/Vienna").get_data(as_text=True)
    (detail,) = re.findall(r'href="(/demos/calls/[^"?]+\?[^"]*)"', html)[:1]
    assert "demo=northwind" in detail and "tz=Europe" in detail
    page = client.get(detail.replace("&amp;", "&")).get_data(as_text=True)
    back = re.search(r'<a href="([^"]*)">← ([^<]*)</a>', page)
    assert back is not None
    assert back.group(1).replace("&amp;", "&") == "/demos/calls?demo=northwind&tz=Europe/Vienna"
    assert back.group(2) == "Back to the filtered calls"
    # Opened from anywhere else (the index, a shared address): all calls.
    plain = client.get(detail.split("?")[0]).get_data(as_text=True)
    assert '<a href="/demos/calls">← All calls</a>' in plain


@pytest.mark.parametrize("path", ["/demos/calls", "/demos/calls.csv"])
@pytest.mark.parametrize("zone", ["Europe/Vienna", "Asia/Tokyo", "Australia/Sydney"])
@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("from=0001-01-01", ["third", "second", "first"]),
        ("from=0001-01-01&to=0001-01-01", []),
        ("from=0001-01-01&to=2026-03-01", ["first"]),
    ],
)
def test_the_first_day_there_is_in_a_zone_east_of_utc_filters_never_a_500(
    client, three_calls, path, zone, query, kept
):
    # That day begins before datetime's first UTC moment there: converting it raised OverflowError, a
    # 500 on both pages (an audit; the browser sends its zone by itself). It is no call's day anyway:
    # the range starts at the first moment there is.
    sign_in(client)
    r = client.get(f"{path}?{query}&tz={zone}")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    if path.endswith(".csv"):
        assert [row["call_id"] for row in csv_rows(r)] == [three_calls[k] for k in kept]
        return
    body = r.get_data(as_text=True)
    assert listed(body) == [three_calls[k] for k in kept]
    assert re.findall(r'<p class="form-error" role="alert">(.*?)</p>', body) == []
    assert 'value="0001-01-01"' in body  # the form shows the date as the rep chose it

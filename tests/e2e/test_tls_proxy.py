"""The documented deployment, for real: Debian's nginx terminates TLS with the shipped config
(deploy/nginx/webcall.conf, only ports, names and certificate paths substituted) in front of
gunicorn (`gunicorn -c gunicorn.conf.py app:app`, WEBCALL_ENV=production, one trusted proxy hop),
with the sandbox behind it. Through it: a voice call on /, the widget on a foreign https page,
the sales index, and slow clients that do not stall anyone.

nginx runs as a child process with its own prefix, logs and temp dirs in a tmp folder; no system
configuration is read or written (only /etc/nginx/mime.types is included).
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT
from webcall.links import clean_token
from webcall.signing import signature

from ..unit.logo_files import png
from .conftest import ARTIFACTS, Sandbox, wait_until
from .harness import wait_for_more_audio
from .servers import NGINX, Gunicorn, gunicorn, nginx_server

TEMPLATE = ROOT / "deploy" / "nginx" / "webcall.conf"
SALES_PASSWORD = "tls proxy sales password"
WEBHOOK_SECRET = "tls-proxy-itellico-webhook-secret"
ADMIN_EMAIL = "admin@example.com"
ELEMENT = "itellico-call"
AGENT_LINE = f'{ELEMENT} [data-role="agent"][data-final="true"] .line-text'
HOST_DEMO = "tlshost"


def render_site_config(
    *, app_port: int, https_port: int, http_port: int, cert: Path, key: Path, access_log: Path
) -> str:
    """The shipped config with test ports and paths. Every substitution must hit: if the template
    changes shape, this fails instead of silently testing something else than the docs show."""
    text = TEMPLATE.read_text()
    replacements = {
        "server 127.0.0.1:5000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
        "server_name webcall.example.com;": "server_name 127.0.0.1;",
        "/etc/ssl/webcall/fullchain.pem": str(cert),
        "/etc/ssl/webcall/privkey.pem": str(key),
        "/var/log/nginx/webcall.access.log": str(access_log),
    }
    for old, new in replacements.items():
        assert old in text, f"{TEMPLATE} no longer contains {old!r}; update this test and docs/deployment.md"
        text = text.replace(old, new)
    return text


def main_config(folder: Path, *, host_port: int, cert: Path, key: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around conf.d/, pointed at `folder`, plus a
    second site: the foreign https host page that embeds the widget."""
    user = "user root;" if os.geteuid() == 0 else ""  # the tmp folder is private to us
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp}
    include {folder / "webcall.conf"};

    server {{
        listen 127.0.0.1:{host_port} ssl;
        server_name localhost;
        ssl_certificate     {cert};
        ssl_certificate_key {key};
        root {folder / "site"};
    }}
}}
"""


def host_page(app_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme Dental Supplies (https)</title><link rel="icon" href="data:,"></head>
<body>
  <h1>Everything your practice needs</h1>
  <script src="{app_url}/widget.js" data-demo="{HOST_DEMO}" data-mode="text" async></script>
</body>
</html>
"""


def demos_toml(host_origin: str) -> str:
    # The shipped demos plus one that a foreign https site may embed.
    return (
        (ROOT / "demos.toml").read_text()
        + f"""
[demos.{HOST_DEMO}]
title = "Acme Dental Supplies"
agent_id = "{DEFAULT_AGENT_ID}"
display_name = "Ava"
language = "en"
default_mode = "text"
allowed_origins = ["{host_origin}"]
"""
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
    subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@dataclass
class Deployment:
    url: str  # https://127.0.0.1:<nginx>, the app's public URL
    http_url: str  # the plain-HTTP server block (redirects)
    host_url: str  # https://localhost:<nginx>, a foreign site that embeds the widget
    https_port: int
    app: Gunicorn
    folder: Path


@pytest.fixture(scope="module")
def deployment(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: `make setup` installs Debian's nginx")
    folder = tmp_path_factory.mktemp("nginx")
    (folder / "site").mkdir()
    https_port, http_port, host_port = free_port(), free_port(), free_port()
    url, host_url = f"https://127.0.0.1:{https_port}", f"https://localhost:{host_port}"
    (folder / "demos.toml").write_text(demos_toml(host_url))
    (folder / "site" / "index.html").write_text(host_page(url))
    cert, key = self_signed(folder)
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    env = sandbox.stack.app_env() | {
        "WEBCALL_ENV": "production",
        "WEBCALL_SECRET_KEY": "tls-proxy-secret-key-0123456789abcdef",
        "WEBCALL_TRUSTED_PROXY_HOPS": "1",
        "WEBCALL_PUBLIC_URL": url,
        "WEBCALL_SALES_PASSWORD": SALES_PASSWORD,
        "WEBCALL_SALES_ADMIN_EMAIL": ADMIN_EMAIL,
        "WEBCALL_DEMOS_FILE": str(folder / "demos.toml"),
        "WEBCALL_DATABASE_URL": f"sqlite:///{folder / 'calls.sqlite3'}",
        "WEBCALL_RATE_LIMIT_PER_IP": "1000/minute",
        "WEBCALL_RATE_LIMIT_PER_DEMO": "1000/minute",
        "WEBCALL_OPEN_CALLS_PER_IP": "1000",
        "ITELLICOAI_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    with gunicorn(env, logs / "tls-gunicorn.log") as app:
        app_port = int(app.url.rsplit(":", 1)[1])
        (folder / "webcall.conf").write_text(
            render_site_config(
                app_port=app_port,
                https_port=https_port,
                http_port=http_port,
                cert=cert,
                key=key,
                access_log=folder / "webcall.access.log",
            )
        )
        (folder / "nginx.conf").write_text(main_config(folder, host_port=host_port, cert=cert, key=key))
        with nginx_server(folder, https_port, "nginx", logs / "tls-nginx"):
            yield Deployment(url, f"http://127.0.0.1:{http_port}", host_url, https_port, app, folder)


@pytest.fixture
def tls_context(browser: Browser) -> Iterator[BrowserContext]:
    # The test's own certificate: trusted by this context only, like a visitor's browser trusts a real one.
    ctx = browser.new_context(ignore_https_errors=True, permissions=["microphone"])
    yield ctx
    ctx.close()


def recorded_page(ctx: BrowserContext) -> tuple[Page, list[str]]:
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def client() -> httpx.Client:
    return httpx.Client(verify=False, timeout=30)


def test_https_is_what_the_app_sees_and_http_redirects(deployment: Deployment, sandbox: Sandbox) -> None:
    sandbox.fault(mode="agent_absent")  # nobody joins this call: spare the machine its agent process
    with client() as http:
        r = http.get(f"{deployment.url}/healthz")
        assert r.status_code == 200
        # HSTS is only sent over HTTPS: proof that ProxyFix took X-Forwarded-Proto from nginx.
        assert "max-age" in r.headers.get("Strict-Transport-Security", "")
        redirect = http.get(f"{deployment.http_url}/demos", follow_redirects=False)
        assert redirect.status_code == 301
        assert redirect.headers["Location"].startswith("https://127.0.0.1")
        # A name nginx does not serve gets no answer, over either port: a Host header a client made up
        # never reaches the app's addresses (the plain port redirected to https://<that name>/…).
        for url in (deployment.url, deployment.http_url):
            with pytest.raises(httpx.RemoteProtocolError):
                http.get(f"{url}/demo//northwind", headers={"Host": "evil.example"}, follow_redirects=False)
        # The request id is nginx's, never the client's (the app believes one from a trusted hop).
        chosen = http.get(f"{deployment.url}/healthz", headers={"X-Request-ID": "visitor-chosen-id"})
        assert re.fullmatch(r"[0-9a-f]{32}", chosen.headers["X-Request-ID"]), chosen.headers
        # The app's own page may create calls: its Origin is the public https origin.
        created = http.post(
            f"{deployment.url}/api/calls", json={"mode": "text"}, headers={"Origin": deployment.url}
        )
        assert created.status_code == 201, created.text


def test_voice_call_through_nginx(
    deployment: Deployment, tls_context: BrowserContext, sandbox: Sandbox
) -> None:
    page, errors = recorded_page(tls_context)
    page.goto(deployment.url + "/")
    page.wait_for_function("() => customElements.get('itellico-call') !== undefined")
    assert page.evaluate("location.protocol + isSecureContext") == "https:true"
    with page.expect_response(lambda r: r.url.endswith("/api/calls") and r.request.method == "POST") as info:
        page.click(f"{ELEMENT} [part=call-button]")
    assert info.value.status == 201, info.value.text()
    try:
        expect(page.locator(f'{ELEMENT}[data-state="in-call"]')).to_have_count(1, timeout=60_000)
    except AssertionError as error:
        shown = page.evaluate(
            "(() => { const el = document.querySelector('itellico-call');"
            " const error = el.shadowRoot.querySelector('[part=error]');"
            " return {state: el.state, error: error?.dataset.code}; })()"
        )
        page.screenshot(path=str(ARTIFACTS / "FAILED-tls-voice-call.png"))
        raise AssertionError(f"{error}\nthe element: {shown}; console errors: {errors}") from None
    expect(page.locator(AGENT_LINE).first).to_contain_text(
        "this is Ava from the itellico sandbox", timeout=60_000
    )
    # The agent's voice really arrives.
    wait_for_more_audio(page, 0)
    page.click(f"{ELEMENT} [part=call-button]")
    expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    assert errors == []  # no mixed content, CSP or script error on the https page

    # The summary, read through the proxy as the page does: the call completed with the greeting.
    created = info.value.json()

    def summary() -> dict[str, Any] | None:
        with client() as http:
            r = http.get(
                f"{deployment.url}/api/calls/{created['call_id']}",
                headers={"X-Call-Handle": created["handle"]},
            )
        body = r.json()
        return body if r.status_code == 200 and body.get("status") == "completed" else None

    done = wait_until(summary, 30, "the call to be completed")
    assert any("Ava" in m["message"] for m in done["messages"] if m["role"] == "agent"), done


# Every script and stylesheet of a call start, with its bytes on the wire and decoded (Resource Timing).
STATIC_SIZES = """performance.getEntriesByType('resource')
  .filter((e) => /\\/static\\/.+\\.(js|css)$/.test(new URL(e.name).pathname))
  .map((e) => [new URL(e.name).pathname, e.encodedBodySize, e.decodedBodySize])"""


def test_scripts_and_stylesheets_reach_the_browser_compressed(
    deployment: Deployment, tls_context: BrowserContext
) -> None:
    """Through the documented nginx config a visitor's browser gets the call start's scripts and
    stylesheets gzip-compressed. nginx passes them through as the app sends them (Debian's nginx
    compresses only text/html by itself): once, livekit-client arrived whole, 572 KB instead of 145 KB."""
    page, errors = recorded_page(tls_context)
    page.goto(deployment.url + "/")
    page.wait_for_function("() => customElements.get('itellico-call') !== undefined")
    page.hover(f"{ELEMENT} [part=call-button]")  # the element fetches livekit-client on hover

    def loaded() -> list[Any] | None:  # a string predicate would need eval, which the page's CSP forbids
        sizes = page.evaluate(STATIC_SIZES)
        return sizes if any(path.endswith("/livekit-client.js") for path, _, _ in sizes) else None

    sizes = wait_until(loaded, 20, "livekit-client to load")
    paths = [path for path, _, _ in sizes]
    assert "/static/css/itellico-call.css" in paths and "/static/js/itellico-call.js" in paths, paths
    for path, on_the_wire, decoded in sizes:
        if decoded > 1000:  # the build leaves a file uncompressed where gzip would not make it smaller
            assert 0 < on_the_wire < decoded * 0.6, (path, on_the_wire, decoded)
    assert sum(s[1] for s in sizes) < 200_000 < sum(s[2] for s in sizes), sizes
    assert errors == []


def test_widget_on_a_foreign_https_site(deployment: Deployment, tls_context: BrowserContext) -> None:
    page, errors = recorded_page(tls_context)
    page.goto(deployment.host_url + "/")
    widget = f'itellico-widget[data-demo="{HOST_DEMO}"]'
    launcher = page.locator(f"{widget} [part=launcher]")
    expect(launcher).to_be_visible(timeout=20_000)
    launcher.click()
    expect(page.locator(f'{widget}[data-call-state="in-call"]')).to_have_count(1, timeout=60_000)
    line = page.locator(f'{widget} itellico-call [data-role="agent"][data-final="true"] .line-text').first
    expect(line).to_contain_text("this is Ava", timeout=60_000)
    page.locator(f"{widget} itellico-call [part=message-input]").fill("what are your prices")
    page.keyboard.press("Enter")
    expect(page.locator(f'{widget} [data-role="agent"]', has_text="forty nine euros")).to_have_count(
        1, timeout=60_000
    )
    page.evaluate(f"ItellicoWebCall.get('{HOST_DEMO}').end()")
    expect(page.locator(f'{widget}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert errors == []


def test_sales_index_signs_in_and_lists_calls(
    deployment: Deployment, tls_context: BrowserContext, sandbox: Sandbox
) -> None:
    sandbox.fault(mode="agent_absent")
    with client() as http:
        created = http.post(
            f"{deployment.url}/api/calls", json={"mode": "text"}, headers={"Origin": deployment.url}
        )
    assert created.status_code == 201, created.text
    call_id = created.json()["call_id"]
    page, errors = recorded_page(tls_context)
    page.goto(f"{deployment.url}/demos")
    expect(page).to_have_url(f"{deployment.url}/demos/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", SALES_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{deployment.url}/demos")
    expect(page.locator(f'tr[data-call-id="{call_id}"]')).to_have_count(1, timeout=15_000)
    assert errors == []


# ── slow clients ──────────────────────────────────────────────────────────────────────────────────


class SlowClients:
    """Connections that finish the TLS handshake and then trickle a request, a byte every half
    second: the even ones never finish the request head, the odd ones send the head of a POST and
    trickle its body."""

    def __init__(self, port: int, count: int) -> None:
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
        self.sockets: list[ssl.SSLSocket] = []
        for i in range(count):
            sock = tls.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
            if i % 2:
                sock.sendall(
                    b"POST /api/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 4000\r\n\r\n{"
                )
            else:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sock.setblocking(False)  # one thread polls them all
            self.sockets.append(sock)
        self.closed: set[int] = set()
        self.trickle = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, sock in enumerate(self.sockets):
                if i in self.closed:
                    continue
                try:
                    sock.recv(4096)  # any answer (a 408) or b"" (a close) means nginx gave up on it
                    self.closed.add(i)
                    continue
                except ssl.SSLWantReadError:
                    pass  # nothing from the server: still hanging on
                except OSError:  # a reset, or a close without TLS close_notify
                    self.closed.add(i)
                    continue
                if self.trickle:
                    try:
                        sock.send(b"a")
                    except ssl.SSLWantWriteError:
                        pass  # the send buffer is full: try again next round
                    except OSError:
                        self.closed.add(i)
            self._stop.wait(0.5)

    def open_bodies(self) -> int:
        return sum(1 for i in range(1, len(self.sockets), 2) if i not in self.closed)

    def open_count(self) -> int:
        return len(self.sockets) - len(self.closed)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        for sock in self.sockets:
            sock.close()


def connections_to(port: int) -> int:
    """Established TCP connections whose far end is 127.0.0.1:`port` (from /proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and remote == f"0100007F:{port:04X}":
            count += 1
    return count


SLOW_CLIENTS = 64


def test_slow_clients_do_not_stall_real_requests(deployment: Deployment, sandbox: Sandbox) -> None:
    sandbox.fault(mode="agent_absent")
    # 64 connections: four times gunicorn's 2 workers x 8 threads, which a quarter of them would
    # occupy without nginx in front (docs/deployment.md).
    app_port = int(deployment.app.url.rsplit(":", 1)[1])
    slow = SlowClients(deployment.https_port, SLOW_CLIENTS)
    try:
        with client() as http:
            for _ in range(5):
                assert http.get(f"{deployment.url}/healthz").status_code == 200
            created = http.post(
                f"{deployment.url}/api/calls", json={"mode": "text"}, headers={"Origin": deployment.url}
            )
            assert created.status_code == 201, created.text
        # The real requests were served while the slow clients hung on (the trickled bodies have no
        # deadline while they keep trickling, so all of those are certainly still open)...
        assert slow.open_bodies() == SLOW_CLIENTS // 2, f"{slow.open_bodies()} trickled bodies still open"
        # ...and they were not passed on to gunicorn (fewer upstream connections than trickled bodies):
        # nginx reads whole requests before it forwards them.
        assert connections_to(app_port) < SLOW_CLIENTS // 2
        # Then nginx drops them: the heads after client_header_timeout, the bodies after
        # client_body_timeout once they go quiet (a steady trickle is a legitimate slow upload).
        slow.trickle = False
        # Within a few of the config's 10 s timeouts: nginx's defaults (60 s) must not be what acts. A head
        # never finished has no server name yet, so the default server's timeouts applied to it (60 s:
        # held six times as long) until they moved to the http level, for every server.
        wait_until(lambda: slow.open_count() == 0, 30, "nginx to close every slow client")
    finally:
        slow.close()


def test_the_large_bodies_the_app_takes_pass_nginx(deployment: Deployment) -> None:
    """The API's bodies are tiny (64 KB), but two routes take more (docs/security.md): itellico's
    webhook (a long conversation's `conversation.ended`, up to WEBCALL_WEBHOOK_MAX_BYTES) and the demo
    editor (a logo). nginx refused both with its own 413 while gunicorn alone took them."""
    transcript = [
        {"role": "user" if i % 2 else "agent", "text": f"Sentence {i} of a long conversation. " * 8}
        for i in range(800)
    ]
    event = {
        "event_id": f"evt-{uuid.uuid4()}",
        "event_type": "conversation.ended",
        "created": "2026-12-05T10:00:00Z",
        "data": {"conversation_uuid": str(uuid.uuid4()), "status": "completed", "transcript": transcript},
    }
    body = json.dumps(event).encode()
    assert 200_000 < len(body) < 1_048_576
    stamp = str(int(time.time()))
    headers = {"X-Itellico-Signature": signature(WEBHOOK_SECRET, body, stamp), "X-Itellico-Timestamp": stamp}
    with client() as http:
        r = http.post(f"{deployment.url}/webhooks/itellico", content=body, headers=headers)
        assert r.status_code == 202, (r.status_code, r.text[:200])
        # A rep uploads a 200 KB logo (the editor takes up to 512 KB) with a new demo.
        token = _csrf(http.get(f"{deployment.url}/demos/login").text)
        signed_in = http.post(
            f"{deployment.url}/demos/login",
            data={"email": ADMIN_EMAIL, "password": SALES_PASSWORD, "csrf": token},
        )
        assert signed_in.status_code == 302, signed_in.text
        logo = png(260, 260, noise=True)
        assert 200_000 < len(logo) < 512 * 1024
        fields = {"slug": "big-logo", "title": "Big logo", "brand.company": "Acme", "brand.accent": "#0f766e"}
        fields["csrf"] = _csrf(http.get(f"{deployment.url}/demos/new").text)
        saved = http.post(
            f"{deployment.url}/demos/new", data=fields, files={"logo_file": ("logo.png", logo, "image/png")}
        )
        assert saved.status_code == 302, (saved.status_code, saved.text[:200])
        page = http.get(f"{deployment.url}/demo/big-logo").text
        logo_url = re.search(r'<img[^>]*class="demo__logo"[^>]*src="([^"]+)"', page) or re.search(
            r'src="(/logos/[0-9a-f]{64}\.png)"', page
        )
        assert logo_url, "the demo page shows no logo"
        assert http.get(f"{deployment.url}{logo_url.group(1)}").content == logo


def test_an_api_body_over_the_apps_limit_gets_the_apps_own_answer(deployment: Deployment) -> None:
    """docs/api.md promises `413 invalid_request` with a request id for a body over 64 KB. nginx's
    own limit stopped such a body first: its HTML 413 naming its version, without a CORS header, so the
    widget on another site saw only a network error."""
    body = json.dumps({"demo": HOST_DEMO, "initial_text": "x" * 70_000}).encode()
    assert 64 * 1024 < len(body) < 72 * 1024
    headers = {"Content-Type": "application/json", "Origin": deployment.host_url}
    with client() as http:
        r = http.post(f"{deployment.url}/api/calls", content=body, headers=headers)
        assert r.status_code == 413, r.text[:200]
        assert r.headers["content-type"].startswith("application/json"), r.text[:200]
        error = r.json()["error"]
        assert error["code"] == "invalid_request" and error["request_id"] == r.headers["X-Request-ID"]
        assert r.headers["Access-Control-Allow-Origin"] == deployment.host_url  # the widget can read it
        # No nginx version anywhere: not on the app's answers, nor on nginx's own (a redirect).
        redirect = http.get(f"{deployment.http_url}/", follow_redirects=False)
        assert redirect.status_code == 301
        for answer in (r, redirect, http.get(f"{deployment.url}/healthz")):
            assert re.search(r"nginx/\d", answer.headers.get("server", "") + answer.text) is None, answer


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_docs_show_the_tested_config() -> None:
    # docs/deployment.md links the one template this module runs instead of copying it.
    assert "(../deploy/nginx/webcall.conf)" in (ROOT / "docs" / "deployment.md").read_text()


def test_nginx_logs_no_share_link_token(deployment: Deployment) -> None:
    """An old `?link=` URL and one whose `#` a redirector encoded as `%23` carry the token in the
    request line of their first request, before the app redirects it (docs/sales.md). The app's own
    lines redact it (webcall/logs.py); nginx's access log, as the shipped site writes it, must not
    keep it either, over https or on the plain port's redirect."""
    token = "tokenInTheLog" + uuid.uuid4().hex
    paths = (
        f"/demo/alpenblick?link={token}",
        f"/demo/alpenblick%23link={token}",
        f"/embed/northwind?link={token}",
    )
    log = deployment.folder / "webcall.access.log"
    with client() as http:
        for path in paths:
            assert http.get(deployment.url + path, follow_redirects=False).status_code == 303
        assert http.get(deployment.http_url + paths[0], follow_redirects=False).status_code == 301

    def logged() -> list[str]:
        lines = log.read_text().splitlines() if log.exists() else []
        return lines if sum("/alpenblick" in line or "/northwind" in line for line in lines) >= 4 else []

    lines = wait_until(logged, 10, "nginx's access lines of the four requests")
    assert not [line for line in lines if token in line]
    # Still useful: each line names the page and carries nginx's request id (the app's lines have it too).
    assert sum(" /demo/alpenblick " in line for line in lines) >= 3, lines
    assert all(re.search(r" [0-9a-f]{32}$", line) for line in lines), lines


# ── old share links and health checks that never need the app ───────────────────────────────────────


@dataclass
class Unreachable:
    url: str  # https://127.0.0.1:<nginx>, the shipped site in front of an upstream that refuses
    http_url: str
    folder: Path

    def logs(self) -> str:
        """Every line nginx wrote: the site's access log, Debian's http-level one and the error log."""
        return "".join(log.read_text() for log in sorted(self.folder.glob("*.log")))


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Unreachable]:
    """The shipped site with gunicorn down (a restart during a deploy, a crash, past proxy_read_timeout):
    its upstream port is bound and never listened on, so every connection to it is refused."""
    folder = tmp_path_factory.mktemp("nginx-no-app")
    (folder / "site").mkdir()
    cert, key = self_signed(folder)
    https_port, http_port, host_port = free_port(), free_port(), free_port()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        config = render_site_config(
            app_port=closed.getsockname()[1],
            https_port=https_port,
            http_port=http_port,
            cert=cert,
            key=key,
            access_log=folder / "webcall.access.log",
        )
        (folder / "webcall.conf").write_text(config)
        (folder / "nginx.conf").write_text(main_config(folder, host_port=host_port, cert=cert, key=key))
        with nginx_server(folder, https_port, "nginx without its app", ARTIFACTS / "logs" / "tls-no-app"):
            yield Unreachable(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", folder)


# An old link as a prospect may hold it, and where it must lead: the page with the token in the fragment
# and the rest of the query as sent (webcall/demo_page.py's fragment_redirect, docs/sales.md).
OLD_LINKS = (
    ("/demo/alpenblick?link={t}", "/demo/alpenblick#link={t}"),
    ("/demo/alpenblick%23link={t}", "/demo/alpenblick#link={t}"),
    ("/embed/northwind?link={t}", "/embed/northwind#link={t}"),
    ("/embed/northwind?mode=text&link={t}&lang=de", "/embed/northwind?mode=text&lang=de#link={t}"),
    ("/embed/northwind?link={t}&theme=dark", "/embed/northwind?theme=dark#link={t}"),
    ("/demo/alpenblick?mode=text&link={t}", "/demo/alpenblick?mode=text#link={t}"),
    ("/demo/alpenblick%23link={t}?mode=text", "/demo/alpenblick?mode=text#link={t}"),
    ("/demo/alpenblick?link={t}).", "/demo/alpenblick#link={t})."),  # the page's script drops the `).`
)


def test_old_share_links_never_reach_the_app_nor_nginxs_error_log(unreachable: Unreachable) -> None:
    """nginx logged an old link's token in its error log whenever gunicorn did not answer (its error
    line holds the request line and the upstream URL). The site now answers those forms itself, so the
    token never goes upstream and no log of nginx has it, app or no app (an operator's audit)."""
    token = "tokenInTheErrorLog" + uuid.uuid4().hex
    with client() as http:
        # The app is really down: a page without a token is nginx's 502, and the error log says why.
        assert http.get(f"{unreachable.url}/demo/alpenblick").status_code == 502
        for old, new in OLD_LINKS:
            r = http.get(unreachable.url + old.format(t=token), follow_redirects=False)
            assert (r.status_code, r.headers.get("Location")) == (303, new.format(t=token)), old
            assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["Cache-Control"] == "no-store"
            assert token not in r.text
        # The plain port sends it on to https (nginx's own answer too), where the lines above answer it.
        assert http.get(unreachable.http_url + OLD_LINKS[0][0].format(t=token)).status_code == 301
    logs = wait_until(lambda: (text := unreachable.logs()).count("/alpenblick") >= 6 and text, 10, "the logs")
    assert "connect() failed" in logs, logs
    assert token not in logs


def test_nginx_answers_an_old_link_as_the_app_does(deployment: Deployment) -> None:
    """Where nginx answers an old link itself, it leads where the app's own redirect does: the same page
    and query, and the same token once the page's script has cleaned it up by the rule the app's redirect
    applies (`cleanToken`, static/js/share-link.js; nginx leaves a glued `).` for it). A `link` in the
    query of another page (the studio's call filter) is still the app's."""
    token = "WzEsImFscGVuYmxpY2siXQ.parity" + uuid.uuid4().hex[:8]
    with client() as http:
        for old, _ in OLD_LINKS:
            path = old.format(t=token)
            ours = http.get(deployment.url + path, follow_redirects=False)
            apps = http.get(deployment.app.url + path, follow_redirects=False)
            assert ours.status_code == apps.status_code == 303, path
            page, _, fragment = ours.headers["Location"].partition("#link=")
            assert f"{page}#link={clean_token(fragment)}" == apps.headers["Location"], path
            for name in ("Referrer-Policy", "Cache-Control"):
                assert ours.headers[name] == apps.headers[name], (path, name)
        studio = http.get(f"{deployment.url}/demos/calls?link=abc", follow_redirects=False)
        assert studio.status_code == 302 and "/demos/login" in studio.headers["Location"], studio.headers


def test_a_health_check_by_address_reaches_the_app(deployment: Deployment) -> None:
    """A load balancer checks an instance by its address (or a Host of its own): the default server
    closed every such request (444), so every instance would be taken out. /healthz, the app's constant
    answer, is served whatever the Host, over either port; everything else still gets no answer."""
    with client() as http:
        for url in (deployment.url, deployment.http_url):
            r = http.get(f"{url}/healthz", headers={"Host": "10.0.0.12"}, follow_redirects=False)
            assert (r.status_code, r.json()) == (200, {"status": "ok"}), (url, r.text)
            with pytest.raises(httpx.RemoteProtocolError):
                http.get(f"{url}/readyz", headers={"Host": "10.0.0.12"}, follow_redirects=False)

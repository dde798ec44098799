"""The documented deployment behind a load balancer (docs/deployment.md, "Behind a load balancer"), for real:
a visitor reaches an outer nginx playing the balancer (it appends the client to X-Forwarded-For, as AWS's
ALB does by default), which forwards over TLS to the shipped site config
(deploy/nginx/webcall.conf, rendered as tests/e2e/test_tls_proxy.py does, with its two realip lines
uncommented and set to the balancer's address), in front of gunicorn with WEBCALL_TRUSTED_PROXY_HOPS=1
and the stand-in API.

What a visitor meets is the per-IP create limit: each visitor has its own budget, and one who sends an
X-Forwarded-For of its own escapes nothing. Visitors come from 127.0.0.2 and 127.0.0.3, the balancer
connects from 127.0.0.10 (loopback is a /8). With the docs' earlier advice (hops 2, nginx as shipped)
the app saw every visitor as 127.0.0.1: one budget for all, so one visitor shut out everyone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandbox.ports import free_port
from sandbox.stack import DEFAULT_AGENT_ID
from tests.conftest import Standin

from .conftest import ARTIFACTS, wait_until
from .servers import NGINX, Gunicorn, gunicorn, nginx_server
from .test_tls_proxy import TEMPLATE, render_site_config, self_signed

BALANCER = "127.0.0.10"  # the address the balancer connects to nginx from (its proxy_bind)
VISITOR, OTHER_VISITOR = "127.0.0.2", "127.0.0.3"
FORGED, FORGED_AGAIN = "198.51.100.66", "198.51.100.67"
TEXT_CALL = {"mode": "text"}


def render_behind_balancer(
    *, app_port: int, https_port: int, http_port: int, cert: Path, key: Path, access_log: Path
) -> str:
    """The shipped site (test_tls_proxy's rendering) with its realip lines uncommented for our balancer.
    Each must be there as written: the docs tell operators to uncomment exactly these."""
    text = render_site_config(
        app_port=app_port,
        https_port=https_port,
        http_port=http_port,
        cert=cert,
        key=key,
        access_log=access_log,
    )
    replacements = {
        "    # set_real_ip_from 10.0.0.0/24;": f"    set_real_ip_from {BALANCER};",
        "    # real_ip_header   X-Forwarded-For;": "    real_ip_header   X-Forwarded-For;",
    }
    for old, new in replacements.items():
        assert old in text, f"{TEMPLATE} no longer contains {old!r}; update this test and docs/deployment.md"
        text = text.replace(old, new)
    return text


def temp_paths(folder: Path) -> str:
    return "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )


def main_config(folder: Path, site: str) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around conf.d/, pointed at `folder`."""
    user = "user root;" if os.geteuid() == 0 else ""  # the tmp folder is private to us
    return f"""\
{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp_paths(folder)}
{site}
}}
"""


def balancer_site(*, port: int, nginx_port: int, cert: Path, key: Path) -> str:
    """An HTTP load balancer: TLS for visitors, then HTTPS to nginx's 443 (its port 80 only
    redirects), adding the client to X-Forwarded-For after whatever the client sent."""
    return f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate     {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass https://127.0.0.1:{nginx_port};
            proxy_bind {BALANCER};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
"""


@contextmanager
def nginx(folder: Path, site: str, port: int, name: str) -> Iterator[None]:
    """Debian's nginx as a non-daemon child with its own prefix, logs and temp dirs in `folder`."""
    folder.mkdir()
    (folder / "nginx.conf").write_text(main_config(folder, site))
    with nginx_server(folder, port, name, ARTIFACTS / "logs" / f"balancer-test-{name}"):
        yield


@dataclass
class Deployment:
    url: str  # https://127.0.0.1:<balancer>, the app's public URL
    app: Gunicorn


@pytest.fixture
def deployment(standin: Standin, tmp_path: Path) -> Iterator[Deployment]:
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: `make setup` installs Debian's nginx")
    (ARTIFACTS / "logs").mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(tmp_path)
    balancer_port, https_port, http_port = free_port(), free_port(), free_port()
    url = f"https://127.0.0.1:{balancer_port}"
    env = {
        "ITELLICOAI_API_KEY": standin.key,
        "ITELLICOAI_BASE_URL": standin.url,
        "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
        "WEBCALL_ENV": "production",
        "WEBCALL_SECRET_KEY": "balancer-test-secret-key-0123456789abcdef",
        "WEBCALL_PUBLIC_URL": url,
        "WEBCALL_TRUSTED_PROXY_HOPS": "1",
        "WEBCALL_DATABASE_URL": f"sqlite:///{tmp_path / 'calls.sqlite3'}",
        "WEBCALL_TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'tasks.sqlite3'}",
        # One create a minute per client IP; the other limits out of the way.
        "WEBCALL_RATE_LIMIT_PER_IP": "1/minute",
        "WEBCALL_RATE_LIMIT_PER_DEMO": "1000/minute",
        "WEBCALL_OPEN_CALLS_PER_IP": "1000",
        # One worker: the limit's counters (memory://) are then one set, as with Redis across several.
        "WEB_CONCURRENCY": "1",
    }
    with gunicorn(env, ARTIFACTS / "logs" / "balancer-test-gunicorn.log") as app:
        app_port = int(app.url.rsplit(":", 1)[1])
        site = render_behind_balancer(
            app_port=app_port,
            https_port=https_port,
            http_port=http_port,
            cert=cert,
            key=key,
            access_log=tmp_path / "nginx" / "webcall.access.log",
        )
        outer = balancer_site(port=balancer_port, nginx_port=https_port, cert=cert, key=key)
        with (
            nginx(tmp_path / "nginx", site, https_port, "nginx"),
            nginx(tmp_path / "balancer", outer, balancer_port, "balancer"),
        ):
            yield Deployment(url, app)


def visitor(address: str, url: str) -> httpx.Client:
    """A browser on the app's own page, connecting from `address`."""
    transport = httpx.HTTPTransport(local_address=address, verify=False)
    return httpx.Client(transport=transport, timeout=30, headers={"Origin": url})


def test_each_visitor_behind_the_balancer_has_its_own_create_budget(deployment: Deployment) -> None:
    url = deployment.url
    with visitor(VISITOR, url) as one, visitor(OTHER_VISITOR, url) as other:
        # Each sends an X-Forwarded-For of its own: the balancer adds the real address after it.
        first = one.post(f"{url}/api/calls", json=TEXT_CALL, headers={"X-Forwarded-For": FORGED})
        assert first.status_code == 201, first.text
        # Another made-up address escapes nothing: it is the same visitor, over its one create.
        again = one.post(f"{url}/api/calls", json=TEXT_CALL, headers={"X-Forwarded-For": FORGED_AGAIN})
        assert again.status_code == 429, again.text
        # Someone else is not refused for it.
        theirs = other.post(f"{url}/api/calls", json=TEXT_CALL)
        assert theirs.status_code == 201, (
            f"{OTHER_VISITOR} was refused after {VISITOR} spent its budget: the app counts them as one "
            f"client ({theirs.text}); gunicorn's access lines:\n{access_lines(deployment.app)}"
        )
        # The app sees the visitor's https (HSTS is sent over https only).
        assert "max-age" in theirs.headers.get("Strict-Transport-Security", "")
    # gunicorn's access line names the client the app believes: each visitor, never a made-up one.
    lines = wait_until(
        lambda: len(access_lines(deployment.app)) >= 3 and access_lines(deployment.app),
        10,
        "three access lines for the creates",
    )
    assert [line.split(" ", 1)[0] for line in lines] == [VISITOR, VISITOR, OTHER_VISITOR], lines


def access_lines(app: Gunicorn) -> list[str]:
    return [line for line in app.log_text().splitlines() if '"POST /api/calls ' in line]

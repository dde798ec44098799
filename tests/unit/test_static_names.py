"""A file-serving address with a name the file system cannot take is a 404, not a 500. With built assets
(WEBCALL_ASSETS=built, production's default) `/static/` + 256 letters asked the build directory about
the name and the OS refused it (OSError: File name too long), a 500 that anyone could cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import create_app, pages
from webcall.settings import Settings

pytestmark = pytest.mark.unit

LONG = "a" * 256
PATHS = [
    f"/static/{LONG}",
    f"/static/js/{LONG}.js",
    f"/static/js/{LONG}.js.map",
    "/static/" + "/".join(["b" * 200] * 25),  # each part fits, the whole path does not (PATH_MAX)
    f"/vendor/{LONG}",
    f"/vendor/{LONG}.js",
    f"/logos/{LONG}",
    f"/logos/{'0' * 64}.{LONG}",
    f"/widget.js/{LONG}",
]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "web"
    (out / "static" / "js").mkdir(parents=True)
    (out / "static" / "js" / "itellico-call.js").write_text('import"./chunk-A.js";\n')
    (out / pages.BUILD_STAMP).write_text("hash\n")
    monkeypatch.setattr(pages, "BUILD_DIR", out)
    return out


@pytest.mark.parametrize("assets", ["built", "source"])
@pytest.mark.parametrize("gzip", [True, False])
@pytest.mark.parametrize("path", PATHS)
def test_a_name_too_long_for_the_file_system_is_not_found(build, assets, gzip, path):
    env = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID, "WEBCALL_ASSETS": assets}
    client = create_app({"settings": Settings.from_env(env)}).test_client()
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 404, (path[:40], response.status_code)
    assert client.get("/static/js/itellico-call.js").status_code == 200  # the app still serves


def test_a_built_name_that_climbs_out_of_the_build_is_not_found(build):
    (build / "outside.js").write_text("secret")
    env = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID, "WEBCALL_ASSETS": "built"}
    client = create_app({"settings": Settings.from_env(env)}).test_client()
    response = client.get("/static/..%2Foutside.js")
    assert response.status_code == 404 and b"secret" not in response.data

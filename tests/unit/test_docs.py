"""One place for each fact: every setting the code reads is documented; error codes agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webcall import ROOT
from webcall.errors import ErrorCode

pytestmark = pytest.mark.unit


def _names_read_by(path: Path) -> set[str]:
    return set(re.findall(r"\"((?:ITELLICOAI|WEBCALL)_[A-Z_]+)\"", path.read_text()))


def test_every_setting_is_in_env_example_and_the_readme():
    names = _names_read_by(ROOT / "webcall" / "settings.py") | set(
        re.findall(r"\b((?:WEBCALL|ITELLICOAI)_[A-Z_]+)\b", (ROOT / "gunicorn.conf.py").read_text())
    )
    assert len(names) > 15
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert sorted(n for n in names if f"\n{n}=" not in example) == []
    assert sorted(n for n in names if f"`{n}`" not in readme) == []


def test_every_server_error_code_has_a_browser_translation():
    errors_js = (ROOT / "static" / "js" / "errors.js").read_text()
    for language in ("en", "de"):
        catalogue = (ROOT / "static" / "js" / "i18n" / f"{language}.js").read_text()
        for code in ErrorCode:
            assert re.search(rf"^\s+{code.value}: \{{", errors_js, re.M), code
            assert f"'error.{code.value}.title'" in catalogue, (language, code)
            assert f"'error.{code.value}.next'" in catalogue, (language, code)

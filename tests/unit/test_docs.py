"""One place for each fact: every setting the code reads is documented; error codes agree."""

from __future__ import annotations

import re
import subprocess
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


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_docs_leads_somewhere():
    # README.md and docs/*.md link each other and the code; a moved section or file must not leave
    # a link to nothing behind.
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(), re.MULTILINE)
                if anchor not in {_anchor(h) for h in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_every_file_the_code_and_docs_name_is_there():
    # Comments, docstrings and docs cite files of the repo by path ("see docs/sales.md",
    # "webcall/link_store.py"); a renamed page left .env.example citing its old name.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    cited = re.compile(
        r"\b(?:webcall|static/js|static/css|sandbox|bench|docs|scripts|tests)/[\w/-]+\.(?:py|js|md|css)\b"
    )
    missing = set()
    for name in tracked:
        path = ROOT / name
        if not name or path.suffix not in {".py", ".js", ".md", ".html", ".toml", ".example", ".css", ".sh"}:
            continue
        if name.startswith("static/vendor/") or not path.is_file():
            continue
        for target in cited.findall(path.read_text(errors="replace")):
            if not (ROOT / target).exists():
                missing.add(f"{name}: {target}")
    assert sorted(missing) == []


def test_the_systemd_units_in_the_docs_are_what_systemd_reads():
    # systemd takes a `#` only at the start of a line as a comment (systemd.syntax(7)): after a value it
    # is part of the value. The documented units had comments there: KillSignal=SIGINT with one was
    # refused (the worker then got SIGTERM and stopped mid-task), EnvironmentFile= named a file with
    # the comment in its path, RuntimeDirectory= made a directory per word.
    blocks = []
    for page in ("deployment.md", "operations.md"):
        text = (ROOT / "docs" / page).read_text()
        blocks += [(page, b) for b in re.findall(r"```ini\n(.*?)```", text, re.S) if "systemd" in b]
    assert len(blocks) >= 3
    for page, block in blocks:
        for line in block.splitlines():
            if "=" in line and not line.lstrip().startswith(("#", ";")):
                assert "#" not in line, f"{page}: {line}"

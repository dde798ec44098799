"""No module-level function, class or constant of webcall/ or sandbox/ that nothing uses: a reader
takes such a name for a rule the code follows. `installed_version()` (sandbox/livekit_server.py) had
no caller, and notification_store.CHANNELS stood beside a second copy of its own tuple.

A name counts as used when it appears a second time in its own file, or anywhere in the code around
it (the app, the sandbox, scripts, templates, the browser modules, the tests). Decorated functions
are left out: the decorator is their use (a view, a command, a hook)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

CHECKED = ("webcall", "sandbox")
AROUND = ("scripts", "templates", "bench", "deploy", "tests", "static")
SUFFIXES = {".py", ".html", ".sh", ".js", ".mjs", ""}
WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
# Names kept although nothing in the repository uses them, each with its reason.
ALLOWED: dict[str, str] = {}


def _files(folders: tuple[str, ...]) -> list[Path]:
    return [
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts
    ]


def _defined(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names += [] if node.decorator_list else [node.name]
        elif isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("__")]


def unused_names(source: str, own: Counter[str], everywhere: Counter[str]) -> list[str]:
    """The names `source` defines at module level that appear once in it and nowhere else."""
    return [name for name in _defined(ast.parse(source)) if own[name] <= 1 and everywhere[name] == own[name]]


def test_every_module_level_name_is_used():
    checked = _files(CHECKED)
    around = {*_files(AROUND), *ROOT.glob("*.py")} - {Path(__file__)}  # this file names the ones it found
    words = {path: _words(path) for path in {*checked, *around}}
    everywhere: Counter[str] = Counter()
    for counted in words.values():
        everywhere.update(counted)
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in checked
        if path.suffix == ".py"
        for name in unused_names(path.read_text(encoding="utf-8"), words[path], everywhere)
        if name not in ALLOWED
    ]
    assert sorted(found) == []


def _words(path: Path) -> Counter[str]:
    return Counter(WORD.findall(path.read_text(encoding="utf-8", errors="ignore")))


def test_the_check_finds_an_unused_name():
    module = "USED = 1\nUNUSED = 2\n\n\n@app.get('/')\ndef view():\n    return USED\n\n\ndef caller(): ...\n"
    own = Counter(WORD.findall(module))
    elsewhere = Counter(WORD.findall("from module import caller\n"))
    assert unused_names(module, own, own + elsewhere) == ["UNUSED"]

"""Run a few lines of JavaScript under node, as an ES module, and read back what it prints as JSON: how a
test holds a rule written in Python and in the browser's JavaScript to the same cases
(tests/unit/test_page_variables.py, tests/unit/test_share_token_rule.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by make setup")


def node_json(script: str, *args: str) -> Any:
    """`script`'s printed JSON; its arguments are `process.argv[1:]`."""
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)

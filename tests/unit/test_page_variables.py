"""The page-variable rule, stated once per side and the same everywhere: a page or a share link may
set only the variables the demo lists, each as text no longer than its maximum (in characters, i.e.
Unicode code points, as Python counts them). The server's rule is `webcall.demos.page_variable_problems`
(used by the create API, share-link signing and the link check at create time); the browser's is
static/js/page-variables.js (used by the embed bridge) and the widget loader's inline copy (it may
not import anything before a click: tests/unit/test_widget_budget.py). This test runs all three on
one table of cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.node_eval import needs_node, node_json
from webcall import ROOT
from webcall.demos import DemoProfile, page_variable_problems
from webcall.links import LinkError

from .conftest import link_for

pytestmark = pytest.mark.unit

ALLOWED = {"name": 5, "city": 3, "constructor": 2}
CASES: list[dict[str, object]] = [
    {},
    {"name": "Maria"},
    {"name": "Marias"},  # one too long
    {"name": "Jo", "city": "Linz"},
    {"secret": "x"},
    {"__proto__": "x", "toString": "y"},  # JS prototype names are not variables
    {"constructor": "ok"},
    {"name": "😀😀😀😀😀"},  # five code points (ten UTF-16 units): allowed
    {"name": "😀😀😀😀😀😀"},
    {"city": ""},
    {"city": "\ud83dab"},  # a lone surrogate is one code point everywhere
    {"city": "😀ab"},  # a pair is one
]

NODE_SCRIPT = r"""
const [modulePath, widgetSource, casesJson, allowedJson] = process.argv.slice(1);
const { filterVariables } = await import(modulePath);
const widgetFilter = new Function('warn', widgetSource + '; return filterVariables;')(() => {});
const cases = JSON.parse(casesJson);
const allowed = JSON.parse(allowedJson);
const out = cases.map((input) => {
  // Parse like the browser gets them: from JSON (data-variables, postMessage), so __proto__ is a key.
  const parsed = JSON.parse(JSON.stringify(input));
  return {
    module: Object.keys(filterVariables(parsed, allowed).accepted).sort(),
    widget: Object.keys(widgetFilter(parsed, allowed, 'demo')).sort(),
  };
});
console.log(JSON.stringify(out));
"""


def python_accepts(variables: dict[str, object]) -> list[str]:
    demo = DemoProfile("demo", "agent", allowed_variables=ALLOWED)
    problems = page_variable_problems(demo, variables)
    return sorted(name for name in variables if name not in problems)


def widget_filter_source() -> str:
    source = (ROOT / "static" / "widget.js").read_text()
    match = re.search(r"^  function filterVariables\(.*?^  }\n", source, re.S | re.M)
    assert match, "static/widget.js lost its filterVariables"
    helper = re.search(r"^  function codePoints\(.*?^  }\n", source, re.S | re.M)
    assert helper, "static/widget.js lost its codePoints helper"
    return helper.group(0) + match.group(0)


@needs_node
def test_server_module_and_widget_agree_on_every_case():
    # Cases written with a literal __proto__ key must reach JS as an own key: build the JSON by hand.
    cases_json = "[" + ",".join(json.dumps(case) for case in CASES) + "]"
    module = (ROOT / "static" / "js" / "page-variables.js").as_uri()
    browser = node_json(NODE_SCRIPT, module, widget_filter_source(), cases_json, json.dumps(ALLOWED))
    for case, seen in zip(CASES, browser, strict=True):
        expected = python_accepts(case)
        assert seen == {"module": expected, "widget": expected}, case


def test_the_server_rule_explains_each_refusal():
    demo = DemoProfile("demo", "agent", allowed_variables=ALLOWED)
    problems = page_variable_problems(demo, {"name": "Marias", "secret": "x", "city": 5, "constructor": "a"})
    assert problems == {
        "name": "longer than 5 characters",
        "secret": "not allowed for this demo",
        "city": "not text",
    }


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_every_server_path_applies_the_one_rule(client, svc, standin):
    """Each server path refuses or leaves out what the rule refuses: a create's own variables (webcall/
    validation.py), a link being made (webcall/links.py), and a stored link's variables at its call
    (webcall/api.py), which were allowed when it was made and may not be now. Checking only that the
    modules name the rule passed with its call removed from api.py (a code audit)."""
    too_long = "x" * 61  # northwind and alpenblick allow `name` up to 60 characters
    refused = client.post("/api/calls", json={"demo": "northwind", "variables": {"name": too_long}})
    assert refused.status_code == 400 and "variables.name" in refused.json["error"]["message"]
    with pytest.raises(LinkError, match="longer than 60"):
        link_for(svc, name=too_long)
    link = link_for(svc, name="Maria Magdalena")
    svc.calllog.add_link(link, "Maria", created_by="web", owner="rep@example.com")
    svc.demos.save("alpenblick", svc.demos.tables()["alpenblick"] | {"variables": {"name": 10}}, "bob")
    made = client.post("/api/calls", json={"demo": "alpenblick", "link": link.token})
    assert made.status_code == 201, made.json
    assert "name" not in standin.creates()[-1]["test_variables"], standin.creates()[-1]


def test_the_browser_copies_are_one_module_and_the_loaders_inline_copy():
    bridge = (ROOT / "static" / "js" / "embed-bridge.js").read_text()
    assert "from './page-variables.js'" in bridge and "function filterVariables" not in bridge
    assert Path(ROOT / "static" / "js" / "page-variables.js").is_file()

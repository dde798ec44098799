"""The widget's launcher on a host page of another origin: what its script tag and the JS API do
with odd pages and odd tags (tests/e2e/widget_site.py serves the host)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from webcall import ROOT

from . import widget_site
from .widget_site import (
    WIDGET,
    Recorder,
    launcher,
    new_creates,
    open_site,
    widget,
)

# The sample host site and the app that allows it, one of each per file (tests/e2e/widget_site.py).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app


def test_an_invalid_data_accent_is_ignored_and_the_demo_accent_kept(page, host, widget_app):
    rec = open_site(page, host, widget_app, "bad-accent")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    expect(button).to_have_css("background-color", "rgb(15, 118, 110)")  # brand.accent, not the default blue
    warned = [w for w in rec.warnings if "red; background:url(x.png)" in w]
    assert len(warned) == 1 and "is not a CSS colour" in warned[0], rec.warnings
    # So is a position there is none of (it was ignored without a word): the demo's corner is used.
    warned = [w for w in rec.warnings if "top-left" in w]
    assert len(warned) == 1 and "bottom-right or bottom-left" in warned[0], rec.warnings


MOUNT_FROM_CODE = """
document.addEventListener('load', (e) => {
  if (e.target instanceof HTMLScriptElement && e.target.src.endsWith('/widget.js')) {
    window.ItellicoWebCall.mount({ demo: 'northwind', mode: 'text' });
  }
}, true);
"""


def next_task(page: Page) -> None:
    """Let the page run the tasks it queued so far (the loader checks for launchers a task after load)."""
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 0))")


def test_a_script_tag_without_data_demo_loads_only_the_js_api(page, host, widget_app):
    """Without data-demo the tag mounts nothing: it loads ItellicoWebCall for launchers mounted from code.
    When none is mounted by the time the page has loaded, the console says what is missing, once."""
    rec = Recorder(page)
    with page.expect_console_message(lambda m: "data-demo" in m.text, timeout=10_000) as told:
        page.goto(f"{host}/site/no-demo?app={widget_app}")
    assert told.value.type == "warning"
    assert "no launcher" in told.value.text and "ItellicoWebCall.mount" in told.value.text, told.value.text
    next_task(page)
    assert page.locator(WIDGET).count() == 0
    assert page.evaluate("ItellicoWebCall.widgets.length") == 0
    assert len([w for w in rec.warnings if "data-demo" in w]) == 1, rec.warnings

    # The page mounts its launcher from code as soon as the script has loaded: no warning.
    page.add_init_script(MOUNT_FROM_CODE)
    rec = Recorder(page)
    page.goto(f"{host}/site/no-demo?app={widget_app}")
    expect(launcher(page, "northwind")).to_have_text("Talk to Ava")
    next_task(page)
    assert not [w for w in rec.warnings if "data-demo" in w], rec.warnings
    assert rec.errors == []


def test_the_docs_js_api_example_works_with_an_async_script_tag(page, host, widget_app, sandbox):
    """docs/widget.md's JavaScript API example, as written there, on a page whose tag is `async` at the
    end of the body (the docs' tag): `ready` fired before the launcher was in ItellicoWebCall.widgets,
    so `get()` gave undefined and setVariables threw; the call went out without the variable."""
    example = (ROOT / "docs" / "widget.md").read_text().split("**JavaScript API.**", 1)[1]
    listener = example.split("```js\n", 1)[1].split("\n// ", 1)[0]  # the listener, not the comment lines
    assert "itellico-widget:ready" in listener and "setVariables" in listener, listener
    page.add_init_script(listener)
    before = len(sandbox.creates())
    rec = open_site(page, host, widget_app, "text")
    expect(launcher(page, "northwind")).to_be_visible()
    launcher(page, "northwind").click()
    page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()  # the consent text
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    (created,) = new_creates(sandbox, before)
    assert created["test_variables"].get("name") == "Jane", created["test_variables"]
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    assert rec.errors == []


def test_an_empty_data_demo_mounts_the_default_demo(page, host, widget_app):
    rec = open_site(page, host, widget_app, "empty-demo")
    expect(page.locator(widget("default"))).to_have_count(1)
    next_task(page)
    assert not [w for w in rec.warnings if "data-demo" in w and "no launcher" in w], rec.warnings


def test_rate_limited_widget_tells_the_person_to_try_again_shortly(
    page, host, serve_app, demos_file, sandbox
):
    app = serve_app(demos_file=demos_file, rate_limit_per_ip="1/minute")
    # Use up this IP's one call a minute (an unknown demo: counted, nothing goes upstream).
    assert httpx.post(f"{app}/api/calls", json={"demo": "no-such-demo"}).status_code == 404
    before = len(sandbox.creates())
    open_site(page, host, app, "text")
    with page.expect_response(lambda r: r.url == f"{app}/api/calls" and r.request.method == "POST") as info:
        launcher(page, "northwind").click()
        page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()
    assert info.value.status == 429 and info.value.headers.get("retry-after")
    error = page.locator(f"{widget('northwind')} itellico-call [part=error]")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-code", "rate_limited")
    expect(error).to_contain_text("try again", ignore_case=True)
    assert page.locator(widget("northwind")).get_attribute("data-call-state") == "error"
    assert new_creates(sandbox, before) == []


def test_a_page_that_swaps_its_body_gets_a_working_launcher_again_and_no_dead_one(page, host, widget_app):
    """Turbo Drive and htmx swap <body> and run its scripts again. The swapped-out launcher stayed in
    ItellicoWebCall.widgets and get() returned it (its start() then ran a call nobody could see), and the
    new script tag's launcher came second. `widgets` listed it until a get() or mount() ran."""
    open_site(page, host, widget_app, "alpen")
    expect(launcher(page, "alpen")).to_be_visible()
    app = widget_app
    swapped = page.evaluate(
        """(app) => new Promise((resolve) => {
        const body = document.createElement('body');
        document.body.replaceWith(body);
        const listed = window.ItellicoWebCall.widgets.length; // read first: get() below prunes
        const gone = window.ItellicoWebCall.get('alpen');
        document.addEventListener('itellico-widget:ready', () => {
          const api = window.ItellicoWebCall;
          const live = api.get('alpen')?.element.isConnected;
          resolve({listed, gone: gone === undefined, count: api.widgets.length, live});
        }, {once: true});
        const tag = Object.assign(document.createElement('script'), {src: app + '/widget.js'});
        tag.dataset.demo = 'alpen';
        body.append(tag);
      })""",
        app,
    )
    assert swapped == {"listed": 0, "gone": True, "count": 1, "live": True}
    expect(launcher(page, "alpen")).to_be_visible()


SWAP_BODY = """(append) => {
  const body = document.createElement('body');
  body.append(Object.assign(document.createElement('h1'), {textContent: 'Page two'}));
  if (append) { document.body.remove(); document.documentElement.append(body); }  // pjax, some SPAs
  else document.body.replaceWith(body);  // Turbo Drive's PageRenderer
}"""


def test_a_launcher_whose_tag_is_in_head_outlives_a_body_swap(page, host, widget_app):
    """Turbo Drive (pjax, SPAs) swap <body> and keep <head>, whose scripts never run again: the launcher
    of a tag in <head> went with the old body, and the page had none until a full reload."""
    page.goto(f"{host}/head/northwind?app={widget_app}")
    button = launcher(page, "northwind")
    expect(button).to_be_visible()
    # Its tag keeps the markup it came with: Turbo Drive runs a <head> tag whose markup changed once more.
    tag = "[...document.head.querySelector('script[data-demo]').attributes].map((a) => a.name)"
    assert page.evaluate(tag) == ["src", "data-demo"]
    button.click()  # the panel opens at the consent text (no call yet)
    panel = page.locator(f"{widget('northwind')} [part=panel]")
    expect(panel).to_be_visible()
    page.evaluate(SWAP_BODY, False)
    expect(page.locator("h1")).to_have_text("Page two")
    expect(panel).to_be_visible()  # the launcher and its open panel stay as they were
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.evaluate(SWAP_BODY, True)
    expect(button).to_be_visible()
    button.click()
    expect(panel).to_be_visible()
    expect(page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")).to_be_visible()
    # Still one launcher, listed, and after the new body: above the page's own fixed bars at the same layer.
    assert page.evaluate(
        "[ItellicoWebCall.widgets.length, document.documentElement.lastElementChild.localName]"
    ) == [1, WIDGET]


def test_two_launchers_in_opposite_corners_do_not_overlap_on_a_small_phone(page, host, widget_app):
    """At 320 px "Talk to Ava" (bottom-right) and "Mit uns sprechen" (bottom-left) covered each other: on a
    narrow screen the later launcher stacks above the earlier one, whatever its corner."""
    page.set_viewport_size({"width": 320, "height": 640})
    open_site(page, host, widget_app, "two")
    buttons = {demo: launcher(page, demo) for demo in ("northwind", "alpen")}
    for button in buttons.values():
        expect(button).to_be_visible()
    boxes = [button.bounding_box() or {} for button in buttons.values()]
    a, b = boxes
    apart = (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )
    assert apart, boxes
    for demo, box in zip(buttons, boxes, strict=True):
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-demo')",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit == demo, (demo, hit, boxes)
    buttons["northwind"].click()  # clickable: its panel opens (at the consent text, no call)
    expect(page.locator(f"{widget('northwind')} [part=panel]")).to_be_visible()


def test_the_same_demos_script_tag_twice_shows_one_launcher_and_says_why(page, host, widget_app):
    rec = open_site(page, host, widget_app, "twice")
    expect(launcher(page, "alpen")).to_be_visible()
    page.wait_for_load_state("load")
    expect(page.locator(widget("alpen"))).to_have_count(1)
    assert any("already" in w and "alpen" in w for w in rec.warnings), rec.warnings


def test_an_open_panel_is_above_the_other_launchers_in_its_corner(page, host, widget_app):
    """Two launchers in one corner: the one stacked above was drawn over the lower one's open panel."""
    open_site(page, host, widget_app, "one-corner")
    for demo in ("northwind", "alpen"):
        expect(launcher(page, demo)).to_be_visible()
    # The tags are async: either may run first and take the bottom place.
    boxes = {demo: launcher(page, demo).bounding_box() or {} for demo in ("northwind", "alpen")}
    lower, upper = sorted(boxes, key=lambda demo: -boxes[demo]["y"])
    page.evaluate(f"window.ItellicoWebCall.get('{lower}').open(false)")
    expect(page.locator(f"{widget(lower)} [part=panel]")).to_be_visible()
    box = boxes[upper]
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-demo')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == lower


def test_a_page_with_its_own_itellico_call_element_is_told_ours_is_not_used(page, host, widget_app):
    """The page (or another script) defined `itellico-call` first: the launcher's panel and the inline
    element showed the page's element and nothing said why."""
    page.add_init_script("customElements.define('itellico-call', class extends HTMLElement {})")
    rec = open_site(page, host, widget_app, "inline")
    page.wait_for_load_state("networkidle")
    assert any("itellico-call" in w and "already defined" in w for w in rec.warnings), rec.warnings


def test_the_m_key_mutes_a_launchers_call_only_while_its_panel_is_open(page, host, widget_app, sandbox):
    """With the panel closed ("In call" on the launcher), M on the page muted or unmuted the call with
    nothing on screen to say so."""
    open_site(page, host, widget_app, "voice")
    button = launcher(page, "alpen")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator(f'{widget("alpen")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    element = f"document.querySelector('{WIDGET}').shadowRoot.querySelector('itellico-call')"
    page.keyboard.press("Escape")  # the panel closes; the call goes on
    expect(page.locator(f"{widget('alpen')} [part=panel]")).to_be_hidden()
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press("m")
    assert page.evaluate(f"{element}.muted") is False
    button.click()  # open again: the call is in sight, and M with focus in it mutes it
    expect(page.locator(f"{widget('alpen')} [part=panel]")).to_be_visible()
    page.locator(f"{widget('alpen')} itellico-call [part=call-button]").focus()
    page.keyboard.press("m")
    page.wait_for_function(f"() => {element}.muted === true")
    page.evaluate("ItellicoWebCall.get('alpen').end()")
    expect(page.locator(f'{widget("alpen")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)

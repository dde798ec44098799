"""The floating launcher (static/widget.js) for people who zoom, and for screen-reader users, in Chromium.

Host pages, scenarios and fixtures are widget_site.py's: the sample host site on http://localhost:<A>
under its strict CSP, the app on http://127.0.0.1:<B>, calls to the stand-in and its agents.
"""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from webcall.contrast import contrast_ratio

from . import widget_site
from .test_call_lifecycle import kick_agent
from .test_visitor_a11y_contrast import hex_of, rgb_of
from .widget_site import launcher, open_site, until, widget

# The widget tests' module fixtures (the host site, its demos, the app serving them), for this module too.
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app

WIDGET_WORDS = {  # static/widget.js
    "en": "In call. The call goes on with the panel closed.",
    "ended": "Call ended.",
}

# Every text a live region outside the panel takes, from now on: what a screen reader would announce.
RECORD_ANNOUNCEMENTS = """(host) => {
  window.__announced = [];
  const root = host.shadowRoot;
  const panel = root.querySelector('[part=panel]');
  const live = (node) => {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const region = el && el.closest('[role=status], [role=alert], [aria-live]');
    return region && !panel.contains(region) ? region : null;
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const region = live(r.target);
      if (region && region.textContent.trim()) window.__announced.push(region.textContent.trim());
    }
  }).observe(root, { subtree: true, childList: true, characterData: true });
}"""


def panel_of(page: Page, demo: str):
    return page.locator(f"{widget(demo)} [part=panel]")


def test_the_open_panel_fits_the_window_on_a_host_page_zoomed_with_css(page: Page, host, widget_app):
    """`html { zoom: 1.5 }` zooms viewport units too: the panel's `max-height: calc(100vh - …)` became
    1.5 times the window, so the open panel ran off the top and its Close button was out of reach."""
    page.set_viewport_size({"width": 1280, "height": 560})
    rec = open_site(page, host, widget_app, "zoomed")
    button = launcher(page, "northwind")
    button.click()
    panel = panel_of(page, "northwind")
    close = page.locator(f"{widget('northwind')} [part=close-button]")
    accept = page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")
    expect(accept).to_be_attached()  # the consent step: the panel at its full height
    expect(panel).to_be_in_viewport(ratio=1)
    expect(close).to_be_in_viewport(ratio=1)
    box = panel.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 560, box
    accept.scroll_into_view_if_needed()  # what does not fit scrolls within the panel
    expect(accept).to_be_in_viewport()

    # The window gets narrow while the panel is open: its `100vw` was zoomed too and ran off the left.
    page.set_viewport_size({"width": 560, "height": 560})
    expect(panel).to_be_in_viewport(ratio=1)
    expect(close).to_be_in_viewport(ratio=1)
    close.click()
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()
    assert rec.errors == []


def test_without_zoom_the_panel_is_sized_by_the_stylesheet_alone(page: Page, host, widget_app):
    page.set_viewport_size({"width": 1280, "height": 560})
    open_site(page, host, widget_app, "text")
    launcher(page, "northwind").click()
    panel = panel_of(page, "northwind")
    expect(panel).to_be_in_viewport(ratio=1)
    assert panel.evaluate("(p) => p.style.length") == 0  # nothing set on it from script


def test_the_open_launcher_keeps_its_name_and_says_it_is_expanded(page: Page, host, widget_app):
    """Open, the launcher was named "Close", the same as the panel's own Close button: a screen reader
    listed two "Close" buttons. Now it is a disclosure (WAI-ARIA): its name, aria-expanded, aria-controls."""
    open_site(page, host, widget_app, "two")
    names = (("northwind", "Talk to Ava", "Close"), ("alpen", "Mit uns sprechen", "Schließen"))
    for demo, name, close in names:
        button = launcher(page, demo)
        expect(button).to_have_accessible_name(name)
        expect(button).to_have_attribute("aria-expanded", "false")
        page.evaluate(f"ItellicoWebCall.get('{demo}').open(false)")
        panel = panel_of(page, demo)
        expect(panel).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(button).to_have_accessible_name(name)
        assert button.get_attribute("aria-controls") == panel.get_attribute("id")
        launchers = page.locator(widget(demo))
        expect(launchers.get_by_role("button", name=close, exact=True)).to_have_count(1)
        button.click()  # the disclosure closes what it opened
        expect(panel).to_be_hidden()
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(button).to_be_focused()


def test_a_call_going_on_behind_the_closed_panel_is_announced_once(page: Page, host, widget_app):
    """The launcher turned into "In call" as its panel closed, a change of name no screen reader reads
    out (the launcher that closed the panel keeps the focus). A polite status says it, once per closing:
    not again on each of the call's state changes behind the closed panel."""
    held: list[Route] = []

    def hold_create(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # the call stays "connecting" until the panel is closed
        else:
            route.continue_()

    page.route("**/api/calls", hold_create)
    open_site(page, host, widget_app, "text")
    button = launcher(page, "northwind")
    host_el = page.locator(widget("northwind"))
    button.click()
    page.locator(f"{widget('northwind')} itellico-call [data-action=accept]").click()
    until(page, lambda: bool(held), "the call's create request")
    host_el.evaluate(RECORD_ANNOUNCEMENTS)

    button.click()  # closed by the launcher: the focus stays on it, only its name changes
    expect(panel_of(page, "northwind")).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_accessible_name("In call")
    # With the panel closed, the launcher's status (role=status: polite) is the only one in sight.
    status = host_el.get_by_role("status")
    expect(status).to_have_text(WIDGET_WORDS["en"])
    held[0].continue_()
    # Behind the closed panel the call goes on: waiting for the agent, then in call; no new announcement.
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    assert page.evaluate("window.__announced") == [WIDGET_WORDS["en"]]

    # Open: the status is emptied; closed again, it is said again (once).
    button.click()
    expect(panel_of(page, "northwind")).to_be_visible()
    expect(host_el.get_by_role("status").filter(has_text=WIDGET_WORDS["en"])).to_have_count(0)
    button.click()
    expect(status).to_have_text(WIDGET_WORDS["en"])
    assert page.evaluate("window.__announced") == [WIDGET_WORDS["en"]] * 2
    page.evaluate("ItellicoWebCall.get('northwind').end()")
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=15_000)
    expect(button).to_have_accessible_name("Talk to Ava")


# The host control that has the focus, and whether the widget is drawn over its centre (WCAG 2.4.11:
# a focused control may not be entirely hidden). None while the focus is in a launcher (or on <body>).
FOCUSED_HOST_CONTROL = """() => {
  const a = document.activeElement;
  if (!a || a === document.body || a.tagName === 'ITELLICO-WIDGET') return null;
  const r = a.getBoundingClientRect();
  const over = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return { id: a.id || a.textContent.trim(), covered: over !== null && over.tagName === 'ITELLICO-WIDGET' };
}"""


def test_on_a_phone_the_panel_never_hides_the_page_control_that_has_the_focus(
    page: Page, host, widget_app, sandbox
):
    """At 480px and less the open panel covers the page (widget.css). Tab went on from the panel into the
    host page's links and fields under it, entirely hidden; and a call that ended by itself re-opened the
    panel over the field the visitor was typing in, where Escape (heard only inside the widget) could not
    close it. Now focus that leaves for the page minimises the panel (the call goes on), and a call that
    ends while the visitor is in the page says so from the launcher instead of covering the page."""
    page.set_viewport_size({"width": 390, "height": 700})
    rec = open_site(page, host, widget_app, "text")
    button = launcher(page, "northwind")
    host_el = page.locator(widget("northwind"))
    panel = panel_of(page, "northwind")
    button.focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    accept = page.locator(f"{widget('northwind')} itellico-call [data-action=accept]")
    expect(accept).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1, timeout=20_000)
    assert page.evaluate("document.activeElement.tagName") == "ITELLICO-WIDGET"  # the message box

    reached = []  # the page's controls Tab goes to after the panel and the launcher, to its search box
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_HOST_CONTROL)
        if focused:
            reached.append(focused)
        if focused and focused["id"] == "search":
            break
    assert reached and reached[-1]["id"] == "search", reached
    assert [r for r in reached if r["covered"]] == [], reached
    expect(panel).to_be_hidden()  # minimised: the call goes on, the launcher says so
    expect(button).to_have_accessible_name("In call")
    expect(page.locator(f'{widget("northwind")}[data-call-state="in-call"]')).to_have_count(1)

    # The visitor types in the page's search box; the call ends by itself (the agent leaves).
    page.locator("#search").focus()
    page.keyboard.type("gloves")
    call_id = page.locator(f"{widget('northwind')} itellico-call").evaluate("(el) => el.callId")
    kick_agent(sandbox, call_id)
    expect(page.locator(f'{widget("northwind")}[data-call-state="ended"]')).to_have_count(1, timeout=20_000)
    assert page.evaluate(FOCUSED_HOST_CONTROL) == {"id": "search", "covered": False}
    expect(panel).to_be_hidden()
    # The launcher's status says it instead (the panel's are hidden with it).
    expect(host_el.get_by_role("status")).to_have_text(WIDGET_WORDS["ended"])
    expect(button).to_have_accessible_name("Talk to Ava")
    page.keyboard.type(" nitrile")
    expect(page.locator("#search")).to_have_value("gloves nitrile")
    # The launcher opens the panel on the call's end: why it ended is there.
    button.click()
    expect(page.locator(f"{widget('northwind')} itellico-call [part=summary]")).to_be_visible()
    assert rec.errors == []


def test_the_panels_focus_ring_is_3_to_1_in_the_dark_look(page: Page, host, widget_app):
    """Close and "Try again" drew a 3 px outline of the accent on the dark panel: 2.74:1 with the
    default accent #2952cc (WCAG 1.4.11 asks 3:1). A demo this site may not use (its notice, no brand:
    the default accent) in the `auto` theme on a dark OS."""
    page.emulate_media(color_scheme="dark")
    open_site(page, host, widget_app, "blocked")
    launcher(page, "elsewhere").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"{widget('elsewhere')} [part=notice]")).to_be_visible()
    page.keyboard.press("Tab")
    close = page.locator(f"{widget('elsewhere')} [part=close-button]")
    expect(close).to_be_focused()
    outline, panel = close.evaluate(
        "(e) => [getComputedStyle(e).outlineColor, getComputedStyle(e.closest('.panel')).backgroundColor]"
    )
    assert hex_of(rgb_of(panel)) == "#12161d", panel  # the dark panel
    ratio = contrast_ratio(hex_of(rgb_of(outline)), hex_of(rgb_of(panel)))
    assert ratio >= 3, f"the focus ring {outline} is {ratio:.2f}:1 on the panel"

"""The branded demo page `/demo/<slug>` and its stylesheet.

The share-link token is never in a URL the server sees: links are `/demo/<slug>#link=<token>`, and
the page's script (static/js/pages/demo.js) reads the fragment, checks the link with
`POST /api/demos/<slug>/link` and hands the token to the element, which sends it in the create body.
So the server renders the page without knowing the link:

- a public demo: the whole page (title, brand, suggestions);
- a link-only demo: a neutral shell that names nothing (no title, company or logo) until the
  check answers with the content for a valid link; a missing, changed or expired link shows its
  notice instead.

Old `?link=` URLs are redirected to the fragment form (that one request still carries the token;
nothing after it does). Every page here is `no-store` and sends no Referer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from .demos import DEFAULT_ACCENT, DemoProfile
from .links import LINK_PARAM, clean_token, fragment
from .services import services

bp = Blueprint("demo", __name__)

# The few words our public pages say themselves, in the demo's language (the element has its own); each
# `<reason>.title`/`.lead` pair is a notice (templates/_unavailable.html draws it): one a demo page shows
# instead of the demo when its share link does not open it, or a page of its own for an address that
# is not there or a request that failed, in the language webcall/pages.py `notice_language` picks.
PAGE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "try_asking": "Try asking",
        "quotes": "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}",  # around each suggestion
        "thanks": "Thanks for trying the demo.",
        "powered": "Voice agent by itellico",
        # The footer's links to the deployer's legal pages (templates/_legal.html; unset: none).
        "imprint": "Imprint",
        "privacy": "Privacy",
        "checking": "Opening your demo…",
        # The `/` page's line under its heading (templates/index.html), by the mode it opens in.
        "index.lead": "Press the button and talk. You can also type.",
        "index.lead_text": "Press the button and type your message.",
        # Inside <itellico-call> until its script defines it: shown only while it loads, or if it fails.
        "loading_call": "Loading the call… If nothing appears, reload the page.",
        "link_only.title": "This demo opens from your personal link",
        "link_only.lead": "Please use the complete link from your invitation. If you cannot find it, ask your"
        " contact for a new one.",
        "tampered.title": "This link is not valid",
        "tampered.lead": "It looks changed or incomplete, so we cannot start the demo. Copy the whole link"
        " from your invitation, or ask your contact for a new one.",
        "expired.title": "This link has expired",
        "expired.lead": "Demo links are valid for a limited time. Please ask your contact for a new one.",
        "revoked.title": "This link was withdrawn",
        "revoked.lead": "The person who sent it has withdrawn this demo link. Please ask your contact for a"
        " new one.",
        "failed.title": "The demo could not be opened",
        "failed.lead": "Please check your connection and reload the page.",
        # A public demo's changed, expired or withdrawn link: its notice offers the demo as anyone sees it.
        "without_link": "Try the demo without the link",
        # A genuine link's rep (webcall/link_contact.py): `{contact}` becomes a mailto link to them.
        "expired.lead_contact": "Demo links are valid for a limited time. Please ask {contact} for a new"
        " one.",
        "revoked.lead_contact": "The person who sent it has withdrawn this demo link. Please ask {contact}"
        " for a new one.",
        "thanks_agent": "Thanks for talking with {agent}.",  # after a call; `thanks` when no name is known
        "thanks_contact": "Questions? Write to {contact}.",
        "contact.subject_new_link": "New link for the {demo} demo",
        "contact.subject_new_link_unnamed": "New demo link",  # a link-only demo's, its link not valid
        "contact.subject_questions": "Questions about the {demo} demo",
        # Pages of their own: an unknown demo or address, a refused request, a fault on our side.
        "unknown.title": "There is no demo here",
        "unknown.lead": "The address may be mistyped, or the demo has been taken down. Please check the link"
        " you were sent.",
        "not_found.title": "There is no page here",
        "not_found.lead": "The address may be mistyped, or the page has moved.",
        "refused.title": "This request could not be served",
        "refused.lead": "Please go back and try again.",
        "error.title": "Something went wrong on our side",
        "error.lead": "Please try again in a moment.",
        # The iframe page (templates/embed.html) of a slug that names no demo: its title and its one line.
        "embed.missing.title": "Not found",
        "embed.missing": "There is no such demo.",
        # The `/` page's call card's heading: the page's h1 is the demo's title (the shipped default
        # demo's is the card's own heading, and a heading list would read it twice).
        "index.call_title": "Your conversation",
    },
    "de": {
        "try_asking": "Fragen Sie zum Beispiel",
        "quotes": "\N{DOUBLE LOW-9 QUOTATION MARK}\N{LEFT DOUBLE QUOTATION MARK}",
        "thanks": "Danke, dass Sie die Demo ausprobiert haben.",
        "powered": "Sprachagent von itellico",
        "imprint": "Impressum",
        "privacy": "Datenschutz",
        "checking": "Ihre Demo wird geöffnet …",
        "index.lead": "Drücken Sie den Knopf und sprechen Sie. Sie können auch tippen.",
        "index.lead_text": "Drücken Sie den Knopf und schreiben Sie Ihre Nachricht.",
        "loading_call": "Der Anruf wird geladen … Erscheint nichts, laden Sie die Seite neu.",
        "link_only.title": "Diese Demo öffnet sich über Ihren persönlichen Link",
        "link_only.lead": "Bitte verwenden Sie den vollständigen Link aus Ihrer Einladung. Wenn Sie ihn nicht"
        " finden, bitten Sie Ihren Kontakt um einen neuen.",
        "tampered.title": "Dieser Link ist ungültig",
        "tampered.lead": "Er wirkt verändert oder unvollständig, daher können wir die Demo nicht starten."
        " Kopieren Sie den ganzen Link aus Ihrer Einladung oder bitten Sie Ihren Kontakt um einen neuen.",
        "expired.title": "Dieser Link ist abgelaufen",
        "expired.lead": "Demo-Links gelten nur für begrenzte Zeit. Bitten Sie Ihren Kontakt um einen neuen"
        " Link.",
        "revoked.title": "Dieser Link wurde zurückgezogen",
        "revoked.lead": "Wer ihn geschickt hat, hat diesen Demo-Link zurückgezogen. Bitten Sie Ihren Kontakt"
        " um einen neuen Link.",
        "failed.title": "Die Demo konnte nicht geöffnet werden",
        "failed.lead": "Bitte prüfen Sie Ihre Verbindung und laden Sie die Seite neu.",
        "without_link": "Die Demo ohne den Link ausprobieren",
        "expired.lead_contact": "Demo-Links gelten nur für begrenzte Zeit. Bitten Sie {contact} um einen"
        " neuen Link.",
        "revoked.lead_contact": "Wer ihn geschickt hat, hat diesen Demo-Link zurückgezogen. Bitten Sie"
        " {contact} um einen neuen Link.",
        "thanks_agent": "Danke für das Gespräch mit {agent}.",
        "thanks_contact": "Fragen? Schreiben Sie {contact}.",
        "contact.subject_new_link": "Neuer Link für die Demo \N{DOUBLE LOW-9 QUOTATION MARK}{demo}"
        "\N{LEFT DOUBLE QUOTATION MARK}",
        "contact.subject_new_link_unnamed": "Neuer Demo-Link",
        "contact.subject_questions": "Fragen zur Demo \N{DOUBLE LOW-9 QUOTATION MARK}{demo}"
        "\N{LEFT DOUBLE QUOTATION MARK}",
        "unknown.title": "Hier gibt es keine Demo",
        "unknown.lead": "Vielleicht ist die Adresse falsch geschrieben, oder die Demo wurde entfernt. Bitte"
        " prüfen Sie den Link, den Sie erhalten haben.",
        "not_found.title": "Diese Seite gibt es nicht",
        "not_found.lead": "Vielleicht ist die Adresse falsch geschrieben, oder die Seite ist umgezogen.",
        "refused.title": "Diese Anfrage konnte nicht bearbeitet werden",
        "refused.lead": "Bitte gehen Sie zurück und versuchen Sie es noch einmal.",
        "error.title": "Bei uns ist etwas schiefgegangen",
        "error.lead": "Bitte versuchen Sie es gleich noch einmal.",
        "embed.missing.title": "Nicht gefunden",
        "embed.missing": "Diese Demo gibt es nicht.",
        "index.call_title": "Ihr Gespräch",
    },
}


def language_of_tag(tag: str | None) -> str | None:
    """The language of ours a language tag names, by its primary subtag (`de-AT`, `de_AT` and `DE` are
    German), or None: the rule of static/js/i18n.js `resolveLanguage` and static/widget.js `primary`."""
    primary = (tag or "").replace("_", "-").split("-")[0].lower()
    return primary if primary in PAGE_TEXT else None


def browser_language(accepted: Iterable[tuple[str, float]]) -> str:
    """The first language of ours in the browser's Accept-Language, in its order of quality, English by
    default. Werkzeug's best_match would let an exact `de` further down beat a first `en-US`."""
    return next((lang for tag, q in accepted if q > 0 and (lang := language_of_tag(tag))), "en")


@bp.app_template_global()
def page_language(lang: str) -> str:
    """The language the page's own words are in for a demo in `lang`: `lang`, or English for a
    language they are not written in (what a `lang` attribute around them must say)."""
    return lang if lang in PAGE_TEXT else "en"


@bp.app_template_global()
def page_text(lang: str) -> dict[str, str]:
    """The page's own words in `lang` (English for a language it does not have)."""
    return PAGE_TEXT[page_language(lang)]


def private_headers(response: Response) -> Response:
    """For pages whose URL may carry a share link: no Referer leaves them, no cache keeps them."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


bp.after_request(private_headers)


def unavailable(reason: str, status: int, **context: Any) -> tuple[str, int]:
    return render_template("demo_unavailable.html", reason=reason, **context), status


def fragment_redirect(endpoint: str, slug: str) -> Response | None:
    """An old `?link=` URL, or one whose `#` a redirector encoded as `%23` (Flask then hands us the slug
    `alpenblick#link=…`): the same page with the token in the fragment.

    The token is cleaned up as the page's script would (`clean_token`: a dot or bracket glued to it,
    a line break in it) and quoted: a valid one is URL-safe already, anything else must not break the
    Location. The rest of the query is the visitor's, kept as sent (repeated keys too) and never handed
    to url_for, whose own keywords (`_scheme`, `_anchor`, the route's `slug`) it could otherwise set."""
    slug, hashed, after_hash = slug.partition("#")
    token = request.args.get(LINK_PARAM)
    if hashed:
        token = dict(parse_qsl(after_hash)).get(LINK_PARAM, token)
    elif token is None:
        return None
    if not slug:
        return None
    rest = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != LINK_PARAM])
    target = url_for(endpoint, slug=slug) + (f"?{rest}" if rest else "")
    if token is not None:
        target += fragment(quote(clean_token(token), safe="-_."))
    return redirect(target, code=303)


def public_base() -> str:
    """Where visitors reach us: WEBCALL_PUBLIC_URL, else the address this page was opened with."""
    return services().settings.public_url or request.host_url.rstrip("/")


def preview_image(demo: DemoProfile) -> str | None:
    """The demo's logo as a link preview's image (absolute), unless it is an SVG, which the apps that
    unfurl links do not show."""
    logo = demo.brand.logo if demo.brand else None
    if not logo or logo.lower().endswith(".svg"):
        return None
    return logo if logo.startswith("https://") else public_base() + logo


@bp.get("/demo/<slug>")
def page(slug: str) -> Response | str | tuple[str, int]:
    demo = services().demos.get(slug)
    if demo is None or slug != demo.slug:
        # `/demo/<slug>%23link=…` (a redirector encoded the `#`): the page, its token in the fragment.
        moved = fragment_redirect("demo.page", slug=slug) if "#" in slug else None
        return moved or unavailable("unknown", 404)
    moved = fragment_redirect("demo.page", slug=slug)
    if moved is not None:
        return moved
    return render_template(
        "demo.html",
        demo=demo,
        shell=demo.link_only,
        text=page_text(demo.language),
        brand_css=url_for("demo.brand_css", slug=demo.slug),
        page_url=public_base() + url_for("demo.page", slug=demo.slug),
        preview_image=None if demo.link_only else preview_image(demo),
        privacy_url=services().settings.privacy_url,  # also at the call: the element's privacy-url
    )


@bp.get("/demo/<slug>/brand.css")
def brand_css(slug: str) -> Response:
    """The demo's colours as CSS custom properties: a stylesheet, so pages need no inline styles."""
    demo = services().demos.get(slug)
    if demo is None or slug != demo.slug:
        abort(404)
    response = accent_css(demo.brand.accent if demo.brand else DEFAULT_ACCENT)  # validated: #rgb or #rrggbb
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def accent_css(accent: str) -> Response:
    """A demo page's stylesheet of its accent (for the page itself and the editor's preview); `accent`
    is a checked hex colour (demos.ACCENT_PATTERN), never text from a request as it came."""
    css = f":root {{\n  --itellico-accent: {accent};\n  --demo-accent: {accent};\n}}\n"
    return Response(css, mimetype="text/css")


def link_content(demo: DemoProfile) -> dict[str, Any]:
    """What a valid link unlocks on a link-only page (the same facts a public page shows)."""
    brand = demo.brand
    return {
        "demo": demo.slug,
        "title": demo.title,
        "description": demo.description,
        "display_name": demo.display_name,
        "company": brand.company if brand else None,
        "logo": brand.logo if brand else None,
        "language": demo.language,
        "suggestions": list(demo.suggestions),
        "consent_text": demo.consent_text,
        "max_call_seconds": demo.max_call_seconds,
    }

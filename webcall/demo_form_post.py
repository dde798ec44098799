"""The demo editor's posted form, read the same way by its save (webcall/studio_demos.py) and its live
preview (webcall/studio_preview.py): a logo upload stored or refused, then every field checked against
the demo store's rules, the mistakes put next to their fields.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from .auth import current_owner
from .demo_form import DemoForm, check_contrast, from_request, to_table
from .demo_form_words import add_problems
from .demo_schema import DemoConfigError, validate_tables
from .logos import MAX_BYTES, LogoRefused
from .logos import store as logo_store

MAX_FORM_BYTES = 1024 * 1024  # the editor's form with a logo (the app's default limit is 64 KB)


def larger_bodies() -> None:
    """Before each request of the editor and its preview: their forms carry a logo."""
    request.max_content_length = MAX_FORM_BYTES


TOO_LARGE = f"The upload is too large: a logo may be at most {MAX_BYTES // 1024} KB."


def posted_form() -> DemoForm:
    """The posted form, with an uploaded logo stored (its URL replaces the logo field) or refused."""
    form = from_request(request.form)
    if request.form.get("logo_remove"):
        form.values["brand.logo"] = ""
    upload = request.files.get("logo_file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_BYTES + 1)
        try:
            logo = logo_store().add(data, upload.filename, upload.mimetype or "", current_owner())
            form.values["brand.logo"] = logo.path
        except LogoRefused as error:
            form.error("brand.logo", str(error))
    return form


def checked(form: DemoForm, slug: str, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The table to store; mistakes go into `form.errors`."""
    keep = None if current_user.is_admin else (stored or {}).get("overrides", {})
    table = to_table(form, stored_overrides=keep)
    try:
        # Checked under a fixed name: a bad slug is the slug's mistake alone, every field is still checked.
        validate_tables({"demo": table}, [], "the form")
    except DemoConfigError as error:
        add_problems(form, error.problems)
    check_contrast(form, table)
    return table

"""The studio's account forms (Flask-WTF / WTForms).

The field rules are the account store's own checks (webcall/account_fields.py), so the form, the CLI and
the store refuse the same input with the same message. CSRF is checked once per POST by
`rep_required` / the sign-in view (Flask-WTF's CSRFProtect, webcall/auth.py) before any form is
read, so the forms themselves carry no second token.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import Field, Form, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from .account_fields import ROLES, AccountError, check_email, check_name, check_password


def _rule(check: Callable[[str], str]) -> Callable[[Form, Field], None]:
    """A WTForms validator from an account check: its message, its normalised value."""

    def validate(_form: Form, field: Field) -> None:
        try:
            field.data = check(field.data or "")
        except AccountError as error:
            raise ValidationError(error.message) from None

    return validate


class StudioForm(FlaskForm):
    class Meta:
        csrf = False  # checked before the view runs (see the module docstring)


class SignInForm(StudioForm):
    """Only asks for both fields: what no account can have (a NUL, which PostgreSQL refuses in text; an
    email or a password longer than any stored) is answered like a wrong password by `authenticate`
    (webcall/auth.py), which every password check goes through, before anything reaches the database."""

    email = StringField("Email", [InputRequired("Enter your email address.")])
    password = PasswordField("Password", [InputRequired("Enter your password.")])


class AddRepForm(StudioForm):
    email = StringField("Email", [_rule(check_email)])
    name = StringField("Name", [_rule(check_name)])
    role = SelectField("Role", choices=list(ROLES), default="rep")
    password = PasswordField("Password", [_rule(check_password)])


class PasswordForm(StudioForm):
    password = PasswordField("New password", [_rule(check_password)])


class RoleForm(StudioForm):
    role = SelectField("Role", choices=list(ROLES))


class OwnPasswordForm(StudioForm):
    current = PasswordField("Current password", [InputRequired("Enter your current password.")])
    password = PasswordField("New password", [_rule(check_password)])
    # Typed twice: one hidden field let a typo through unseen, and only an admin can reset a password
    # (there is no "forgot password", templates/demos_login.html).
    again = PasswordField(
        "New password again", [EqualTo("password", "The two new passwords differ: type the same one twice.")]
    )

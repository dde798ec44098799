"""The studio's account pages. `/demos/reps` (admins only; a rep gets 403): list the accounts, add
one, disable or enable it, reset its password, change its role. `/demos/account` (every rep): change
one's own password. Every form is CSRF-checked by `rep_required`/`admin_required`; a refused change
re-renders the page with one message next to its field.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user

from .account_fields import AccountError
from .auth import StudioUser, admin_required, register_off_handler, rep_required
from .credentials import authenticate
from .demo_page import private_headers
from .forms import AddRepForm, OwnPasswordForm, PasswordForm, RoleForm
from .services import services
from .sessions import SignedIn

bp = Blueprint("admin", __name__)
log = logging.getLogger("webcall.sales")
bp.after_request(private_headers)
register_off_handler(bp)


def _page(
    add: AddRepForm | None = None, row_errors: dict[int, dict[str, str]] | None = None, status: int = 200
) -> tuple[str, int]:
    svc = services()
    accounts = svc.accounts.all()
    return render_template(
        "demos_reps.html",
        accounts=accounts,
        add=add or AddRepForm(formdata=None),
        row_errors=row_errors or {},
        sessions={account.id: svc.sessions.count(account.id) for account in accounts},
        done=get_flashed_messages(category_filter=["done"]),
    ), status


def _done(message: str) -> Response:
    return _done_to(message, "admin.reps")


def _done_to(message: str, endpoint: str) -> Response:
    flash(message, "done")
    return redirect(url_for(endpoint), 303)


@bp.get("/demos/reps")
@admin_required
def reps() -> tuple[str, int]:
    return _page()


@bp.post("/demos/reps")
@admin_required
def add() -> Response | tuple[str, int]:
    form = AddRepForm()
    if not form.validate():
        return _page(add=form, status=400)
    try:
        account = services().accounts.add(
            form.email.data, form.password.data, role=form.role.data, name=form.name.data
        )
    except AccountError as error:
        form[error.field or "email"].errors = [error.message]
        return _page(add=form, status=400)
    log.info("account added id=%s role=%s by=%s", account.id, account.role, current_user.account.id)
    return _done(f"Added {account.email} ({account.role}).")


def _refused(account_id: int, field: str, error: AccountError) -> tuple[str, int]:
    return _page(row_errors={account_id: {field: error.message}}, status=400)


@bp.post("/demos/reps/<int:account_id>/disable")
@admin_required
def disable(account_id: int) -> Response | tuple[str, int]:
    if account_id == current_user.account.id:
        error = AccountError("self_disable", "You cannot disable your own account.")
        return _refused(account_id, "status", error)
    try:
        services().accounts.set_disabled(account_id, True)
    except AccountError as error:
        return _refused(account_id, "status", error)
    log.info("account disabled id=%s by=%s", account_id, current_user.account.id)
    return _done("Disabled; every session of that account has ended.")


@bp.post("/demos/reps/<int:account_id>/enable")
@admin_required
def enable(account_id: int) -> Response | tuple[str, int]:
    try:
        services().accounts.set_disabled(account_id, False)
    except AccountError as error:
        return _refused(account_id, "status", error)
    log.info("account enabled id=%s by=%s", account_id, current_user.account.id)
    return _done("Enabled.")


@bp.post("/demos/reps/<int:account_id>/password")
@admin_required
def reset_password(account_id: int) -> Response | tuple[str, int]:
    form = PasswordForm()
    if not form.validate():
        return _refused(account_id, "password", AccountError("password_invalid", form.password.errors[0]))
    svc = services()
    try:
        svc.accounts.set_password(account_id, form.password.data)
    except AccountError as error:
        return _refused(account_id, "password", error)
    account = svc.accounts.get(account_id)
    if account is not None:
        svc.lockout.clear(account.email)  # a reset also lifts a lock
    log.info("account password reset id=%s by=%s", account_id, current_user.account.id)
    if account_id == current_user.account.id:
        return redirect(url_for("auth.login"), 303)  # that ended this session too
    return _done("Password reset; every session of that account has ended.")


@bp.post("/demos/reps/<int:account_id>/role")
@admin_required
def change_role(account_id: int) -> Response | tuple[str, int]:
    form = RoleForm()
    if not form.validate():
        return _refused(account_id, "role", AccountError("role_invalid", "The role is admin or rep."))
    try:
        services().accounts.set_role(account_id, form.role.data)
    except AccountError as error:
        return _refused(account_id, "role", error)
    log.info("account role id=%s role=%s by=%s", account_id, form.role.data, current_user.account.id)
    if account_id == current_user.account.id and form.role.data != "admin":
        return redirect(url_for("sales.index"), 303)
    return _done(f"Role changed to {form.role.data}.")


@bp.route("/demos/account", methods=["GET", "POST"])
@rep_required
def account() -> Response | tuple[str, int]:
    """Change one's own password: every session of the account ends (other browsers, a stolen
    cookie), and this browser gets a fresh one."""
    form = OwnPasswordForm()
    done = get_flashed_messages(category_filter=["done"])
    if request.method == "GET":
        return render_template("demos_account.html", form=form, done=done), 200
    if not form.validate():
        return render_template("demos_account.html", form=form, done=[]), 400
    svc = services()
    me = current_user.account
    try:  # the sign-in's own check: a stolen session cannot guess the password here either
        authenticate(me.email, form.current.data)
    except AccountError as error:
        wrong = error.code == "invalid_credentials"
        form.current.errors = ["That is not your current password." if wrong else error.message]
        return render_template("demos_account.html", form=form, done=[]), 400
    if form.password.data == form.current.data:  # would change nothing but end every other session
        form.password.errors = ["That is your current password; choose a new one."]
        return render_template("demos_account.html", form=form, done=[]), 400
    svc.accounts.set_password(me.id, form.password.data)  # ends every session, this one too
    session.clear()
    session.permanent = True
    login_user(StudioUser(SignedIn(svc.sessions.start(me.id), me)))
    log.info("account password changed id=%s by itself", me.id)
    return _done_to("Password changed; every other session of your account has ended.", "admin.account")

"""Studio accounts: who may sign in to the sales studio, with which role.

A rep signs in with email + password. Passwords are stored only as argon2id hashes (argon2-cffi,
RFC 9106 low-memory profile); a changed password or a disabled account ends every session of that
account (webcall/sessions.py). Two roles: `admin` manages reps (the admin page, `flask users`),
`rep` uses the studio. What each field may be, and the `AccountError` every refusal is, are in
webcall/account_fields.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    Row,
    String,
    Table,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .account_fields import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_PASSWORD,
    AccountError,
    check_email,
    check_name,
    check_password,
    check_role,
    normalize_email,
)
from .db import metadata
from .db import now as _now

# SQLite's INTEGER is signed 64-bit: a wider Python int cannot even be bound as a parameter.
_MIN_ID, _MAX_ID = -(2**63), 2**63 - 1

users = Table(
    "webcall_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(MAX_EMAIL), nullable=False, unique=True),  # lower-cased
    Column("name", String(MAX_NAME), nullable=False),
    Column("role", String(8), nullable=False),  # admin | rep
    Column("password_hash", String(255), nullable=False),  # argon2id, never the password
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    role: str
    disabled: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def make_hasher() -> PasswordHasher:
    """argon2-cffi's default: argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4)."""
    return PasswordHasher()


def _is_id(account_id: int) -> ColumnElement[bool]:
    """The condition picking account `account_id`. An id no INTEGER column can hold (one typed into an
    admin URL) is no account's: SQLite would raise OverflowError binding it, so it is never sent."""
    if _MIN_ID <= account_id <= _MAX_ID:
        return users.c.id == account_id
    return false()


def link_owner(db: Connection, owner: str | None) -> Row | None:
    """The account a share link's notices name: an enabled account whose email is the link's `owner`.
    One rule for the prospect's contact (webcall/link_contact.py) and the rep told of an ended link's
    open (webcall/notify.py); None for owners that are no account ("cli", "web") or a disabled one."""
    if not owner or "@" not in owner:
        return None
    where = users.c.email == normalize_email(owner), users.c.disabled.is_(False)
    return db.execute(select(users).where(*where)).first()


def _account(row: object) -> Account:
    return Account(row.id, row.email, row.name, row.role, bool(row.disabled), row.created_at)  # type: ignore[attr-defined]


class Accounts:
    """The accounts table. `on_password_or_disable(account_id)` is called after a password change
    or a disable, so that every session of that account ends (wired to Sessions.end_all)."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or make_hasher()
        self._dummy_hash: str | None = None
        self.on_password_or_disable: Callable[[int], None] = lambda _account_id: None

    # -- reading ---------------------------------------------------------------------------

    def any(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(users.c.id).limit(1)).first() is not None

    def get(self, account_id: int) -> Account | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(_is_id(account_id))).first()
        return None if row is None else _account(row)

    def by_email(self, email: str) -> Account | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.email == normalize_email(email))).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(users).order_by(users.c.role, users.c.email)).all()
        return [_account(row) for row in rows]

    # -- changing --------------------------------------------------------------------------

    def add(self, email: str, password: str, *, role: str = "rep", name: str = "") -> Account:
        email, name, role = check_email(email), check_name(name), check_role(role)
        password_hash = self.hasher.hash(check_password(password))
        now = _now()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(users).values(
                        email=email,
                        name=name,
                        role=role,
                        password_hash=password_hash,
                        disabled=False,
                        created_at=now,
                        password_changed_at=now,
                    )
                )
        except IntegrityError:
            taken = "There is already an account with this email."
            raise AccountError("email_taken", taken, "email") from None
        account = self.by_email(email)
        assert account is not None
        return account

    def set_password(self, account_id: int, password: str) -> None:
        password_hash = self.hasher.hash(check_password(password))
        self._update(account_id, password_hash=password_hash, password_changed_at=_now())
        self.on_password_or_disable(account_id)

    def set_disabled(self, account_id: int, disabled: bool) -> None:
        account = self._existing(account_id)
        if disabled and account.is_admin and not account.disabled:
            self._change_an_admin(account_id, disabled=True)
        else:
            self._update(account_id, disabled=disabled)
        if disabled:
            self.on_password_or_disable(account_id)

    def set_role(self, account_id: int, role: str) -> None:
        role = check_role(role)
        account = self._existing(account_id)
        if account.is_admin and role != "admin":
            self._change_an_admin(account_id, role=role)
        else:
            self._update(account_id, role=role)

    def _existing(self, account_id: int) -> Account:
        account = self.get(account_id)
        if account is None:
            raise AccountError("no_such_account", "There is no such account.")
        return account

    def _change_an_admin(self, account_id: int, **values: object) -> None:
        """Demote or disable an active admin, unless nobody could manage reps any more (short of the
        CLI). The change and the check are one transaction that admin changes take one at a time: two
        admins demoting each other at once must not both pass a check made before either change."""
        active_admin = (users.c.role == "admin", users.c.disabled.is_(False))
        with self.engine.begin() as connection:
            if connection.dialect.name != "sqlite":
                # PostgreSQL: wait for any other admin change in flight (its rows are locked till it ends).
                connection.execute(select(users.c.id).where(*active_admin).with_for_update())
            # SQLite: this first write of the transaction waits for the one writer, then reads afresh.
            connection.execute(update(users).where(_is_id(account_id)).values(**values))
            left = select(func.count()).select_from(users).where(*active_admin)
            if not connection.execute(left).scalar_one():
                raise AccountError("last_admin", "This is the last active admin; make another admin first.")

    def _update(self, account_id: int, **values: object) -> None:
        with self.engine.begin() as connection:
            result = connection.execute(update(users).where(_is_id(account_id)).values(**values))
        if result.rowcount == 0:
            raise AccountError("no_such_account", "There is no such account.")

    # -- passwords -------------------------------------------------------------------------

    def verify(self, email: str, password: str) -> Account | None:
        """The account when `password` is its password, else None. An unknown email is verified
        against a dummy hash made with the same parameters, so both take the same time."""
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.email == normalize_email(email))).first()
        stored = row.password_hash if row is not None else self._dummy()
        try:
            self.hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self.hasher.check_needs_rehash(stored):  # parameters raised since this hash was made
            self._update(row.id, password_hash=self.hasher.hash(password))
        return _account(row)

    def _dummy(self) -> str:
        # Made on first use: most app instances (and tests) never see an unknown email.
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    # -- the first admin -------------------------------------------------------------------

    def first_admin(self, email: str, password: str) -> Account | None:
        """Create the admin `email` with `password` when no account exists yet (the settings
        WEBCALL_SALES_ADMIN_EMAIL + WEBCALL_SALES_PASSWORD); afterwards they change nothing."""
        if self.any():
            return None
        try:
            return self.add(email, password, role="admin", name="")
        except AccountError as error:
            if error.code == "email_taken":  # another instance made it at the same moment
                return None
            raise

    def ensure_admin(self, email: str, password: str) -> Account:
        """The sandbox's ready admin (`make run`): created, or enabled with this run's password."""
        account = self.by_email(email)
        if account is None:
            return self.add(email, password, role="admin", name="Sandbox admin")
        self._update(account.id, role="admin", disabled=False)
        self.set_password(account.id, password)
        return account

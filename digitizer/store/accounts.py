"""Accounts of the office's web workspace: added, listed, disabled, and signed in with.

Clerks are not technical and share counters: the workspace asks each of them for a name
and a password so that every decision it records says who made it, as the terminal review
does with ``--clerk``. Passwords are kept only as argon2id hashes (argon2-cffi's defaults:
memory-hard, salted, the parameters inside the hash so they can be raised later). Adding
and disabling an account is an entry of the audit chain (``user_add``, ``user_disable``):
who may decide is part of what was decided.

A disabled account keeps its row: the audit trail names its decisions.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from digitizer.errors import DigitizerError
from digitizer.store import audit
from digitizer.store.models import Account, utcnow

log = logging.getLogger(__name__)

ROLES = ("clerk", "head", "admin")
ADD, DISABLE = "user_add", "user_disable"
MIN_PASSWORD = 8
MAX_PASSWORD = 256  # a hash of anything longer says nothing more, and costs more
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
# a hash to check against when the name is unknown, so that a wrong name takes as long as
# a wrong password (nobody learns which names exist from the time an answer takes)
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password of anyone")


class AccountError(DigitizerError):
    """An account that cannot be added or changed as asked (a name taken, a short
    password, an unknown role or name)."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in, and as what."""

    name: str
    role: str


def check_name(name: str) -> str:
    """A login name: 2–32 lower-case letters, digits, '.', '_' or '-' (no accents: typed on
    any keyboard, shown in the audit trail as it is)."""
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"'{name[:40]}' is not a user name: 2 to 32 lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def add(session: Session, name: str, role: str, password: str, *, by: str) -> Account:
    """A new account (audited); the caller commits."""
    check_name(name)
    if role not in ROLES:
        raise AccountError(f"'{role[:20]}' is no role: one of {', '.join(ROLES)}")
    check_password(password)
    if session.scalars(select(Account).where(Account.name == name)).first() is not None:
        raise AccountError(f"a user named '{name}' exists already")
    account = Account(name=name, role=role, password_hash=_HASHER.hash(password), created_by=by)
    session.add(account)
    session.flush()
    audit.append(session, actor=by, action=ADD, new_value=f"{name} ({role})")
    log.info("account %s added as %s", name, role)
    return account


def disable(session: Session, name: str, *, by: str) -> Account:
    """The account can no longer sign in (audited); the caller commits."""
    account = session.scalars(select(Account).where(Account.name == name)).first()
    if account is None:
        raise AccountError(f"no user named '{name[:40]}'")
    if account.disabled_at is None:
        account.disabled_at, account.disabled_by = utcnow(), by
        audit.append(session, actor=by, action=DISABLE, old_value=name)
        log.info("account %s disabled", name)
    return account


def listing(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.name)))


def sign_in(session: Session, name: str, password: str) -> SignedIn | None:
    """The account if ``password`` is its own and it is not disabled, else None — in the
    same time whichever of the three is wrong."""
    account = session.scalars(select(Account).where(Account.name == name)).first()
    stored = account.password_hash if account is not None else _DUMMY
    try:
        _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled_at is not None:
        return None
    if _HASHER.check_needs_rehash(stored):  # parameters raised since: keep up
        account.password_hash = _HASHER.hash(password)
    return SignedIn(account.name, account.role)

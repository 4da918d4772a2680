"""Users, password hashing (Argon2 via pwdlib), short-lived signed bearer tokens, roles."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import sqlalchemy as sa
from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, NotFound, RiskmapError
from backend.models import AppUser
from backend.models.audit import audit
from backend.models.people import USER_ROLES

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"
RANK = {"viewer": 0, "operator": 1, "admin": 2}
SIGN_IN_FIRST = "sign in first: POST /api/auth/token, then send Authorization: Bearer <token>"


class Unauthorized(RiskmapError):
    status = 401
    title = "Unauthorized"


class Forbidden(RiskmapError):
    status = 403
    title = "Forbidden"


class AccountDisabled(RiskmapError):
    """The right password of an account an admin disabled (said only to whoever knows it)."""

    status = 403
    title = "Account disabled"


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / ".secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def add_user(
    session: Session, username: str, password: str, role: str, actor: str = "cli", scope: str | None = None
) -> AppUser:
    if role not in USER_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(USER_ROLES)}")
    check_password(password)
    check_scope(session, scope)
    if session.scalar(sa.select(AppUser).where(AppUser.username == username)):
        raise Conflict(f"user {username!r} exists already")
    user = AppUser(
        username=username, password_hash=_hasher.hash(password), role=role, active=True, scope=scope
    )
    session.add(user)
    session.flush()
    after = {"username": username, "role": role, "scope": scope}
    audit(session, actor, "user.add", "app_user", user.id, None, after)
    return user


def check_scope(session: Session, scope: str | None) -> None:
    """A scope is a township's 12-digit code (None: the whole county)."""
    from backend.models import Township

    if scope and not session.scalar(sa.select(Township.id).where(Township.code == scope)):
        raise InvalidInput(f"scope: unknown township {scope}")


def check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("the password must have at least 8 characters")


def update_user(session: Session, username: str, changes: dict, actor: str) -> AppUser:
    """Change a user's role, activity or password (admins)."""
    user = session.scalar(sa.select(AppUser).where(AppUser.username == username).with_for_update())
    if user is None:
        raise NotFound(f"no user {username!r}")
    before = {"role": user.role, "active": user.active, "scope": user.scope}
    if "role" in changes:
        if changes["role"] not in USER_ROLES:
            raise InvalidInput(f"role must be one of {', '.join(USER_ROLES)}")
        user.role = changes["role"]
    if "active" in changes:
        user.active = bool(changes["active"])
    if "scope" in changes:
        check_scope(session, changes["scope"] or None)
        user.scope = changes["scope"] or None
    if changes.get("password"):
        check_password(changes["password"])
        user.password_hash = _hasher.hash(changes["password"])
    session.flush()
    after = {
        "role": user.role,
        "active": user.active,
        "scope": user.scope,
        "password_changed": bool(changes.get("password")),
    }
    audit(session, actor, "user.update", "app_user", user.id, before, after)
    return user


_dummy_hash: list[str] = []


def authenticate(session: Session, username: str, password: str) -> AppUser:
    """The user whose password this is; :class:`Unauthorized` otherwise. An unknown name costs
    the same hashing as a known one, so timing does not tell which names exist."""
    user = session.scalar(sa.select(AppUser).where(AppUser.username == username))
    if user is None:
        if not _dummy_hash:
            _dummy_hash.append(_hasher.hash(secrets.token_urlsafe(16)))
        _hasher.verify(password, _dummy_hash[0])
        raise Unauthorized("wrong username or password")
    if not _hasher.verify(password, user.password_hash):
        raise Unauthorized("wrong username or password")
    if not user.active:
        raise AccountDisabled("this account is disabled; ask an admin to enable it again")
    return user


def password_stamp(user: AppUser) -> str:
    """A short fingerprint of the user's password hash, carried in their tokens: a new password
    ends every token issued before it (the hash itself never leaves the database)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue_token(settings: Settings, user: AppUser, now: datetime | None = None) -> tuple[str, int]:
    now = now or datetime.now(UTC)
    ttl = settings.token_minutes * 60
    claims = {
        "sub": user.username,
        "role": user.role,  # informative only: every request takes the role from the database
        "pwd": password_stamp(user),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode(claims, secret_key(settings), algorithm=ALGORITHM), ttl


def token_claims(settings: Settings, token: str) -> dict:
    """The claims of a token signed by this service and not expired (HMAC checked by PyJWT in
    constant time); :class:`Unauthorized` otherwise. No database: cheap enough to run before a
    request's body is read (:class:`backend.auth.deps.BearerGate`)."""
    try:
        return jwt.decode(token, secret_key(settings), algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the token has expired; sign in again") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid token") from exc


def user_from_token(session: Session, settings: Settings, token: str) -> AppUser:
    """The user a token stands for, as the database has them now: a user deleted or disabled
    since the token was issued is refused, and a changed role applies at once (the role is read
    from the database, not from the token); a changed password ends the token."""
    claims = token_claims(settings, token)
    user = session.scalar(sa.select(AppUser).where(AppUser.username == claims.get("sub")))
    if user is None or not user.active:
        raise Unauthorized("unknown or disabled user")
    if not hmac.compare_digest(str(claims.get("pwd", "")), password_stamp(user)):
        raise Unauthorized("the password has changed since this token was issued; sign in again")
    return user


def has_role(user: AppUser | None, role: str) -> bool:
    """True for a signed-in user whose role is ``role`` or above it."""
    return user is not None and RANK[user.role] >= RANK[role]


def require(user: AppUser, role: str) -> None:
    if not has_role(user, role):
        raise Forbidden(f"this needs the {role} role; {user.username} is {user.role}")


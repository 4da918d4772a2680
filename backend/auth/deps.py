"""Dependencies shared by routers: the current user and role checks."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from backend.auth.service import SIGN_IN_FIRST, Unauthorized, require, user_from_token
from backend.http import get_session
from backend.models import AppUser

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
#: the sign-in token as an HttpOnly, SameSite=Strict cookie, for pages the browser opens itself
SESSION_COOKIE = "riskmap_session"


def current_user(
    request: Request, token: str | None = Depends(oauth2), session: Session = Depends(get_session)
) -> AppUser:
    if not token:
        raise Unauthorized(SIGN_IN_FIRST)
    return user_from_token(session, request.app.state.settings, token)


def optional_user(
    request: Request, token: str | None = Depends(oauth2), session: Session = Depends(get_session)
) -> AppUser | None:
    """The signed-in user, or None without a token (a bad token is still 401)."""
    if not token:
        return None
    return user_from_token(session, request.app.state.settings, token)


def operator(user: AppUser = Depends(current_user)) -> AppUser:
    require(user, "operator")
    return user


def admin(user: AppUser = Depends(current_user)) -> AppUser:
    require(user, "admin")
    return user


def page_user(
    request: Request, token: str | None = Depends(oauth2), session: Session = Depends(get_session)
) -> AppUser:
    """The signed-in user of a page view (the printable sheet, CSV downloads): the bearer header,
    or for GET and HEAD only the sign-in cookie. Requests that change something never read the
    cookie, so a page of another site cannot act with it (and SameSite=Strict keeps it home)."""
    if not token and request.method in ("GET", "HEAD"):
        token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("sign in first: POST /api/auth/token, then send Authorization: Bearer <token>")
    return user_from_token(session, request.app.state.settings, token)

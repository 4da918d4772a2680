"""Sign-in (POST /api/auth/token, the OAuth2 password flow answering a short-lived bearer token) and
the users admins manage (/api/users)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.deps import SESSION_COOKIE, admin, current_user
from backend.auth.service import Unauthorized, add_user, authenticate, issue_token, update_user
from backend.errors import TooManyRequests
from backend.http import get_session, problems
from backend.models import AppUser

router = APIRouter(tags=["auth"])


def client_address(request: Request) -> str:
    """The client's address (behind a reverse proxy: as uvicorn's --forwarded-allow-ips resolves it)."""
    return request.client.host if request.client else "unknown"


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds")
    role: str
    scope: str | None = Field(None, description="township code the user is limited to; none: the county")


class Me(BaseModel):
    username: str
    role: str
    scope: str | None = None


class UserView(BaseModel):
    username: str
    role: str
    active: bool
    scope: str | None = None
    created_at: datetime | None


@router.post(
    "/api/auth/token",
    summary="Exchange username and password for a bearer token",
    # 403: the account is disabled; 429: too many failed sign-ins for this name or address (Retry-After)
    responses=problems(401, 403, 429),
)
def token(
    request: Request,
    response: Response,
    form: OAuth2PasswordRequestForm = Depends(),
    session: Session = Depends(get_session),
) -> Token:
    guard = request.app.state.login_throttle
    address = client_address(request)
    wait = guard.retry_after(form.username, address)
    if wait:
        raise TooManyRequests(
            f"too many failed sign-ins; try again in {wait} s (or ask an admin to check the account)", wait
        )
    try:
        user = authenticate(session, form.username, form.password)
    except Unauthorized:
        guard.failure(form.username, address)
        raise
    guard.success(form.username)
    access, ttl = issue_token(request.app.state.settings, user)
    # the same token as an HttpOnly, SameSite=Strict cookie: pages the browser opens itself (the
    # printable sheet, CSV downloads) cannot send a bearer header; it is read for GET only
    # (backend.auth.deps.page_user), so it opens no way to change anything (no CSRF surface)
    response.set_cookie(
        SESSION_COOKIE,
        access,
        max_age=ttl,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "role": user.role,
        "scope": user.scope,
    }


@router.post("/api/auth/logout", status_code=204, summary="Forget the page-view cookie")
def logout(response: Response) -> Response:
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/auth/me", summary="Who the token belongs to", responses=problems(401))
def me(user: AppUser = Depends(current_user)) -> Me:
    return {"username": user.username, "role": user.role, "scope": user.scope}


Role = Literal["viewer", "operator", "admin"]
RecipientRole = Literal["county_duty", "township_leader", "village_head", "grid_worker", "monitor"]


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    scope: str | None = Field(None, pattern=r"^\d{12}$", description="township code; none: the county")


class UserChange(BaseModel):
    role: Role | None = None
    active: bool | None = None
    scope: str | None = Field(None, pattern=r"^(\d{12})?$", description="township code; '' clears it")
    password: str | None = Field(None, min_length=8, max_length=200)


def user_view(u: AppUser) -> dict:
    return {
        "username": u.username,
        "role": u.role,
        "active": u.active,
        "scope": u.scope,
        "created_at": u.created_at,
    }


@router.get("/api/users", summary="Users (admins)", responses=problems(401, 403))
def list_users(_: AppUser = Depends(admin), session: Session = Depends(get_session)) -> list[UserView]:
    return [user_view(u) for u in session.scalars(select(AppUser).order_by(AppUser.username))]


@router.post("/api/users", status_code=201, summary="Add a user (admins)", responses=problems(401, 403, 409))
def create_user(
    body: NewUser, user: AppUser = Depends(admin), session: Session = Depends(get_session)
) -> UserView:
    u = add_user(session, body.username, body.password, body.role, actor=user.username, scope=body.scope)
    session.commit()
    return user_view(u)


@router.patch(
    "/api/users/{username}",
    summary="Change a user's role, activity or password (admins)",
    responses=problems(401, 403, 404),
)
def change_user(
    body: UserChange,
    username: str = Path(max_length=64),
    user: AppUser = Depends(admin),
    session: Session = Depends(get_session),
) -> UserView:
    u = update_user(session, username, body.model_dump(exclude_none=True), actor=user.username)
    session.commit()
    return user_view(u)

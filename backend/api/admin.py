"""Users (admins) and responsible persons (operators read, admins change)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.deps import admin, operator
from backend.db import get_session
from backend.models import AppUser
from backend.services import people
from backend.services.auth import add_user, update_user

router = APIRouter(prefix="/api", tags=["admin"])

Role = Literal["viewer", "operator", "admin"]
RecipientRole = Literal["county_duty", "township_leader", "village_head", "grid_worker", "monitor"]


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role


class UserChange(BaseModel):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=200)


def user_view(u: AppUser) -> dict:
    return {"username": u.username, "role": u.role, "active": u.active, "created_at": u.created_at}


@router.get("/users", summary="Users (admins)")
def list_users(_: AppUser = Depends(admin), session: Session = Depends(get_session)) -> list[dict]:
    return [user_view(u) for u in session.scalars(select(AppUser).order_by(AppUser.username))]


@router.post("/users", status_code=201, summary="Add a user (admins)")
def create_user(
    body: NewUser, user: AppUser = Depends(admin), session: Session = Depends(get_session)
) -> dict:
    u = add_user(session, body.username, body.password, body.role, actor=user.username)
    session.commit()
    return user_view(u)


@router.patch("/users/{username}", summary="Change a user's role, activity or password (admins)")
def change_user(
    body: UserChange,
    username: str = Path(max_length=64),
    user: AppUser = Depends(admin),
    session: Session = Depends(get_session),
) -> dict:
    u = update_user(session, username, body.model_dump(exclude_none=True), actor=user.username)
    session.commit()
    return user_view(u)


class RecipientFields(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    role: RecipientRole | None = None
    title: str | None = Field(None, max_length=100)
    township_code: str | None = Field(None, pattern=r"^\d{12}$")
    village_code: str | None = Field(None, pattern=r"^\d{12}$")
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    active: bool | None = None


class NewRecipient(RecipientFields):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    role: RecipientRole


@router.get("/recipients", summary="Responsible persons (operators)")
def list_recipients(
    township: str | None = Query(None, pattern=r"^\d{12}$"),
    role: RecipientRole | None = None,
    _: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> list[dict]:
    return people.list_recipients(session, township, role)


@router.post("/recipients", status_code=201, summary="Add a responsible person (admins)")
def create_recipient(
    body: NewRecipient, user: AppUser = Depends(admin), session: Session = Depends(get_session)
) -> dict:
    values = body.model_dump(exclude_none=True)
    view = people.add_recipient(session, values.pop("code"), values, user.username)
    session.commit()
    return view


@router.patch("/recipients/{code}", summary="Change or retire (active=false) a responsible person (admins)")
def change_recipient(
    body: RecipientFields,
    code: str = Path(max_length=32),
    user: AppUser = Depends(admin),
    session: Session = Depends(get_session),
) -> dict:
    view = people.update_recipient(session, code, body.model_dump(exclude_unset=True), user.username)
    session.commit()
    return view

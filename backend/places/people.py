"""Responsible persons (责任人): listing, adding, changing, retiring (admins), audited."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import Recipient, Township, Village
from backend.models.audit import audit
from backend.models.people import RECIPIENT_ROLES

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("name", "role", "title", "township_code", "village_code", "phone", "email", "active")


def recipient_view(r: Recipient, towns: dict[int, str], villages: dict[int, tuple[str, int]]) -> dict:
    village = villages.get(r.village_id)
    township_id = r.township_id or (village[1] if village else None)
    return {
        "code": r.code,
        "name": r.name,
        "role": r.role,
        "title": r.title,
        "township_code": towns.get(township_id),
        "village_code": village[0] if village else None,
        "phone": r.phone,
        "email": r.email,
        "active": r.active,
    }


def lookups(session: Session) -> tuple[dict[int, str], dict[int, tuple[str, int]]]:
    towns = dict(session.execute(sa.select(Township.id, Township.code)).all())
    villages = {
        i: (c, t) for i, c, t in session.execute(sa.select(Village.id, Village.code, Village.township_id))
    }
    return towns, villages


def list_recipients(session: Session, township_code: str | None, role: str | None) -> list[dict]:
    stmt = sa.select(Recipient).order_by(Recipient.code)
    if role:
        stmt = stmt.where(Recipient.role == role)
    if township_code:
        town = session.scalar(sa.select(Township.id).where(Township.code == township_code))
        if town is None:
            raise NotFound(f"no township {township_code}")
        in_villages = sa.select(Village.id).where(Village.township_id == town)
        stmt = stmt.where(sa.or_(Recipient.township_id == town, Recipient.village_id.in_(in_villages)))
    towns, villages = lookups(session)
    return [recipient_view(r, towns, villages) for r in session.scalars(stmt)]


def apply(session: Session, r: Recipient, values: dict) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}")
    if "role" in values and values["role"] not in RECIPIENT_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(RECIPIENT_ROLES)}")
    if values.get("phone") and not PHONE.match(values["phone"]):
        raise InvalidInput(f"phone {values['phone']!r} is not a phone number")
    if values.get("email") and not EMAIL.match(values["email"]):
        raise InvalidInput(f"email {values['email']!r} is not an e-mail address")
    if "village_code" in values:
        code = values.pop("village_code")
        r.village_id = None
        if code:
            v = session.scalar(sa.select(Village).where(Village.code == code))
            if v is None:
                raise InvalidInput(f"village_code: unknown village {code}")
            r.village_id, r.township_id = v.id, v.township_id
    if "township_code" in values:
        code = values.pop("township_code")
        r.township_id = None
        if code:
            t = session.scalar(sa.select(Township.id).where(Township.code == code))
            if t is None:
                raise InvalidInput(f"township_code: unknown township {code}")
            r.township_id = t
    for key, value in values.items():
        setattr(r, key, value)
    if r.role == "township_leader" and r.township_id is None:
        raise InvalidInput("a township leader needs township_code")
    if r.role in ("village_head", "grid_worker", "monitor") and r.village_id is None:
        raise InvalidInput(f"a {r.role} needs village_code")
    if not (r.phone or r.email):
        raise InvalidInput("a responsible person needs a phone number or an e-mail address")


def add_recipient(session: Session, code: str, values: dict, actor: str) -> dict:
    if session.scalar(sa.select(Recipient.id).where(Recipient.code == code)):
        raise Conflict(f"recipient {code} exists already")
    r = Recipient(code=code, active=True)
    apply(session, r, dict(values))
    session.add(r)
    session.flush()
    towns, villages = lookups(session)
    view = recipient_view(r, towns, villages)
    audit(session, actor, "recipient.add", "recipient", r.id, None, view)
    return view


def update_recipient(session: Session, code: str, values: dict, actor: str) -> dict:
    r = session.scalar(sa.select(Recipient).where(Recipient.code == code).with_for_update())
    if r is None:
        raise NotFound(f"no recipient {code}")
    towns, villages = lookups(session)
    before = recipient_view(r, towns, villages)
    apply(session, r, dict(values))
    session.flush()
    after = recipient_view(r, towns, villages)
    audit(session, actor, "recipient.update", "recipient", r.id, before, after)
    return after

"""People: responsible persons who receive warnings, and users of the service."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, in_list

RECIPIENT_ROLES = ("county_duty", "township_leader", "village_head", "grid_worker", "monitor")
USER_ROLES = ("viewer", "operator", "admin")


class Recipient(Base):
    """责任人: a person responsible for a township or village who must acknowledge warnings."""

    __tablename__ = "recipient"
    __table_args__ = (
        in_list("role", RECIPIENT_ROLES),
        sa.CheckConstraint(
            "phone IS NOT NULL OR email IS NOT NULL OR role = 'county_duty'", name="reachable"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.String(32))
    #: 职务, e.g. 村党支部书记
    title: Mapped[str | None] = mapped_column(sa.Text)
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.Text)
    #: inactive recipients keep their history but receive nothing
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())


class AppUser(Base):
    __tablename__ = "app_user"
    __table_args__ = (
        in_list("role", USER_ROLES),
        sa.CheckConstraint("scope ~ '^[0-9]{12}$'", name="scope_12_digits"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    #: the township (code) the user works for; None: the whole county (migration 0009)
    scope: Mapped[str | None] = mapped_column(sa.String(12))
    created_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())

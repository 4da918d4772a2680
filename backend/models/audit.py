from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.models.base import Base


class AuditLog(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    actor: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.Text)
    entity: Mapped[str] = mapped_column(sa.Text)
    entity_id: Mapped[str | None] = mapped_column(sa.Text)
    at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
    before = mapped_column(JSONB)
    after = mapped_column(JSONB)


def audit(session: Session, actor: str, action: str, entity: str, entity_id, before, after) -> None:
    """Record a state change (in the caller's transaction)."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=json.loads(json.dumps(before, default=str)) if before is not None else None,
            after=json.loads(json.dumps(after, default=str)) if after is not None else None,
        )
    )

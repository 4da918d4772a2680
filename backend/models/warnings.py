"""Warnings (CAP messages), their townships, deliveries to recipients and the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import HAZARDS, Base, in_list, level_check

WARNING_STATUSES = ("draft", "issued", "updated", "cancelled", "expired")
CHANNELS = ("email", "sms", "webhook", "broadcast")
DELIVERY_STATUSES = ("pending", "sent", "delivered", "failed", "acknowledged")
#: failed: refused for good by the channel; dead: retries exhausted; skipped: no longer needed
OUTBOX_STATUSES = ("pending", "sent", "failed", "dead", "skipped")
OUTBOX_KINDS = ("alert", "resend", "escalation", "cancel_notice")


class Warning(Base):  # noqa: A001 - the domain's word
    __tablename__ = "warning"
    __table_args__ = (
        in_list("status", WARNING_STATUSES),
        in_list("hazard", HAZARDS),
        level_check(low=1),
        sa.CheckConstraint("expires > onset", name="expires_after_onset"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(sa.String(128), unique=True)
    hazard: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    msg_type: Mapped[str] = mapped_column(sa.String(16), default="Alert")
    headline: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    instruction: Mapped[str | None] = mapped_column(sa.Text)
    onset = mapped_column(sa.DateTime(timezone=True), nullable=False)
    expires = mapped_column(sa.DateTime(timezone=True), nullable=False)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_run.id"), index=True)
    references_id: Mapped[int | None] = mapped_column(sa.ForeignKey("warning.id"), index=True)
    issued_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    issued_at = mapped_column(sa.DateTime(timezone=True))
    updated_at = mapped_column(sa.DateTime(timezone=True))
    cancelled_at = mapped_column(sa.DateTime(timezone=True))


class WarningTownship(Base):
    __tablename__ = "warning_township"
    warning_id: Mapped[int] = mapped_column(sa.ForeignKey("warning.id", ondelete="CASCADE"), primary_key=True)
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"), primary_key=True)


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        in_list("channel", CHANNELS),
        in_list("status", DELIVERY_STATUSES),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        sa.UniqueConstraint("warning_id", "recipient_id", "channel"),
        sa.Index("ix_delivery_warning_status", "warning_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(sa.ForeignKey("warning.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recipient.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: sha256 of the acknowledgement token; the token itself is never stored
    ack_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    sent_at = mapped_column(sa.DateTime(timezone=True))
    delivered_at = mapped_column(sa.DateTime(timezone=True))
    acked_at = mapped_column(sa.DateTime(timezone=True))
    escalated_at = mapped_column(sa.DateTime(timezone=True))
    #: when the unacknowledged message was sent again at its deadline
    resent_at = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: "page" (the mobile page's button) or "api"
    acked_via: Mapped[str | None] = mapped_column(sa.String(16))


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        in_list("status", OUTBOX_STATUSES),
        in_list("kind", OUTBOX_KINDS),
        sa.CheckConstraint("attempts >= 0", name="attempts_nonneg"),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    payload = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    sent_at = mapped_column(sa.DateTime(timezone=True))
    warning_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("warning.id", ondelete="CASCADE"), index=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delivery.id", ondelete="CASCADE"), index=True
    )
    #: the procrastinate job that sends it
    job_id: Mapped[int | None] = mapped_column(sa.BigInteger)

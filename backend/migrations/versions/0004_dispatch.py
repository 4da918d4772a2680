"""Dispatch: procrastinate's job queue, outbox links, delivery resend/ack details, recipient activity

The outbox rows are written in the same transaction as the warning they announce, and so are
the procrastinate jobs that send them (procrastinate defers on our connection), so a warning
is either issued with every message queued, or not issued at all.

The procrastinate schema is the one shipped by the pinned procrastinate release
(``SchemaManager.get_schema()``); a later procrastinate upgrade brings its own migration files,
which a new revision here must apply.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the schema file holds functions with $$ bodies and % signs: run it as the driver's
    # simple query, on the migration's own connection and transaction
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())

    op.add_column("recipient", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("delivery", sa.Column("resent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("delivery", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("delivery", sa.Column("acked_via", sa.String(16), nullable=True))
    op.create_index("ix_delivery_warning_status", "delivery", ["warning_id", "status"])

    op.add_column("outbox", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("warning_id", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("delivery_id", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("job_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_outbox_warning_id_warning"), "outbox", "warning", ["warning_id"], ["id"], ondelete="CASCADE"
    )
    op.create_foreign_key(
        op.f("fk_outbox_delivery_id_delivery"),
        "outbox",
        "delivery",
        ["delivery_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_outbox_warning_id"), "outbox", ["warning_id"])
    op.create_index(op.f("ix_outbox_delivery_id"), "outbox", ["delivery_id"])
    op.drop_constraint(op.f("ck_outbox_status_known"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status_known"),
        "outbox",
        "status IN ('pending', 'sent', 'failed', 'dead', 'skipped')",
    )
    op.create_check_constraint(
        op.f("ck_outbox_kind_known"),
        "outbox",
        "kind IN ('alert', 'resend', 'escalation', 'cancel_notice')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_outbox_kind_known"), "outbox", type_="check")
    op.drop_constraint(op.f("ck_outbox_status_known"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status_known"), "outbox", "status IN ('pending', 'sent', 'failed', 'dead')"
    )
    op.drop_index(op.f("ix_outbox_delivery_id"), "outbox")
    op.drop_index(op.f("ix_outbox_warning_id"), "outbox")
    op.drop_constraint(op.f("fk_outbox_delivery_id_delivery"), "outbox", type_="foreignkey")
    op.drop_constraint(op.f("fk_outbox_warning_id_warning"), "outbox", type_="foreignkey")
    for column in ("job_id", "delivery_id", "warning_id", "sent_at"):
        op.drop_column("outbox", column)
    op.drop_index("ix_delivery_warning_status", "delivery")
    for column in ("acked_via", "last_error", "resent_at"):
        op.drop_column("delivery", column)
    op.drop_column("recipient", "active")
    op.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT tablename FROM pg_tables
                   WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
            EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
          END LOOP;
          FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP
            EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.sig);
          END LOOP;
          FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c')
          LOOP
            EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
          END LOOP;
        END $$;
        """
    )

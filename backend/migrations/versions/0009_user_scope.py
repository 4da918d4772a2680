"""Users' scope: the township (12-digit code) a user works for; NULL is the whole county

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("scope", sa.String(12), nullable=True))
    op.create_check_constraint("ck_app_user_scope_12_digits", "app_user", "scope ~ '^[0-9]{12}$'")


def downgrade() -> None:
    op.drop_constraint("ck_app_user_scope_12_digits", "app_user", type_="check")
    op.drop_column("app_user", "scope")

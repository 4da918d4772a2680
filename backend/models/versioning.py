from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class DataVersion(Base):
    """A change counter per table, bumped by a statement trigger on every write (migration 0002).
    Caches of live data (vector tiles) key on it."""

    __tablename__ = "data_version"
    table_name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    changed_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)

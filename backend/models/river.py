from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, geometry, gist, in_list, mercator


class River(Base):
    """Rivers, for the base map (loaded with the sample county)."""

    __tablename__ = "river"
    __table_args__ = (in_list("kind", ("main", "tributary")), gist("river", "geom_3857"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str | None] = mapped_column(sa.Text)
    geom = mapped_column(geometry("MULTILINESTRING"), nullable=False)
    geom_3857 = mapped_column(
        mercator("MULTILINESTRING"), sa.Computed("ST_Transform(geom, 3857)", persisted=True)
    )

"""The county itself: its boundary (县界), code and name, as the county's own boundary file has them.

Imported with ``riskmap import county FILE`` (and loaded with the sample county). Points and
townships are checked against it: a village outside the county boundary is refused, and townships
that leave part of it uncovered are reported as gaps.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, geometry, gist, valid_geom
from backend.models.places import CODE12


class County(Base):
    __tablename__ = "county"
    __table_args__ = (
        sa.CheckConstraint(f"code ~ '{CODE12}'", name="code_12_digits"),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="population_nonneg"),
        valid_geom(),
        gist("county"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the 6-digit county code padded to 12 digits (e.g. 360799000000)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    population: Mapped[int | None] = mapped_column(sa.Integer)
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)

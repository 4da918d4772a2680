from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import DeclarativeBase

SRID = 4326
HAZARDS = ("onemap", "rain", "fire", "geohazard")
#: the largest PostgreSQL ``integer`` (``serial`` ids, counts such as occupancy) and ``bigint``
#: (road ids): a number beyond the column's range is refused at the edge, never sent to SQL
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: sa.DateTime(timezone=True)}


def geometry(kind: str) -> Geometry:
    """A geometry column in storage SRID; its GiST index is declared explicitly by the table."""
    return Geometry(kind, srid=SRID, spatial_index=False)


def mercator(kind: str) -> Geometry:
    """The generated EPSG:3857 copy of ``geom`` that vector tiles are cut from (migration 0002)."""
    return Geometry(kind, srid=3857, spatial_index=False)


def gist(table: str, column: str = "geom") -> sa.Index:
    return sa.Index(f"ix_{table}_{column}_gist", column, postgresql_using="gist")


def valid_geom(column: str = "geom") -> sa.CheckConstraint:
    return sa.CheckConstraint(f"ST_IsValid({column})", name=f"{column}_valid")


def in_list(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


def level_check(column: str = "level", low: int = 0) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} BETWEEN {low} AND 4", name=f"{column}_range")

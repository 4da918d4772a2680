"""Every import kind, in one table: ``riskmap import KIND``, ``POST /api/import/{kind}`` and the
templates all come from here. A new kind (flood indicators, vulnerable sites, teams, vehicles,
depots …) is a :class:`backend.imports.spec.Kind` in a module of its own, added below."""

from __future__ import annotations

from backend.imports.areas import COUNTY, TOWNSHIPS
from backend.imports.people import RECIPIENTS
from backend.imports.places import HAZARD_SITES, SHELTERS, VILLAGES
from backend.imports.roads import ROADS
from backend.imports.spec import ImportUsageError, Kind

#: in the order a county is best imported (each may refer to the ones before it)
KINDS: dict[str, Kind] = {
    k.name: k for k in (COUNTY, TOWNSHIPS, VILLAGES, SHELTERS, HAZARD_SITES, RECIPIENTS, ROADS)
}


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise ImportUsageError(f"unknown kind {name!r}; one of {', '.join(KINDS)}")
    return kind

"""SQLAlchemy 2 + GeoAlchemy2 tables, one module per aggregate.

Storage is EPSG:4326; metric work happens in a projected CRS (see ``backend.geo``).
Levels are integers 0 (none) .. 4 (red) everywhere.
"""

from backend.models.audit import AuditLog
from backend.models.base import Base
from backend.models.county import County
from backend.models.evacuation import EvacuationAssignment, EvacuationPlan
from backend.models.flood import FloodIndicator, VillageFloodRisk
from backend.models.people import AppUser, Recipient
from backend.models.places import HazardSite, Road, Shelter, Township, Village
from backend.models.river import River
from backend.models.runs import RiskRun, RiskZone, RiskZonePart, TownshipRisk
from backend.models.versioning import DataVersion
from backend.models.warnings import Delivery, Outbox, Warning, WarningTownship

__all__ = [
    "AppUser",
    "AuditLog",
    "Base",
    "County",
    "DataVersion",
    "Delivery",
    "EvacuationAssignment",
    "EvacuationPlan",
    "FloodIndicator",
    "HazardSite",
    "Outbox",
    "Recipient",
    "River",
    "RiskRun",
    "RiskZone",
    "RiskZonePart",
    "Road",
    "Shelter",
    "Township",
    "TownshipRisk",
    "Village",
    "VillageFloodRisk",
    "Warning",
    "WarningTownship",
]

"""OASIS Common Alerting Protocol 1.2 messages for graded warnings (CPEAS publishes CAP too).

Pure: plain values in, XML bytes out. Levels map to CAP severity and urgency from one table;
datetimes carry an explicit +08:00 offset; polygons are closed rings of ≥ 4 "lat,lon" pairs;
Update and Cancel messages reference the messages they replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import shapely

from pipelines.levels import HAZARD_ZH, LEVELS

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
BEIJING = timezone(timedelta(hours=8))
MSG_TYPES = ("Alert", "Update", "Cancel")
CATEGORY = {"rain": "Met", "fire": "Fire", "geohazard": "Geo", "onemap": "Safety"}
EVENT_EN = {
    "rain": "Rainstorm",
    "fire": "Forest fire danger",
    "geohazard": "Geological hazard",
    "onemap": "Multi-hazard risk",
}
URGENCY = {4: "Immediate", 3: "Immediate", 2: "Expected", 1: "Future"}
RESPONSE = {4: "Evacuate", 3: "Prepare", 2: "Prepare", 1: "Monitor"}


@dataclass(frozen=True)
class Reference:
    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True)
class Area:
    description: str  # areaDesc, e.g. the township name
    geometry: shapely.Geometry | None  # (Multi)Polygon in lon/lat
    geocode: str | None = None  # 12-digit administrative code


@dataclass(frozen=True)
class Text:
    language: str  # zh-CN, en
    headline: str
    description: str
    instruction: str


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str  # Alert / Update / Cancel
    hazard: str
    level: int  # 1 blue … 4 red
    effective: datetime
    onset: datetime
    expires: datetime
    texts: tuple[Text, ...]
    areas: tuple[Area, ...]
    references: tuple[Reference, ...] = ()
    status: str = "Actual"
    scope: str = "Public"
    certainty: str = "Likely"
    web: str | None = None
    extra_params: dict[str, str] = field(default_factory=dict)


#: characters XML 1.0 cannot carry (C0 controls but tab, newline, return; lone surrogates; U+FFFE/F)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text as XML can hold it: characters XML 1.0 forbids are dropped (a message always parses)."""
    return NOT_XML.sub("", str(value))


def cap_time(t: datetime) -> str:
    """CAP dateTime: seconds precision with an explicit offset (Beijing time, +08:00)."""
    if t.tzinfo is None:
        raise ValueError("CAP times must be timezone-aware")
    return t.astimezone(BEIJING).replace(microsecond=0).isoformat()


def cap_polygons(geom: shapely.Geometry, max_points: int = 200) -> list[str]:
    """Polygons as CAP strings: "lat,lon" pairs, closed, ≥ 4 points, simplified to ≤ max_points."""
    out = []
    tolerance = 0.0
    for part in shapely.get_parts(geom):
        ring = part.exterior
        while len(ring.coords) > max_points:
            tolerance = tolerance * 2 or 0.0005
            ring = shapely.simplify(part, tolerance, preserve_topology=True).exterior
        coords = list(ring.coords)
        if coords[0] != coords[-1]:
            coords.append(coords[0])
        if len(coords) >= 4:
            out.append(" ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in coords))
    return out


def build_cap(alert: CapAlert) -> bytes:
    """The alert as CAP 1.2 XML (UTF-8)."""
    if alert.msg_type not in MSG_TYPES:
        raise ValueError(f"msgType must be one of {MSG_TYPES}")
    if alert.msg_type != "Alert" and not alert.references:
        raise ValueError(f"a {alert.msg_type} must reference the message(s) it replaces")
    if alert.level not in (1, 2, 3, 4):
        raise ValueError("level must be 1..4")
    ET.register_namespace("", CAP_NS)

    def sub(parent, tag, text=None):
        el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            el.text = xml_text(text)
        return el

    root = ET.Element(f"{{{CAP_NS}}}alert")
    sub(root, "identifier", alert.identifier)
    sub(root, "sender", alert.sender)
    sub(root, "sent", cap_time(alert.sent))
    sub(root, "status", alert.status)
    sub(root, "msgType", alert.msg_type)
    sub(root, "scope", alert.scope)
    if alert.references:
        sub(
            root,
            "references",
            " ".join(f"{r.sender},{r.identifier},{cap_time(r.sent)}" for r in alert.references),
        )
    lv = LEVELS[alert.level]
    for text in alert.texts:
        info = sub(root, "info")
        sub(info, "language", text.language)
        sub(info, "category", CATEGORY[alert.hazard])
        zh = text.language.startswith("zh")
        event = (
            f"{HAZARD_ZH[alert.hazard]}{lv.zh}色预警"
            if zh
            else f"{EVENT_EN[alert.hazard]} {lv.colour} warning"
        )
        sub(info, "event", event)
        sub(info, "responseType", "AllClear" if alert.msg_type == "Cancel" else RESPONSE[alert.level])
        sub(info, "urgency", "Past" if alert.msg_type == "Cancel" else URGENCY[alert.level])
        sub(info, "severity", lv.cap_severity)
        sub(info, "certainty", alert.certainty)
        code = sub(info, "eventCode")
        sub(code, "valueName", "riskmap:level")
        sub(code, "value", f"{lv.colour}/{lv.roman}")
        sub(info, "effective", cap_time(alert.effective))
        sub(info, "onset", cap_time(alert.onset))
        sub(info, "expires", cap_time(alert.expires))
        sub(info, "senderName", alert.sender)
        sub(info, "headline", text.headline)
        sub(info, "description", text.description)
        sub(info, "instruction", text.instruction)
        if alert.web:
            sub(info, "web", alert.web)
        for name, value in alert.extra_params.items():
            p = sub(info, "parameter")
            sub(p, "valueName", name)
            sub(p, "value", value)
        for area in alert.areas:
            a = sub(info, "area")
            sub(a, "areaDesc", area.description)
            if area.geometry is not None:
                for poly in cap_polygons(area.geometry):
                    sub(a, "polygon", poly)
            if area.geocode:
                g = sub(a, "geocode")
                sub(g, "valueName", "GB/T 2260-2007 + township code")
                sub(g, "value", area.geocode)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

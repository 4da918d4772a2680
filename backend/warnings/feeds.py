"""A warning as OASIS CAP 1.2 (with the chain of messages it supersedes), and the Atom feed of
active alerts."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

import shapely
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.models import Township, Warning, WarningTownship
from backend.warnings import cap
from backend.warnings.reading import townships_of
from backend.warnings.texts import EVENT_EN, WORDING, headline_en
from pipelines.levels import HAZARD_ZH, LEVELS


def chain_references(session: Session, w: Warning, sender: str) -> tuple[cap.Reference, ...]:
    """Every earlier message of the chain, oldest first (CAP: all messages this one supersedes)."""
    refs = []
    ref_id = w.references_id
    while ref_id is not None:
        r = session.get(Warning, ref_id)
        refs.append(cap.Reference(sender, r.identifier, r.issued_at or r.created_at))
        ref_id = r.references_id
    return tuple(reversed(refs))


def cap_document(session: Session, settings: Settings, w: Warning, base_url: str) -> bytes:
    towns = session.execute(
        sa.select(Township.code, Township.name, Township.geom)
        .join(WarningTownship, WarningTownship.township_id == Township.id)
        .where(WarningTownship.warning_id == w.id)
        .order_by(Township.code)
    ).all()
    wording = WORDING[w.hazard][w.level]
    sent = w.issued_at or w.created_at
    english = cap.Text(
        "en",
        ("Cancelled: " if w.msg_type == "Cancel" else "") + headline_en(w.hazard, w.level, len(towns)),
        ("The warning is lifted. " if w.msg_type == "Cancel" else "") + wording.meaning_en,
        "Return only when your village confirms it is safe."
        if w.msg_type == "Cancel"
        else wording.instruction_en,
    )
    alert = cap.CapAlert(
        identifier=w.identifier,
        sender=settings.cap_sender,
        sent=sent,
        msg_type=w.msg_type,
        hazard=w.hazard,
        level=w.level,
        effective=sent,
        onset=w.onset,
        expires=w.expires,
        texts=(cap.Text("zh-CN", w.headline, w.description or "", w.instruction or ""), english),
        areas=tuple(cap.Area(name, shapely.make_valid(to_shape(geom)), code) for code, name, geom in towns),
        references=chain_references(session, w, settings.cap_sender),
        status="Draft" if w.status == "draft" else "Actual",
        web=f"{base_url.rstrip('/')}/#warning={w.id}",
        extra_params={"riskmap:warning_id": str(w.id), "riskmap:event_en": EVENT_EN[w.hazard]},
    )
    return cap.build_cap(alert)


ATOM = "http://www.w3.org/2005/Atom"


def feed_entries(session: Session, now: datetime) -> list[Warning]:
    """Active alerts and updates, and cancellations of warnings that would still be running."""
    return list(
        session.scalars(
            sa.select(Warning)
            .where(
                Warning.expires > now,
                sa.or_(
                    Warning.status == "issued",
                    sa.and_(Warning.status == "cancelled", Warning.msg_type == "Cancel"),
                ),
            )
            .order_by(Warning.issued_at.desc())
        )
    )


def atom_feed(session: Session, settings: Settings, now: datetime, base_url: str) -> bytes:
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = cap.xml_text(text)
        return el

    entries = feed_entries(session, now)
    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", f"{base}/api/warnings/feed.atom")
    sub(root, "title", f"{settings.issuer_name} 预警信息 (CAP 1.2)")
    sub(root, "updated", cap.cap_time(max([e.issued_at for e in entries], default=now)))
    sub(root, "link", rel="self", href=f"{base}/api/warnings/feed.atom", type="application/atom+xml")
    author = sub(root, "author")
    sub(author, "name", settings.issuer_name)
    towns = townships_of(session, [e.id for e in entries])
    for w in entries:
        e = sub(root, "entry")
        sub(e, "id", w.identifier)
        sub(e, "title", w.headline)
        sub(e, "updated", cap.cap_time(w.issued_at))
        sub(e, "published", cap.cap_time(w.issued_at))
        sub(e, "summary", f"{w.msg_type}: {w.description or ''}")
        sub(e, "category", term=w.hazard, label=HAZARD_ZH[w.hazard])
        sub(
            e,
            "category",
            term=LEVELS[w.level].colour,
            label=f"{LEVELS[w.level].zh}色 {LEVELS[w.level].roman}",
        )
        for t in towns[w.id]:
            sub(e, "category", term=t.code, label=t.name, scheme="urn:riskmap:township")
        sub(e, "link", rel="alternate", type="application/cap+xml", href=f"{base}/api/warnings/{w.id}/cap")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

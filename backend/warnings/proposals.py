"""Proposals from a run: one draft per township and hazard at or above a level, worded from the
templates (:mod:`backend.warnings.texts`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import AppUser, RiskRun, Township, TownshipRisk, Warning, WarningTownship
from backend.runs.service import township_flood_villages
from backend.warnings.lifecycle import DraftInput, create_draft
from backend.warnings.texts import default_description
from pipelines.levels import HAZARDS, LEVELS


def propose_from_run(
    session: Session, settings: Settings, run_id: int, min_level: int, actor: AppUser, now: datetime
) -> dict:
    """One draft per township and hazard at or above ``min_level`` in the run, worded from the
    templates, valid for the run's window (or ``default_validity_h`` from now when it is over).
    A township and hazard that already has a draft or an active warning is skipped."""
    if min_level not in (1, 2, 3, 4):
        raise InvalidInput(f"min_level must be 1 (blue) … 4 (red); got {min_level}")
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    if run.status != "published":
        raise Conflict(f"run {run_id} is {run.status}; proposals need a published run")
    onset = max(run.valid_from, now) if run.valid_from else now
    expires = run.valid_to if run.valid_to and run.valid_to > onset + timedelta(hours=1) else None
    expires = expires or onset + timedelta(hours=settings.default_validity_h)
    taken = {
        (tid, hz)
        for tid, hz in session.execute(
            sa.select(WarningTownship.township_id, Warning.hazard)
            .join(Warning, Warning.id == WarningTownship.warning_id)
            .where(
                sa.or_(Warning.status == "draft", sa.and_(Warning.status == "issued", Warning.expires > now))
            )
        )
    }
    rows = session.execute(
        sa.select(TownshipRisk, Township)
        .join(Township, Township.id == TownshipRisk.township_id)
        .where(
            TownshipRisk.run_id == run_id,
            TownshipRisk.hazard.in_(HAZARDS),
            TownshipRisk.level >= min_level,
        )
        .order_by(TownshipRisk.level.desc(), Township.code, TownshipRisk.hazard)
    ).all()
    flood_villages = township_flood_villages(session, run_id)
    created, skipped = [], []
    for tr, town in rows:
        if (town.id, tr.hazard) in taken:
            skipped.append(
                {"township": town.code, "hazard": tr.hazard, "reason": "a draft or active warning exists"}
            )
            continue
        share = sum(getattr(tr, f"area_share_{k}") for k in range(tr.level, 5))
        exposed = sum(getattr(tr, f"exposed_{k}") for k in range(tr.level, 5))
        detail = (
            f"据风险研判（第{run.id}次计算），{town.name}约{share:.0%}的面积达{LEVELS[tr.level].zh}色及以上，"
            f"涉及人口约{exposed:,}人。"
        )
        if tr.hazard == "rain" and flood_villages.get(town.code):
            detail += flood_sentence(flood_villages[town.code], now)
        w = create_draft(
            session,
            settings,
            DraftInput(
                hazard=tr.hazard,
                level=tr.level,
                township_codes=[town.code],
                description=default_description(tr.hazard, tr.level, [town.name], detail),
                onset=onset,
                expires=expires,
                run_id=run.id,
            ),
            actor,
            now,
        )
        created.append(w)
    return {"created": created, "skipped": skipped}


BEIJING = ZoneInfo("Asia/Shanghai")
STAGE_ZH = {"move": "立即转移", "prepare": "准备转移"}


def flood_sentence(villages: list[dict], now: datetime, limit: int = 10) -> str:
    """The villages reaching their flash-flood indicators (山洪灾害预警指标), most urgent first, in
    Beijing time: "山洪灾害预警指标：甲村预计10月26日14时达立即转移指标（3小时雨量80毫米）；…"
    ("已于" for a time already past)."""
    parts = []
    for v in villages[:limit]:
        stage = "move" if v["move"] else "prepare"
        s = v[stage]
        at = s["at"].astimezone(BEIJING)
        when = "已于" if s["at"] <= now else "预计"
        parts.append(
            f"{v['name']}{when}{at.month}月{at.day}日{at.hour}时达{STAGE_ZH[stage]}指标"
            f"（{s['hours']}小时雨量{s['mm']:g}毫米）"
        )
    more = f"等{len(villages)}个村" if len(villages) > limit else ""
    return f"山洪灾害预警指标：{'；'.join(parts)}{more}。"

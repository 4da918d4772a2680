"""Warnings: proposals and drafts (operators), issue / update / cancel (operators), reading (anyone
for issued messages, operators for drafts), deliveries (signed-in users), CAP 1.2 and the Atom feed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from backend.auth.deps import current_user, operator, optional_user, page_user
from backend.auth.privacy import contacts_for
from backend.auth.service import Unauthorized, has_role, require
from backend.errors import InvalidInput
from backend.http import get_session, id_path, id_query, problems
from backend.i18n import LANG_COOKIE, pick_language
from backend.models import AppUser
from backend.models.base import INT_MAX
from backend.warnings import feeds, proposals, reading
from backend.warnings import lifecycle as svc
from backend.warnings.acks import deliveries_report
from backend.warnings.ledger import ledger_csv
from pipelines.levels import LEVELS

router = APIRouter(prefix="/api/warnings", tags=["warnings"])

Hazard = Literal["rain", "geohazard", "fire"]
COLOURS = {lv.colour: lv.value for lv in LEVELS.values() if lv.value}


def clock(request: Request) -> datetime:
    return request.app.state.clock()


#: 12-digit administrative codes of townships (at least one)
TownshipCodes = list[Annotated[str, Field(pattern=r"^\d{12}$")]]


class DraftBody(BaseModel):
    hazard: Hazard
    level: int = Field(ge=1, le=4, description="1 blue, 2 yellow, 3 orange, 4 red")
    township_codes: TownshipCodes = Field(min_length=1, max_length=500)
    headline: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    instruction: str | None = Field(None, max_length=4000)
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    run_id: int | None = Field(None, ge=1, le=INT_MAX)


class EditBody(BaseModel):
    hazard: Hazard | None = None
    level: int | None = Field(None, ge=1, le=4)
    township_codes: TownshipCodes | None = Field(None, min_length=1, max_length=500)
    headline: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    instruction: str | None = Field(None, max_length=4000)
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None


class UpdateBody(BaseModel):
    level: int | None = Field(None, ge=1, le=4)
    township_codes: TownshipCodes | None = Field(None, min_length=1, max_length=500)
    headline: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    instruction: str | None = Field(None, max_length=4000)
    onset: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    reason: str | None = Field(None, max_length=500, description="why (added to the description)")


class CancelBody(BaseModel):
    reason: str | None = Field(None, max_length=500)


def parse_level(value: str) -> int:
    if value in COLOURS:
        return COLOURS[value]
    if value.isdigit() and int(value) in LEVELS and int(value) > 0:
        return int(value)
    raise InvalidInput(f"min_level must be 1–4 or one of {', '.join(COLOURS)}; got {value!r}")


def base_url(request: Request) -> str:
    return str(request.base_url)


@router.get("", summary="Warnings, newest first; drafts only for operators", responses=problems(401, 403))
def list_warnings(
    request: Request,
    status: Literal["draft", "issued", "updated", "cancelled", "expired"] | None = None,
    active: bool | None = None,
    limit: int = Query(200, ge=1, le=1000),
    user: AppUser | None = Depends(optional_user),
    session: Session = Depends(get_session),
) -> list[dict]:
    now = clock(request)
    if status == "draft":
        require_operator(user)
    rows = reading.list_warnings(session, now, status, active, limit)
    if not has_role(user, "operator"):
        rows = [w for w in rows if w.status != "draft"]
    return reading.views(session, rows, now)


def require_operator(user: AppUser | None) -> None:
    if user is None:
        raise Unauthorized("drafts are for operators: sign in first")
    require(user, "operator")


@router.get(
    "/feed.atom",
    summary="Atom feed of active alerts, each linking its CAP 1.2 message",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed(request: Request, session: Session = Depends(get_session)) -> Response:
    body = feeds.atom_feed(session, request.app.state.settings, clock(request), base_url(request))
    return Response(
        body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "max-age=30"}
    )


@router.post(
    "",
    status_code=201,
    summary="Draft a warning, or propose drafts from a run (?from_run=ID)",
    responses=problems(401, 403, 404, 409),
)
def create(
    request: Request,
    from_run: int | None = id_query("propose one draft per township and hazard"),
    min_level: str = Query("yellow", description="lowest level proposed: 1–4 or blue/yellow/orange/red"),
    body: DraftBody | None = Body(None),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    now = clock(request)
    settings = request.app.state.settings
    if from_run is not None:
        result = proposals.propose_from_run(session, settings, from_run, parse_level(min_level), user, now)
        session.commit()
        return {"created": reading.views(session, result["created"], now), "skipped": result["skipped"]}
    if body is None:
        raise InvalidInput("send a draft (hazard, level, township_codes …) or ?from_run=ID")
    w = svc.create_draft(session, settings, svc.DraftInput(**body.model_dump()), user, now)
    session.commit()
    return reading.views(session, [w], now)[0]


def readable(session: Session, warning_id: int, user: AppUser | None):
    w = reading.get_warning(session, warning_id)
    if w.status == "draft":
        require_operator(user)
    return w


WarningId = id_path("warning id")


@router.get("/{warning_id:int}", summary="One warning", responses=problems(401, 403, 404))
def get_one(
    request: Request,
    warning_id: int = WarningId,
    user: AppUser | None = Depends(optional_user),
    session: Session = Depends(get_session),
) -> dict:
    w = readable(session, warning_id, user)
    out = reading.views(session, [w], clock(request))[0]
    out["replaced_by"] = reading.replaced_by(session, w.id)
    return out


@router.patch("/{warning_id:int}", summary="Edit a draft (operators)", responses=problems(401, 403, 404, 409))
def edit(
    request: Request,
    body: EditBody,
    warning_id: int = WarningId,
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    now = clock(request)
    changes = body.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        raise InvalidInput("a field cannot be set to null; leave it out to keep it")
    w = svc.edit_draft(session, request.app.state.settings, warning_id, changes, user, now)
    session.commit()
    return reading.views(session, [w], now)[0]


@router.delete(
    "/{warning_id:int}",
    status_code=204,
    summary="Discard a draft (operators)",
    responses=problems(401, 403, 404, 409),
)
def discard(
    warning_id: int = WarningId, user: AppUser = Depends(operator), session: Session = Depends(get_session)
):
    svc.discard_draft(session, warning_id, user)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/{warning_id:int}/issue",
    summary="Issue a draft: deliveries and messages queued at once (operators)",
    responses=problems(401, 403, 404, 409),
)
def issue(
    request: Request,
    warning_id: int = WarningId,
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    now = clock(request)
    w, counts = svc.issue(session, request.app.state.settings, warning_id, user, now)
    session.commit()
    return {"warning": reading.views(session, [w], now)[0], "dissemination": counts}


@router.post(
    "/{warning_id:int}/update",
    status_code=201,
    summary="Send an Update replacing an issued warning",
    responses=problems(401, 403, 404, 409),
)
def update(
    request: Request,
    body: UpdateBody,
    warning_id: int = WarningId,
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    now = clock(request)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    w, counts = svc.update(session, request.app.state.settings, warning_id, changes, user, now)
    session.commit()
    return {"warning": reading.views(session, [w], now)[0], "dissemination": counts}


@router.post(
    "/{warning_id:int}/cancel",
    status_code=201,
    summary="Cancel an issued warning (a Cancel message)",
    responses=problems(401, 403, 404, 409),
)
def cancel(
    request: Request,
    body: CancelBody | None = Body(None),
    warning_id: int = WarningId,
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    now = clock(request)
    msg, notices = svc.cancel(
        session, request.app.state.settings, warning_id, user, now, body.reason if body else None
    )
    session.commit()
    return {"warning": reading.views(session, [msg], now)[0], "notices": notices}


@router.get(
    "/{warning_id:int}/cap",
    summary="The message as OASIS CAP 1.2",
    response_class=Response,
    responses={200: {"content": {"application/cap+xml": {}}}, **problems(401, 403, 404)},
)
def cap_xml(
    request: Request,
    warning_id: int = WarningId,
    user: AppUser | None = Depends(optional_user),
    session: Session = Depends(get_session),
) -> Response:
    w = readable(session, warning_id, user)
    body = feeds.cap_document(session, request.app.state.settings, w, base_url(request))
    return Response(body, media_type="application/cap+xml; charset=utf-8")


@router.get(
    "/{warning_id:int}/deliveries",
    summary="Who was reached, acknowledged, is overdue or escalated",
    responses=problems(401, 404),
)
def deliveries(
    request: Request,
    warning_id: int = WarningId,
    user: AppUser = Depends(current_user),
    session: Session = Depends(get_session),
) -> dict:
    w = reading.get_warning(session, warning_id)
    report = deliveries_report(session, request.app.state.settings, w, clock(request))
    report["persons"] = [contacts_for(user, p) for p in report["persons"]]  # phones: operators only
    return report


@router.get(
    "/{warning_id:int}/deliveries.csv",
    summary="The 叫应 ledger as CSV (UTF-8 with BOM; the silent first; phones for operators)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problems(401, 404)},
)
def deliveries_csv(
    request: Request,
    warning_id: int = WarningId,
    user: AppUser = Depends(page_user),
    session: Session = Depends(get_session),
) -> Response:
    w = reading.get_warning(session, warning_id)
    report = deliveries_report(session, request.app.state.settings, w, clock(request))
    persons = [contacts_for(user, p) for p in report["persons"]]  # phones: operators only
    lang = pick_language(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE), "zh")
    return Response(
        ledger_csv(persons, lang),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="warning-{w.id}-deliveries.csv"',
            "Cache-Control": "no-store",
        },
    )

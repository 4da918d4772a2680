"""The audit log for admins: GET /api/audit (JSON, paged) and GET /api/audit.csv (a download)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from backend.audit import service
from backend.auth.deps import admin, page_user
from backend.auth.service import require
from backend.http import get_session, problems
from backend.i18n import LANG_COOKIE, pick_language
from backend.models import AppUser

router = APIRouter(tags=["audit"])


class Filters:
    """The filters both answers share (a dependency: parsed and validated once)."""

    def __init__(
        self,
        who: str | None = Query(None, max_length=64, description="actor (part of the name)"),
        what: str | None = Query(None, max_length=64, description="action or entity (part of it)"),
        since: AwareDatetime | None = Query(None, description="from (inclusive), with an offset"),
        until: AwareDatetime | None = Query(None, description="to (exclusive), with an offset"),
    ):
        self.who, self.what, self.since, self.until = who, what, since, until


@router.get(
    "/api/audit",
    summary="Audit log, newest first (admins): filter by who, what, since, until",
    responses=problems(401, 403),
)
def audit_log(
    f: Filters = Depends(),
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    _: AppUser = Depends(admin),
    session: Session = Depends(get_session),
) -> dict:
    rows, total = service.entries(session, f.who, f.what, f.since, f.until, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "entries": [service.view(e) for e in rows]}


@router.get(
    "/api/audit.csv",
    summary="Audit log as CSV (admins; UTF-8 with BOM)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problems(401, 403)},
)
def audit_log_csv(
    request: Request,
    f: Filters = Depends(),
    user: AppUser = Depends(page_user),
    session: Session = Depends(get_session),
) -> Response:
    require(user, "admin")
    rows, _ = service.entries(session, f.who, f.what, f.since, f.until, service.MAX_ROWS, 0)
    lang = pick_language(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE), "zh")
    return Response(
        service.audit_csv(rows, lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"},
    )

"""叫应 without login: ``POST /api/ack/{token}`` (JSON) and the mobile page ``GET /ack/{token}``.

The page shows the warning and one big button; opening it does not acknowledge (link
previewers and scanners open links too), pressing the button does. It is plain HTML with a
form, so it works on any phone browser, without JavaScript.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from html import escape

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from backend.errors import NotFound, RiskmapError, TooManyRequests
from backend.http import problems
from backend.i18n import beijing_time
from pipelines.levels import LEVELS

router = APIRouter(tags=["acks"])

Token = Path(min_length=1, max_length=200)


class Acknowledged(BaseModel):
    acknowledged: bool = True
    delivery_id: int
    warning_id: int
    acked_at: datetime
    #: false when this link had already been acknowledged (the first time stands)
    first_time: bool


@router.post(
    "/api/ack/{token}",
    summary="Acknowledge a warning (叫应); twice is harmless",
    responses=problems(404, 410, 429),  # 404 unknown link; 410 cancelled, replaced or expired; 429 guessing
)
async def ack_api(request: Request, token: str = Token) -> Acknowledged:
    with guessing_guard(request):
        result = await request.app.state.acks.acknowledge(token, request.app.state.clock(), via="api")
    return Acknowledged(**result)


@contextmanager
def guessing_guard(request: Request):
    """Links are unguessable (256-bit HMACs), and guessing is throttled besides: an address whose
    look-ups failed too often (unknown links) is refused for a while with 429. A known link, even
    a closed one (410), is no failure; a legitimate burst of acknowledgements costs one dict look-up
    each (backend.security.throttle, in memory per process)."""
    guard = request.app.state.ack_throttle
    address = request.client.host if request.client else "unknown"
    wait = guard.retry_after(address)
    if wait:
        raise TooManyRequests(
            f"too many unknown acknowledgement links from this address; try again in {wait} s", wait
        )
    try:
        yield
    except NotFound:
        guard.failure(address)
        raise


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<link rel="stylesheet" href="/ack.css">
</head>
<body><div class="band lv{level}"></div><main>{body}</main></body></html>"""

# a stylesheet of its own, not inline: the Content-Security-Policy allows styles from 'self' only
CSS = """body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:32rem;margin:0 auto;padding:1rem}
.band{height:.6rem;background:#888}
h1{font-size:1.35rem;line-height:1.4;margin:.8rem 0}
p{line-height:1.6} .who{color:#555} .ok{color:#0a7a32;font-weight:700;font-size:1.2rem}
.closed{color:#8a1c1c;font-weight:700}
button{width:100%;padding:1.4rem;font-size:1.5rem;font-weight:700;border:0;border-radius:.8rem;
background:#0a7a32;color:#fff;margin:1rem 0}
button small{color:#dfe}
small{color:#666}
""" + "".join(f".band.lv{lv.value}{{background:{lv.hex}}}\n" for lv in LEVELS.values() if lv.value)


@router.get("/ack.css", include_in_schema=False)
async def ack_css() -> Response:
    return Response(CSS, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


# a person reads these on a phone: a page that says why, not problem+json
PAGE_ERRORS = {
    404: {"description": "unknown link (a page)", "content": {"text/html": {}}},
    410: {"description": "cancelled, replaced or expired (a page)", "content": {"text/html": {}}},
    429: {"description": "too many unknown links from this address (a page)", "content": {"text/html": {}}},
}


def page(title: str, body: str, level: int = 0, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), body=body, level=int(level)), status_code=status)


def error_page(exc: RiskmapError) -> HTMLResponse:
    title = {404: "链接无效", 429: "请稍后再试"}.get(int(exc.status), "无需确认")
    body = f"<h1>{title}</h1><p class='closed'>{escape(exc.detail)}</p>"
    response = page(title, body, status=int(exc.status))
    if getattr(exc, "retry_after_s", None):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@router.get(
    "/ack/{token}",
    response_class=HTMLResponse,
    summary="The acknowledgement page (one button)",
    responses=PAGE_ERRORS,
)
async def ack_page(request: Request, token: str = Token) -> HTMLResponse:
    try:
        with guessing_guard(request):
            s = await request.app.state.acks.state(token, request.app.state.clock())
    except RiskmapError as exc:
        return error_page(exc)
    who = " ".join(
        escape(x) for x in (s["township"] or "", s["village"] or "", s["title"] or "", s["recipient"] or "")
    )
    body = f"<h1>{escape(s['headline'])}</h1><p class='who'>{who}</p><p>{escape(s['instruction'] or '')}</p>"
    if s["acked_at"] is not None:
        at = beijing_time(s["acked_at"], "zh")
        body += f"<p class='ok' id='done'>✔ 已确认收到（{at}）<br><small>Acknowledged</small></p>"
    elif not s["open"]:
        body += f"<p class='closed'>{escape(s['closed_reason'])}</p>"
        return page(s["headline"], body, s["level"], status=410)
    else:
        body += (
            f"<form method='post' action='/ack/{escape(token)}'>"
            "<button type='submit' id='ack'>确认收到<br><small>I have received it</small>"
            "</button></form><p><small>按下按钮即向"
            f"{escape(request.app.state.settings.issuer_name)}回复“已收到”（叫应）。</small></p>"
        )
    return page(s["headline"], body, s["level"])


@router.post(
    "/ack/{token}",
    summary="The page's button: acknowledge, then back to the page",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "acknowledged: see the page"}, **PAGE_ERRORS},
)
async def ack_form(request: Request, token: str = Token):
    try:
        with guessing_guard(request):
            await request.app.state.acks.acknowledge(token, request.app.state.clock(), via="page")
    except RiskmapError as exc:
        return error_page(exc)
    return RedirectResponse(f"/ack/{token}", status_code=303)

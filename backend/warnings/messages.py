"""What each outbox message says, per kind and channel, built when it is sent.

Issued warnings are never edited in place, so rendering at send time gives the same words as
rendering at issue time; only the acknowledgement link is made here, from the delivery's
token, which is derived from the secret key and never stored.
"""

from __future__ import annotations

from backend.config import Settings
from backend.dispatch.channels import Message
from backend.i18n import beijing_time
from backend.warnings.texts import ack_request_zh
from pipelines.levels import LEVELS


def local(t) -> str:
    """As people read it: 12月1日 20:30（北京时间）."""
    return beijing_time(t, "zh")


def ack_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/ack/{token}"


def cap_url(settings: Settings, warning_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/api/warnings/{warning_id}/cap"


def warning_data(settings: Settings, w: dict) -> dict:
    lv = LEVELS[w["level"]]
    return {
        "id": w["id"],
        "identifier": w["identifier"],
        "msg_type": w["msg_type"],
        "hazard": w["hazard"],
        "level": w["level"],
        "colour": lv.colour,
        "headline": w["headline"],
        "description": w["description"],
        "instruction": w["instruction"],
        "onset": w["onset"].isoformat(),
        "expires": w["expires"].isoformat(),
        "townships": w["townships"],
        "cap_url": cap_url(settings, w["id"]),
    }


def compose(
    settings: Settings, kind: str, payload: dict, w: dict, token: str | None, deadline_min: float | None
) -> Message:
    """The message for one outbox row. ``w`` is the warning as a dict (see ``dispatch.tasks``)."""
    channel, address = payload["channel"], payload["address"]
    key = payload["key"]
    issuer = settings.issuer_name
    data = {"event": kind, "warning": warning_data(settings, w), "recipient": payload.get("recipient")}
    if kind in ("alert", "resend"):
        link = ack_url(settings, token) if token else None
        prefix = "【再次提醒，请立即确认】" if kind == "resend" else ""
        subject = f"{prefix}{w['headline']}"
        text = (
            f"{prefix}【{issuer}】{w['headline']}。{w['description'] or ''}{w['instruction'] or ''}"
            f"有效期至{local(w['expires'])}。"
        )
        if link:
            text += f"{ack_request_zh(deadline_min or 60)}：{link}"
            data["ack_url"] = link
        if channel == "email":
            text += f"\n\nCAP 1.2: {cap_url(settings, w['id'])}"
        if channel == "broadcast":
            text = (
                f"{payload.get('village_name', '')}的村民请注意：{w['headline']}。{w['instruction'] or ''}"
                f"请听从村干部指挥。"
            ) * 2
            subject = w["headline"]
    elif kind == "cancel_notice":
        subject = w["headline"]
        text = f"【{issuer}】{w['headline']}。{w['description'] or ''}"
    elif kind == "escalation":
        silent = payload["silent"]
        listed = "；".join(
            "{}（{}，{}，{}）".format(
                p["name"], p["title"] or p["role"], p["village"] or p["township"], p["phone"] or "无电话"
            )
            for p in silent[:30]
        )
        more = f"等{len(silent)}人" if len(silent) > 30 else f"共{len(silent)}人"
        subject = f"【叫应超时】{w['headline']}"
        text = (
            f"【叫应超时，请立即电话叫应】{w['headline']}：{payload['township']}以下责任人在规定时间内"
            f"未确认收到（已再次发送）：{listed}，{more}。"
        )
        data["silent"] = silent
    else:
        raise ValueError(f"unknown message kind {kind!r}")
    return Message(
        channel=channel, address=address, subject=subject, text=text, idempotency_key=key, data=data
    )

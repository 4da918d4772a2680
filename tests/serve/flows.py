"""What an operator does, over HTTP against a running service, with every message counted at the
receivers. The test modules run these against ``riskmap serve`` (worker in-process) and against
``riskmap serve --no-worker`` + ``riskmap worker``."""

from __future__ import annotations

import hashlib
import hmac
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from tests.harness import Sinks, login, wait_for

SEND_TIMEOUT = 30.0  # seconds for a township's messages to reach the receivers


def stopped_cleanly(service) -> None:
    """SIGTERM (systemd, Ctrl-C) stops it gracefully, the worker included."""
    code = service.stop()
    assert code in (0, -signal.SIGTERM), service.tail()  # uvicorn re-raises the signal it handled
    log = service.log()
    assert "Traceback" not in log, service.tail()
    if "serve" in service.args:
        assert "Application shutdown complete" in log, service.tail()


def expect_all_sent(sinks: Sinks, warning_id: int, counts: dict, kind: str = "alert") -> list:
    """Every message of the warning reached a receiver, each exactly once."""
    wait_for(
        lambda: len(sinks.of_warning(warning_id, kind)) >= counts["messages"],
        SEND_TIMEOUT,
        f"all {counts['messages']} messages of warning {warning_id} received",
    )
    time.sleep(0.3)  # nothing more arrives (a duplicate would, within this)
    got = sinks.of_warning(warning_id, kind)
    keys = Counter(r.key for r in got)
    assert not [k for k, n in keys.items() if n > 1], "a message reached its receiver twice"
    assert len(got) == counts["messages"]
    by_channel = Counter(r.channel for r in got)
    assert by_channel["email"] + by_channel["webhook"] == counts["recipients"] - counts["unreachable"]
    assert by_channel["broadcast"] == counts["broadcast_villages"]
    return got


def check_signatures(sinks: Sinks, secret: str) -> int:
    """Every webhook request carries a valid X-Riskmap-Signature; returns how many were checked."""
    with sinks.hook.lock:
        requests = list(sinks.hook.requests)
    for headers, body in requests:
        mac = hmac.new(secret.encode(), headers["X-Riskmap-Timestamp"].encode() + b"." + body, hashlib.sha256)
        assert headers["X-Riskmap-Signature"] == "sha256=" + mac.hexdigest()
    return len(requests)


def report(base: str, headers: dict, warning_id: int) -> dict:
    r = httpx.get(f"{base}/api/warnings/{warning_id}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@dataclass
class Issued:
    id: int
    counts: dict
    messages: list
    acked: list[str] = field(default_factory=list)  # tokens acknowledged
    issued_at: float = 0.0  # time.monotonic() when issued


def issue(base: str, op: dict, sinks: Sinks, warning_id: int) -> Issued:
    r = httpx.post(f"{base}/api/warnings/{warning_id}/issue", headers=op, timeout=30)
    assert r.status_code == 200, r.text
    at = time.monotonic()
    body = r.json()
    assert body["warning"]["status"] == "issued"
    counts = body["dissemination"]
    assert counts["recipients"] > 0 and counts["unreachable"] == 0
    return Issued(warning_id, counts, expect_all_sent(sinks, warning_id, counts), issued_at=at)


def acknowledge(base: str, tokens: list[str]) -> None:
    for token in tokens:
        r = httpx.post(f"{base}/api/ack/{token}")
        assert r.status_code == 200, r.text
        assert r.json()["first_time"] is True


def warning_flow(base: str, sinks: Sinks, users: dict, run_id: int) -> dict:
    """Sign in → propose from the run → edit a draft → issue → all sent → 叫应 → the deliveries
    report → update → cancel, and the cancel notices arrive. Returns numbers for the report."""
    op = login(base, users["operator"])
    viewer = login(base, users["viewer"])

    r = httpx.post(f"{base}/api/warnings?from_run={run_id}&min_level=yellow", headers=op, timeout=30)
    assert r.status_code == 201, r.text
    drafts = r.json()["created"]
    assert drafts and all(d["status"] == "draft" for d in drafts)
    # an orange one (its deadline is long: the chase leaves it alone during the test)
    draft = next(d for d in drafts if d["level"] == 3)
    r = httpx.patch(
        f"{base}/api/warnings/{draft['id']}",
        json={"headline": draft["headline"] + "（演练）", "instruction": "请立即检查隐患点并报告。"},
        headers=op,
    )
    assert r.status_code == 200, r.text
    assert r.json()["headline"].endswith("（演练）")

    w = issue(base, op, sinks, draft["id"])
    persons = [m for m in w.messages if m.channel != "broadcast"]
    assert all(m.ack_token for m in persons) and all("（演练）" in m.text for m in persons)

    # 叫应: half by the API, one by the phone page's button, one twice
    tokens = [m.ack_token for m in persons]
    half = tokens[: len(tokens) // 2]
    acknowledge(base, half)
    page = httpx.get(f"{base}/ack/{tokens[-1]}")
    assert page.status_code == 200 and "id='ack'" in page.text
    pressed = httpx.post(f"{base}/ack/{tokens[-1]}", follow_redirects=True)
    assert pressed.status_code == 200 and "id='done'" in pressed.text
    again = httpx.post(f"{base}/api/ack/{half[0]}")
    assert again.status_code == 200 and again.json()["first_time"] is False
    acked = len(half) + 1

    rep = wait_for(
        lambda: (x := report(base, viewer, w.id))["totals"]["delivered"] == len(persons) and x,
        10,
        "every delivery recorded as delivered",
    )
    t = rep["totals"]
    assert t["recipients"] == w.counts["recipients"] and t["sent"] == len(persons)
    assert t["acknowledged"] == acked and t["pending"] == 0 and t["failed"] == 0
    assert t["broadcast_played"] == t["broadcast_villages"] == w.counts["broadcast_villages"]
    assert t["ack_rate"] == round(acked / t["recipients"], 4)

    # update: a new message to everyone; the old links no longer work
    r = httpx.post(
        f"{base}/api/warnings/{w.id}/update",
        json={"reason": "雨情持续，", "instruction": "继续做好转移准备。"},
        headers=op,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["warning"]["id"]
    assert r.json()["warning"]["references_id"] == w.id
    updated = r.json()["dissemination"]
    new_messages = expect_all_sent(sinks, new_id, updated)
    gone = httpx.post(f"{base}/api/ack/{tokens[len(half)]}")  # not acknowledged in time
    assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json"

    # cancel: a Cancel message, and a notice to everyone the update reached
    r = httpx.post(
        f"{base}/api/warnings/{new_id}/cancel", json={"reason": "雨势减弱，"}, headers=op, timeout=30
    )
    assert r.status_code == 201, r.text
    cancel_id, notices = r.json()["warning"]["id"], r.json()["notices"]
    assert notices == len([m for m in new_messages if m.channel != "broadcast"])
    got = wait_for(
        lambda: len(x := sinks.of_warning(cancel_id, "cancel_notice")) >= notices and x,
        SEND_TIMEOUT,
        f"{notices} cancel notices received",
    )
    assert len({m.key for m in got}) == len(got) == notices
    token = next(m.ack_token for m in new_messages if m.ack_token)
    assert httpx.post(f"{base}/api/ack/{token}").status_code == 410
    status = httpx.get(f"{base}/api/warnings/{new_id}", headers=op).json()["status"]
    assert status == "cancelled"
    return {
        "alerts": len(w.messages),
        "update_alerts": len(new_messages),
        "cancel_notices": notices,
        "acknowledged": acked,
    }


def start_red(base: str, sinks: Sinks, users: dict, township_code: str) -> Issued:
    """A red warning drafted by hand for one township, issued, three people acknowledging at once:
    the worker's periodic chase must resend to the others and escalate on its own."""
    op = login(base, users["operator"])
    r = httpx.post(
        f"{base}/api/warnings",
        json={"hazard": "rain", "level": 4, "township_codes": [township_code]},
        headers=op,
    )
    assert r.status_code == 201, r.text
    w = issue(base, op, sinks, r.json()["id"])
    w.acked = [m.ack_token for m in w.messages if m.ack_token][:3]
    acknowledge(base, w.acked)
    return w


def finish_red(base: str, sinks: Sinks, users: dict, w: Issued, deadline_s: float) -> dict:
    """The periodic chase (no `riskmap warn chase` by hand) resent to the silent at the deadline
    and escalated after the second one, exactly once each."""
    op = login(base, users["operator"])
    persons = [m for m in w.messages if m.channel != "broadcast"]
    silent = len(persons) - len(w.acked)
    resends = wait_for(
        lambda: len(x := sinks.of_warning(w.id, "resend")) >= silent and x,
        deadline_s + 20,
        f"{silent} reminders resent by the worker's chase",
    )
    assert all(m.ack_token not in w.acked for m in resends)
    assert all("再次提醒" in m.text for m in resends if m.channel == "email")
    leaders = httpx.get(f"{base}/api/recipients?role=county_duty", headers=op).json()
    township = report(base, op, w.id)["townships"][0]["code"]
    leaders += httpx.get(f"{base}/api/recipients?role=township_leader&township={township}", headers=op).json()
    targets = len([p for p in leaders if p["active"]])
    escalations = wait_for(
        lambda: len(x := sinks.of_warning(w.id, "escalation")) >= targets and x,
        deadline_s + 20,
        f"escalations to {targets} leaders and duty officers",
    )
    time.sleep(0.3)
    assert len(sinks.of_warning(w.id, "resend")) == silent  # each silent person once
    assert len(sinks.of_warning(w.id, "escalation")) == targets
    assert len({m.key for m in escalations}) == targets
    rep = wait_for(
        lambda: (x := report(base, op, w.id))["totals"]["escalated"] == silent and x,
        10,
        "the report shows the escalations",
    )
    t = rep["totals"]
    assert t["resent"] == silent and t["overdue"] == silent and t["acknowledged"] == len(w.acked)
    deadline, escalate_at = (datetime.fromisoformat(rep[k]) for k in ("deadline", "escalate_at"))
    resent = [datetime.fromisoformat(p["resent_at"]) for p in rep["persons"] if p["resent_at"]]
    escalated = [datetime.fromisoformat(p["escalated_at"]) for p in rep["persons"] if p["escalated_at"]]
    assert min(resent) >= deadline and min(escalated) >= escalate_at  # not early
    return {
        "resent": silent,
        "escalation_messages": targets,
        # how late after each deadline the periodic chase acted
        "resent_after_deadline_s": round((max(resent) - deadline).total_seconds(), 1),
        "escalated_after_second_deadline_s": round((max(escalated) - escalate_at).total_seconds(), 1),
    }


def evacuation_flow(base: str, users: dict, run_id: int, engine) -> dict:
    """Plan → close the busiest shelter and a road the plan uses (PATCH) → re-plan: nobody goes to
    that shelter or along that road; the changes are reported. Restores both afterwards."""
    import sqlalchemy as sa

    op = login(base, users["operator"])
    r = httpx.post(f"{base}/api/evacuation/plans", json={"run_id": run_id}, headers=op, timeout=60)
    assert r.status_code == 201, r.text
    first = r.json()
    t = first["totals"]
    assert t["people_to_move"] > 0 and t["assigned"] + t["unserved"] == t["people_to_move"]
    plan = httpx.get(f"{base}/api/evacuation/plans/{first['id']}").json()
    by_shelter = Counter()
    for a in plan["assignments"]:
        by_shelter[a["shelter_code"]] += a["persons"]
    busiest = by_shelter.most_common(1)[0][0]
    shelters = httpx.get(f"{base}/api/shelters").json()["features"]
    shelter_id = next(f["id"] for f in shelters if f["properties"]["code"] == busiest)
    with engine.connect() as c:  # a road segment some route of the plan runs along
        road_id = c.execute(
            sa.text(
                "SELECT r.id FROM road r JOIN evacuation_assignment a ON a.plan_id = :p "
                "AND ST_Covers(a.geom, r.geom) ORDER BY r.id LIMIT 1"
            ),
            {"p": first["id"]},
        ).scalar()
    assert road_id
    try:
        r = httpx.patch(f"{base}/api/shelters/{shelter_id}", json={"status": "closed"}, headers=op)
        assert r.status_code == 200 and r.json()["status"] == "closed", r.text
        r = httpx.patch(f"{base}/api/roads/{road_id}", json={"closed": True}, headers=op)
        assert r.status_code == 200 and r.json()["closed"] is True, r.text
        r = httpx.post(f"{base}/api/evacuation/plans", json={"run_id": run_id}, headers=op, timeout=60)
        assert r.status_code == 201, r.text
        second = r.json()
        again = httpx.get(f"{base}/api/evacuation/plans/{second['id']}").json()
        assert all(a["shelter_code"] != busiest for a in again["assignments"])
        changes = httpx.get(f"{base}/api/evacuation/plans/{second['id']}/changes?against={first['id']}")
        assert changes.status_code == 200 and changes.json()["villages"]
        with engine.connect() as c:
            along = c.execute(
                sa.text(
                    "SELECT count(*) FROM evacuation_assignment a JOIN road r ON r.id = :r "
                    "WHERE a.plan_id = :p AND ST_Covers(a.geom, r.geom)"
                ),
                {"p": second["id"], "r": road_id},
            ).scalar()
        assert along == 0
        sheet = httpx.get(f"{base}/api/evacuation/plans/{second['id']}/sheet", headers=op)
        assert sheet.status_code == 200 and "人员转移安排表" in sheet.text
    finally:
        httpx.patch(f"{base}/api/shelters/{shelter_id}", json={"status": "open"}, headers=op)
        httpx.patch(f"{base}/api/roads/{road_id}", json={"closed": False}, headers=op)
    return {
        "moved_first": t["assigned"],
        "moved_second": second["totals"]["assigned"],
        "villages_changed": len(changes.json()["villages"]),
    }

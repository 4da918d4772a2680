"""What people read, in their language: problem details in Chinese or English, times as 北京时间,
and CSV that Chinese Excel opens as it is.

The service's own words are English (logs, the API's reference). A page in Chinese asks for
Chinese with ``Accept-Language`` (or the page's ``riskmap_lang`` cookie, which every request of
the page carries); :func:`translate_problem` then gives every problem+json answer a Chinese title
and detail: a table of titles, and a table of our domain errors' common details as patterns. A
detail the table does not know is replaced by a plain sentence for its status (the English one
kept under ``detail_en``), so a Chinese page never shows an English sentence.

Pure functions: no FastAPI here (``backend.http`` calls :func:`translate_problem` from one place).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")
LANGS = ("zh", "en")
LANG_COOKIE = "riskmap_lang"

# ---- languages --------------------------------------------------------------------------------


def pick_language(accept_language: str | None, cookie: str | None = None, default: str = "en") -> str:
    """``zh`` or ``en``: the page's cookie if it set one, else the first of our languages in
    ``Accept-Language`` by quality (RFC 9110 §12.5.4), else ``default``."""
    if cookie in LANGS:
        return cookie
    best, best_q = None, -1.0
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        m = re.search(r"q=([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        primary = tag.split("-")[0]
        if primary in LANGS and q > 0 and (q > best_q or (q == best_q and best is None)):
            best, best_q = primary, q - i * 1e-6  # earlier wins a tie
    return best or default


# ---- times as people read them ------------------------------------------------------------------


def beijing_time(t: datetime | None, lang: str = "zh", year: bool = False) -> str:
    """A moment as a duty officer reads it: ``12月1日 20:30（北京时间）`` or
    ``1 Dec 20:30 (Beijing time)``; ``year`` adds the year. Naive times are taken as UTC."""
    if t is None:
        return "—" if lang == "zh" else "-"
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    b = t.astimezone(BEIJING)
    if lang == "zh":
        y = f"{b.year}年" if year else ""
        return f"{y}{b.month}月{b.day}日 {b:%H:%M}（北京时间）"
    y = f" {b.year}" if year else ""
    return f"{b.day} {b:%b}{y} {b:%H:%M} (Beijing time)"


def beijing_span(start: datetime | None, end: datetime | None, lang: str = "zh") -> str:
    """A window: ``12月1日 08:00 至 12月4日 08:00（北京时间）``."""
    if lang == "zh":
        a = beijing_time(start, "zh").replace("（北京时间）", "")
        return f"{a} 至 {beijing_time(end, 'zh')}"
    a = beijing_time(start, "en").replace(" (Beijing time)", "")
    return f"{a} to {beijing_time(end, 'en')}"


# ---- CSV for spreadsheet programs ----------------------------------------------------------------

BOM = "\ufeff"


def excel_csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """CSV text that Excel (a Chinese-locale one included) opens as UTF-8: a byte-order mark
    first, CRLF line ends (RFC 4180), None as an empty cell. Encode it as UTF-8."""
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


# ---- problem details ------------------------------------------------------------------------------

TITLES_ZH = {
    "Bad request": "请求有误",
    "Bad Request": "请求有误",
    "Invalid input": "输入有误",
    "Not found": "未找到",
    "Not Found": "未找到",
    "Conflict": "操作冲突",
    "Database unavailable": "数据库不可用",
    "Unauthorized": "未登录",
    "Forbidden": "无权限",
    "Account disabled": "账户已停用",
    "Gone": "已失效",
    "Too many requests": "请求过于频繁",
    "Too Many Requests": "请求过于频繁",
    "Query cancelled": "查询已取消",
    "Service busy": "服务繁忙",
    "Internal Server Error": "服务器内部错误",
    "Method Not Allowed": "不支持该操作",
    "Content Too Large": "请求内容过大",
    "Unprocessable Entity": "输入有误",
    "Unprocessable Content": "输入有误",
    "Not Acceptable": "无法提供该格式",
    "Unsupported Media Type": "不支持的内容类型",
    "Service Unavailable": "服务暂不可用",
}

#: a plain sentence per status, for details the pattern table does not know
GENERIC_ZH = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "当前账户无权进行此操作。",
    404: "未找到所请求的内容。",
    405: "不支持该操作。",
    409: "操作与当前状态冲突，请刷新后重试。",
    410: "该链接或内容已失效。",
    413: "请求内容过大。",
    422: "输入有误，请检查后重试。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误，已记录，请稍后重试。",
    503: "服务暂不可用，请稍后重试。",
}

_HAZARD_ZH = {"rain": "暴雨", "fire": "森林火险", "geohazard": "地质灾害", "onemap": "综合风险"}
_STATUS_ZH = {
    "draft": "草稿",
    "issued": "已发布",
    "updated": "已更新",
    "cancelled": "已解除",
    "expired": "已过期",
    "running": "运算中",
    "published": "已发布",
    "failed": "失败",
}
_ROLE_ZH = {"viewer": "查看", "operator": "值班员", "admin": "管理员"}


def _t(value: str) -> str:
    """An ISO time inside a detail, as 北京时间 (other values unchanged)."""
    try:
        return beijing_time(datetime.fromisoformat(value), "zh")
    except ValueError:
        return value


def _st(value: str) -> str:
    return _STATUS_ZH.get(value, value)


# (pattern on the English detail, Chinese template, converters of named groups); first match wins
_DETAILS: list[tuple[re.Pattern, str, dict]] = [
    (re.compile(p), zh, conv)
    for p, zh, conv in [
        (r"^wrong username or password$", "用户名或密码错误", {}),
        (r"^this account is disabled", "该账户已停用，请联系管理员。", {}),
        (r"^sign in first", "请先登录。", {}),
        (r"^drafts are for operators: sign in first$", "预警草稿仅值班员可见，请先登录。", {}),
        (r"^the token has expired; sign in again$", "登录已过期，请重新登录。", {}),
        (r"^invalid token$", "登录凭据无效，请重新登录。", {}),
        (r"^unknown or disabled user$", "用户不存在或已停用，请重新登录。", {}),
        (r"^the password has changed", "密码已更改，请重新登录。", {}),
        (
            r"^this needs the (?P<role>\w+) role; (?P<user>\S+) is (?P<has>\w+)$",
            "此操作需要“{role}”权限；{user} 的权限为“{has}”。",
            {"role": lambda r: _ROLE_ZH.get(r, r), "has": lambda r: _ROLE_ZH.get(r, r)},
        ),
        (r"^too many failed sign-ins; try again in (?P<s>\d+) s", "登录失败次数过多，请 {s} 秒后再试。", {}),
        (r"^no published run yet", "尚无已发布的风险运算。", {}),
        (r"^run (?P<id>\d+) does not exist$", "风险运算 #{id} 不存在。", {}),
        (r"^no run (?P<id>\d+)$", "风险运算 #{id} 不存在。", {}),
        (r"^run_id: no run (?P<id>\d+)$", "风险运算 #{id} 不存在。", {}),
        (
            r"^run (?P<id>\d+) is not published \(status (?P<s>\w+)\)$",
            "风险运算 #{id} 尚未发布（状态：{s}）。",
            {"s": _st},
        ),
        (
            r"^run (?P<id>\d+) is (?P<s>\w+); proposals need a published run$",
            "风险运算 #{id} {s}，只能按已发布的运算生成建议。",
            {"s": _st},
        ),
        (r"^evacuation plan (?P<id>\d+) does not exist$", "转移方案 #{id} 不存在。", {}),
        (r"^no warning (?P<id>\d+)$", "预警 #{id} 不存在。", {}),
        (r"^no township (?P<c>\d+)$", "乡镇 {c} 不存在。", {}),
        (r"^no user '(?P<u>[^']*)'", "用户 {u} 不存在。", {}),
        (r"^no recipient (?P<c>\S+)$", "责任人 {c} 不存在。", {}),
        (r"^shelter (?P<id>\d+) does not exist$", "避灾安置场所 #{id} 不存在。", {}),
        (r"^road (?P<id>\d+) does not exist$", "道路 #{id} 不存在。", {}),
        (r"^user '(?P<u>[^']*)' exists already$", "用户 {u} 已存在。", {}),
        (r"^recipient (?P<c>\S+) exists already$", "责任人 {c} 已存在。", {}),
        (r"^the password must have at least 8 characters$", "密码至少需要 8 个字符。", {}),
        (r"^role must be one of", "角色无效。", {}),
        (r"^give occupancy and/or status$", "请填写已安置人数或状态。", {}),
        (r"^phone '(?P<p>[^']*)' is not a phone number$", "“{p}”不是有效的电话号码。", {}),
        (r"^email '(?P<e>[^']*)' is not an e-mail address$", "“{e}”不是有效的电子邮箱地址。", {}),
        (
            r"^a responsible person needs a phone number or an e-mail address$",
            "责任人须至少有电话或电子邮箱。",
            {},
        ),
        (r"^a township leader needs township_code$", "乡镇责任人须指定乡镇。", {}),
        (r"^a (?P<r>\w+) needs village_code$", "该类责任人须指定村（社区）。", {}),
        (r"^township_code: unknown township (?P<c>\d+)$", "乡镇代码 {c} 不存在。", {}),
        (r"^village_code: unknown village (?P<c>\d+)$", "村代码 {c} 不存在。", {}),
        (r"^township_codes: unknown township code\(s\) (?P<c>.+)$", "乡镇代码不存在：{c}。", {}),
        (r"^scope: unknown township (?P<c>\d+)$", "管辖范围：乡镇代码 {c} 不存在。", {}),
        (r"^headline must not be empty$", "标题不能为空。", {}),
        (r"^a field cannot be set to null", "字段不能设为空；不修改请不要填写。", {}),
        (
            r"^expires \((?P<e>[^)]+)\) must be after onset \((?P<o>[^)]+)\)$",
            "失效时间（{e}）须晚于生效时间（{o}）。",
            {"e": _t, "o": _t},
        ),
        (r"^expires \((?P<e>[^)]+)\) is in the past$", "失效时间（{e}）已过。", {"e": _t}),
        (
            r"^warning (?P<id>\d+) expired at (?P<t>\S+); change expires before issuing$",
            "预警 #{id} 已于 {t} 过期；请先修改失效时间再发布。",
            {"t": _t},
        ),
        (
            r"^warning (?P<id>\d+) expired at (?P<t>\S+); it cannot be",
            "预警 #{id} 已于 {t} 过期，无法操作。",
            {"t": _t},
        ),
        (
            r"^warning (?P<id>\d+) is (?P<s>\w+); only a draft can be issued$",
            "预警 #{id} {s}，只有草稿可以发布。",
            {"s": _st},
        ),
        (
            r"^warning (?P<id>\d+) is (?P<s>\w+); only drafts can be discarded",
            "预警 #{id} {s}，只有草稿可以删除（已发布的请解除）。",
            {"s": _st},
        ),
        (
            r"^warning (?P<id>\d+) is (?P<s>\w+); only an issued, unexpired warning",
            "预警 #{id} {s}，只有生效中的预警可以更新或解除。",
            {"s": _st},
        ),
        (r"^warning (?P<id>\d+) is a draft: discard it", "预警 #{id} 是草稿：请直接删除。", {}),
        (r"^unknown acknowledgement link", "叫应链接无效：请确认打开的是完整链接。", {}),
        (r"^this warning was cancelled", "该预警已解除，无需确认。", {}),
        (r"^this warning was replaced by a newer message", "该预警已被新的预警替代，无需确认。", {}),
        (r"^this warning has expired", "该预警已过期，无需确认。", {}),
        (r"^policy: level", "转移策略无效：等级 1–4，规则为“全部”或“老弱及隐患点威胁人员”。", {}),
        (r"^options\.(?P<n>\w+) must be positive$", "参数 {n} 须为正数。", {}),
        (r"^options: a fleet needs buses", "车辆数须 ≥ 0，座位数须 > 0。", {}),
        (r"^options: ", "转移方案参数有误。", {}),
        (r"^the query took too long", "查询耗时过长已取消，请重试或放大地图。", {}),
        (r"^no database connection became free", "服务繁忙，请稍后重试。", {}),
        (r"^the database is unreachable", "无法连接数据库，请稍后重试。", {}),
        (r"^an unexpected error occurred", "服务器内部错误，已记录，请稍后重试。", {}),
        (r"^the request body is larger than", "请求内容过大。", {}),
        (r"^the routes layer needs \?plan=ID", "转移路线图层需要指定转移方案。", {}),
        (r"^q: ", "请输入要查找的名称、代码或拼音首字母。", {}),
        (r"^lon/lat (?P<x>.+) is outside the county", "该位置（{x}）不在本县范围内。", {}),
        (r"^since must be before until$", "开始时间须早于结束时间。", {}),
    ]
]

# pydantic's validation messages (422), one part of ``"loc: msg; loc: msg"`` at a time
_VALIDATION: list[tuple[re.Pattern, str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^Field required$", "必填"),
        (r"^Input should be greater than or equal to (?P<n>\S+)$", "须大于或等于 {n}"),
        (r"^Input should be less than or equal to (?P<n>\S+)$", "须小于或等于 {n}"),
        (r"^Input should be greater than (?P<n>\S+)$", "须大于 {n}"),
        (r"^Input should be less than (?P<n>\S+)$", "须小于 {n}"),
        (r"^Input should be a valid integer", "须为整数"),
        (r"^Input should be a valid number", "须为数字"),
        (r"^Input should be a valid boolean", "须为是/否"),
        (r"^Input should be a valid datetime", "须为有效的时间"),
        (r"^String should match pattern", "格式不正确"),
        (r"^String should have at least (?P<n>\d+) characters?$", "至少 {n} 个字符"),
        (r"^String should have at most (?P<n>\d+) characters?$", "至多 {n} 个字符"),
        (r"^List should have at least (?P<n>\d+) items?", "至少 {n} 项"),
        (r"^Input should be (?P<opts>'.+)$", "须为以下之一：{opts}"),
        (r"^Value error, (?P<m>.+)$", "{m}"),
    ]
]


def translate_detail(detail: str, lang: str) -> str | None:
    """The detail in ``lang``, or None when the table does not know it."""
    if lang != "zh" or not detail:
        return detail
    for pattern, zh, conv in _DETAILS:
        m = pattern.search(detail)
        if m:
            groups = {k: conv.get(k, lambda v: v)(v or "") for k, v in m.groupdict().items()}
            return zh.format(**groups)
    return None


def _translate_validation(detail: str) -> str | None:
    parts = []
    for part in detail.split("; "):
        loc, sep, msg = part.rpartition(": ")
        msg = msg if sep else part
        for pattern, zh in _VALIDATION:
            m = pattern.search(msg)
            if m:
                text = zh.format(**m.groupdict())
                parts.append(f"{loc}：{text}" if sep else text)
                break
        else:
            return None
    return "；".join(parts) + "。"


def translate_problem(body: dict, lang: str) -> dict:
    """A problem+json body (RFC 9457) in ``lang``: title and detail translated (``zh``), the
    English detail kept as ``detail_en`` when it changed. English bodies come back as they are."""
    if lang != "zh":
        return body
    out = dict(body)
    title = str(body.get("title", ""))
    out["title"] = TITLES_ZH.get(title, title)
    detail = str(body.get("detail", ""))
    zh = translate_detail(detail, "zh")
    if zh is None and body.get("status") == 422 and "errors" in body:
        zh = _translate_validation(detail)
    if zh is None:
        zh = GENERIC_ZH.get(int(body.get("status") or 500), GENERIC_ZH[400])
    if zh != detail:
        out["detail"] = zh
        out["detail_en"] = detail
    return out

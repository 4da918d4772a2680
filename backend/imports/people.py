"""Import kind of people: responsible persons (责任人) from the rosters townships keep.

Rosters rarely say our role names; a role is read from its Chinese name, or inferred from the
person's title (职务) and the place they answer for: a 网格员 is a grid worker, a 监测员 a hazard-site
monitor, anyone else named for a village its head, for a township its leader, else county duty.
A roster without codes gets stable ones from the mobile number (or from name and place).
"""

from __future__ import annotations

import hashlib

import pandas as pd

from backend.imports import refs
from backend.imports.spec import Batch, Field, Kind
from backend.models.people import RECIPIENT_ROLES

ROLE_NAMES = {
    "县值班": "county_duty",
    "县级值班": "county_duty",
    "值班员": "county_duty",
    "值班": "county_duty",
    "带班领导": "county_duty",
    "县应急值班": "county_duty",
    "乡镇领导": "township_leader",
    "乡镇负责人": "township_leader",
    "乡镇责任人": "township_leader",
    "包乡领导": "township_leader",
    "村负责人": "village_head",
    "村干部": "village_head",
    "村级责任人": "village_head",
    "村(社区)负责人": "village_head",
    "社区负责人": "village_head",
    "网格员": "grid_worker",
    "网格责任人": "grid_worker",
    "监测员": "monitor",
    "群测群防员": "monitor",
    "地灾监测员": "monitor",
    "隐患点监测员": "monitor",
    **{r: r for r in RECIPIENT_ROLES},
}
VILLAGE_ROLES = ("village_head", "grid_worker", "monitor")


def infer_role(title: str | None, village: bool, township: bool) -> str:
    t = title or ""
    if "网格" in t:
        return "grid_worker"
    if "监测" in t or "群测群防" in t:
        return "monitor"
    if village:
        return "village_head"
    if township:
        return "township_leader"
    return "county_duty"


def _prepare(batch: Batch) -> None:
    c = {k: batch.frame[k].tolist() for k in batch.kind.names}
    roles = c["role"]
    bad_role = {p.row for p in batch.errors if p.field == "role"}
    inferred = 0
    for i, role in enumerate(roles):
        if role is None and i not in bad_role:
            village = c["village_code"][i] is not None or c["village"][i] is not None
            township = c["township_code"][i] is not None or c["township"][i] is not None
            roles[i] = infer_role(c["title"][i], village, township)
            inferred += 1
    batch.frame["role"] = pd.Series(roles, dtype=object)
    if inferred:
        batch.note(f"{inferred} role(s) inferred from title (职务) and place")
    for i in range(len(batch)):
        if c["phone"][i] is None and c["email"][i] is None and roles[i] != "county_duty":
            batch.error(i, "phone", None, "a responsible person needs a phone number or an e-mail address")


def _key(batch: Batch) -> pd.Series:
    c = {k: batch.frame[k].tolist() for k in batch.kind.names}
    keys = []
    for i in range(len(batch)):
        phone = c["phone"][i]
        if phone:
            keys.append("P" + "".join(ch for ch in str(phone) if ch.isdigit())[-20:])
            continue
        text = "|".join(
            str(c[k][i] or "")
            for k in ("name", "email", "township_code", "township", "village_code", "village")
        )
        keys.append("R" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12].upper())
    return pd.Series(keys, dtype=object)


def _resolve(conn, batch: Batch) -> None:
    refs.townships(conn, batch)
    refs.villages(conn, batch)
    f = batch.frame
    rejected = batch.rejected
    towns, villages = f.township_id.tolist(), f.village_id.tolist()
    for i, role in enumerate(f.role.tolist()):
        if role == "township_leader" and towns[i] is None and i not in rejected:
            batch.error(i, "township", None, "a township leader needs a township")
        if role in VILLAGE_ROLES and villages[i] is None and i not in rejected:
            batch.error(i, "village", None, f"a {role} needs a village")


RECIPIENTS = Kind(
    name="recipients",
    zh="责任人",
    en="responsible persons",
    table="recipient",
    key="code",
    geometry=None,
    columns=("code", "name", "role", "title", "township_id", "village_id", "phone", "email"),
    fields=(
        Field(
            "code",
            "code",
            "人员编号",
            "code",
            aliases=("人员编号", "人员代码"),
            example="R000004",
            help="without one: derived from the mobile number (stable on re-import)",
        ),
        Field(
            "name",
            "text",
            "姓名",
            "name",
            required=True,
            aliases=("姓名", "责任人", "责任人姓名", "联系人"),
            example="叶娟文",
        ),
        Field(
            "role",
            "choice",
            "责任人类型",
            "role",
            choices=ROLE_NAMES,
            example="township_leader",
            help="county_duty, township_leader, village_head, grid_worker, monitor (or 值班员, 乡镇领导, "
            "村负责人, 网格员, 监测员); without it: from the title and place",
        ),
        Field("title", "text", "职务", "title", example="党委书记"),
        Field("township_code", "code12", "乡镇代码", "township code", pad_from=(9,), example="360799100000"),
        Field("township", "ref", "乡镇", "township (name or code)", example="石岐镇"),
        Field("village_code", "code12", "村代码", "village code", example=None),
        Field("village", "ref", "村", "village (name or code)", example=None),
        Field("phone", "phone", "手机", "mobile phone", example="13243277691"),
        Field("email", "email", "邮箱", "e-mail", example="r000004@yunling-county.example"),
    ),
    prepare=_prepare,
    resolve=_resolve,
    derive_key=_key,
    help="responsible persons (责任人) who receive and acknowledge warnings",
)

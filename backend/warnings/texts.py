"""Per-hazard, per-level wording of warnings (zh-CN and en), and the messages built from them.

Instructions follow the defence guidelines that accompany the public warning signals:
- rain: CMA 气象灾害预警信号及防御指南 (暴雨蓝/黄/橙/红色预警信号, Order No. 16 of 2007),
- fire: 森林火险预警信号 of the national forest fire prevention bodies (较高/高/很高/极高),
- geohazard: 地质灾害气象风险预警 of the natural resources ministry (风险一般/较高/高/很高).
Levels are integers 1 blue … 4 red; colour words come from :data:`pipelines.levels.LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.levels import HAZARD_ZH, LEVELS


@dataclass(frozen=True)
class Wording:
    meaning_zh: str  # what the level means for this hazard
    instruction_zh: str
    meaning_en: str
    instruction_en: str


WORDING: dict[str, dict[int, Wording]] = {
    "rain": {
        1: Wording(
            "12小时内降雨量将达50毫米以上，或者已达50毫米以上且降雨可能持续",
            "做好防暴雨准备工作；学校、幼儿园采取适当措施保证学生和幼儿安全；检查农田、鱼塘排水系统，"
            "做好排涝准备；责任人上岗到位，加强山洪、地质灾害隐患点巡查。",
            "50 mm or more of rain within 12 hours, or already reached and likely to continue",
            "Prepare for heavy rain; schools protect pupils; check drainage; responsible persons on duty "
            "and patrol flash-flood and landslide sites.",
        ),
        2: Wording(
            "6小时内降雨量将达50毫米以上，或者已达50毫米以上且降雨可能持续",
            "切断低洼地带有危险的室外电源，暂停空旷地方的户外作业；转移危险地带和危险建筑物内人员到安全场所"
            "避雨；检查排水系统，采取必要的排涝措施；危险区域人员做好转移准备。",
            "50 mm or more of rain within 6 hours, or already reached and likely to continue",
            "Cut dangerous outdoor power in low-lying areas, stop outdoor work in the open, move people in "
            "danger zones and unsafe buildings to safety, get ready to evacuate.",
        ),
        3: Wording(
            "3小时内降雨量将达50毫米以上，或者已达50毫米以上且降雨可能持续",
            "立即转移山洪、地质灾害危险区域和低洼地带人员；切断有危险的室外电源，暂停户外作业；"
            "处于危险地带的单位停课、停业；做好排涝，防范山洪、滑坡、泥石流等灾害。",
            "50 mm or more of rain within 3 hours, or already reached and likely to continue",
            "Evacuate people from flash-flood, landslide and low-lying danger zones now; cut dangerous "
            "power; schools and businesses in danger zones close.",
        ),
        4: Wording(
            "3小时内降雨量将达100毫米以上，或者已达100毫米以上且降雨可能持续",
            "立即组织危险区域人员全部转移到安全场所；停止集会、停课、停业（特殊行业除外）；"
            "做好山洪、滑坡、泥石流等灾害的防御和抢险救援工作。",
            "100 mm or more of rain within 3 hours, or already reached and likely to continue",
            "Move everyone in danger zones to shelters now; stop gatherings, close schools and businesses; "
            "stand by for rescue.",
        ),
    },
    "geohazard": {
        1: Wording(
            "地质灾害气象风险一般（四级）",
            "加强地质灾害隐患点巡查和监测，群测群防员上岗到位。",
            "Geological hazard risk: moderate (grade IV)",
            "Patrol and monitor hazard sites; monitors on duty.",
        ),
        2: Wording(
            "地质灾害气象风险较高（三级）",
            "群测群防员加密巡查监测，发现险情立即报告；受威胁群众做好避险转移准备。",
            "Geological hazard risk: high (grade III)",
            "Monitors patrol more often and report any sign at once; threatened residents prepare to leave.",
        ),
        3: Wording(
            "地质灾害气象风险高（二级）",
            "立即转移隐患点受威胁群众；停止危险区域内的施工作业；暂停危险路段通行。",
            "Geological hazard risk: very high (grade II)",
            "Evacuate residents threatened by hazard sites now; stop work in danger zones; close "
            "dangerous road sections.",
        ),
        4: Wording(
            "地质灾害气象风险很高（一级）",
            "立即组织隐患点和危险区群众全部撤离，严禁人员进入危险区域；抢险救援队伍就位待命。",
            "Geological hazard risk: extreme (grade I)",
            "Evacuate everyone from hazard sites and danger zones now; keep everyone out; rescue teams "
            "stand by.",
        ),
    },
    "fire": {
        1: Wording(
            "森林火险等级较高",
            "加强野外火源管理，林区禁止吸烟、烧荒、烧纸；护林员加强巡护。",
            "Forest fire danger: moderate",
            "Control outdoor fire; no smoking or burning in forests; rangers patrol.",
        ),
        2: Wording(
            "森林火险等级高",
            "严格管控野外用火，进山路口设卡检查；扑火队伍做好出动准备；电力线路和景区加强巡查。",
            "Forest fire danger: high",
            "Strict control of outdoor fire with checkpoints; fire crews ready; patrol power lines and "
            "scenic areas.",
        ),
        3: Wording(
            "森林火险等级很高",
            "禁止一切野外用火；加密巡护，扑火队伍靠前驻防；发现火情立即报告并组织扑救。",
            "Forest fire danger: very high",
            "No outdoor fire at all; dense patrols; fire crews forward-deployed; report any fire at once.",
        ),
        4: Wording(
            "森林火险等级极高",
            "全面禁止野外用火，必要时封山；扑火队伍24小时待命；林区周边人员做好疏散准备。",
            "Forest fire danger: extreme",
            "Total ban on outdoor fire, forests may be closed; fire crews on 24-hour standby; people near "
            "forests prepare to leave.",
        ),
    },
}

EVENT_EN = {"rain": "Rainstorm", "geohazard": "Geological hazard", "fire": "Forest fire danger"}


def event_zh(hazard: str, level: int) -> str:
    """E.g. 暴雨橙色预警."""
    return f"{HAZARD_ZH[hazard]}{LEVELS[level].zh}色预警"


def places_zh(names: list[str], limit: int = 3) -> str:
    """青石镇、白沙乡等5个乡镇."""
    if len(names) <= limit:
        return "、".join(names)
    return f"{'、'.join(names[:limit])}等{len(names)}个乡镇"


def headline_zh(issuer: str, hazard: str, level: int, township_names: list[str]) -> str:
    return f"{issuer}发布{places_zh(township_names)}{event_zh(hazard, level)}"


def headline_en(hazard: str, level: int, n_townships: int) -> str:
    return f"{EVENT_EN[hazard]} {LEVELS[level].colour} warning for {n_townships} township(s)"


def default_instruction(hazard: str, level: int) -> str:
    return WORDING[hazard][level].instruction_zh


def default_description(hazard: str, level: int, township_names: list[str], detail: str = "") -> str:
    text = f"{places_zh(township_names)}：{WORDING[hazard][level].meaning_zh}。"
    return text + detail


def ack_request_zh(deadline_min: float) -> str:
    return f"请在{deadline_min:g}分钟内点击链接确认收到（叫应）"

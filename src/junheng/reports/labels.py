"""Chinese labels shared by the evaluation reports (presentation only)."""

from __future__ import annotations

from typing import Any

STAGE_ZH = {"preschool": "学前", "primary": "小学", "junior": "初中", "senior": "高中"}
PART_ZH = {
    "resources": "资源配置",
    "balance": "校际均衡",
    "government": "政府保障程度",
    "quality": "教育质量",
    "recognition": "社会认可度",
    "veto": "一票否决",
    "targets": "市级目标",
}
STATUS_ZH = {"passed": "达标", "failed": "未达标", "not_reported": "未报告", "reported": "已计算"}
COUNTY_ZH = {"passed": "通过", "failed": "未通过", "not_reported": "未报告 (不能认定)"}
COMPARISON_ZH = {"ge": "≥", "le": "≤", "eq": "＝", "gt": ">", "lt": "<"}  # full-width ＝: a bare "=" cell reads as a formula
KEY_ZH = {
    **STAGE_ZH,
    "teaching_point": "教学点", "nine_year": "九年一贯制", "twelve_year": "十二年一贯制",
    "complete_secondary": "完全中学", "classes_per_room": "每间对应班级数",
    "music_area_m2": "音乐教室面积m²", "art_area_m2": "美术教室面积m²",
    "normal_max": "正常上限", "large_max": "偏大上限", "big_max": "大班额上限",
}


def status_zh(status: str | None) -> str:
    return STATUS_ZH.get(status or "", "—")


def county_verdict_zh(status: str | None) -> str:
    return COUNTY_ZH.get(status or "", "—")


def fmt_value(v: Any) -> Any:
    """A rule or measured value as a cell: numbers stay numbers, mappings become text."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dict):
        return "; ".join(f"{KEY_ZH.get(str(k), k)} {fmt_value(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(str(fmt_value(x)) for x in v)
    return v

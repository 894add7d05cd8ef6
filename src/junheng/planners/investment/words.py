"""The investment plan's notes and reasons in words, Chinese and English (see
:mod:`junheng.domain.reasons`).

The planner gives its notes, the text of each recurring budget line and the explanation of its
new campuses as kinds and numbers; this table says them. The Chinese sentences are those the
planner always wrote. A note's JSON is still the one bilingual line ``"中文 / English"`` it
always was (:func:`note_json`), so the plan's JSON and workbook do not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from junheng.domain.reasons import Reason, Words
from junheng.standards.labels import label

P = Mapping[str, Any]


def _stage(stage: str, lang: str) -> str:
    return label("stage", stage, lang) or stage


def _teacher(column: str, lang: str, zh: Mapping[str, str]) -> str:
    return zh[column] if lang == "zh" else (label("column", column, "en") or column)


def _seats(p: P, lang: str) -> str:
    """A seat's land and building cost by stage."""
    if lang == "zh":
        return "、".join(f"{_stage(s, 'zh')} {v:,.0f} 元" for s, v in p["seat_yuan"].items())
    return ", ".join(f"{_stage(s, 'en')} {v:,.0f} yuan" for s, v in p["seat_yuan"].items())


def _campus_zh(p: P, w: Words) -> str:
    src = "、".join(f"{name} {n} 人" for name, n in p["sources"])
    staff = "；".join(_stage(st, "zh") + "、".join(f"{p['teacher_words'][col]} {n} 人" for col, n in v.items())
                      for st, v in p["staff"].items())
    return (
        f"新建{p['name']}（规划校址，{p['host']}以北约 {p['offset_m']:.0f} 米，选址待论证）："
        f"接收 {src}，共 {p['seats']} 个学位、{p['classes']} 个班；按标准配齐 {staff}，"
        f"教学及辅助用房 {p['teaching']:,.0f} m²、运动场地 {p['sports']:,.0f} m²、设备 {p['equipment']:,.0f} 元、"
        f"多媒体教室 {p['multimedia_rooms']} 间、音乐和美术教室各 {p['music_art_rooms']} 间；费用 {p['total']:,.0f} 元（土地与建设 {p['seat_cost']:,.0f}，"
        f"校区固定 {p['fixed']:,.0f}，教师首年 {p['teachers_cost']:,.0f}，设备 {p['equipment_cost']:,.0f}，多媒体教室 {p['multimedia_cost']:,.0f}）")


def _campus_en(p: P, w: Words) -> str:
    src = ", ".join(f"{name} {n}" for name, n in p["sources"])
    staff = "; ".join(_stage(st, "en") + ": " + ", ".join(
        f"{_teacher(col, 'en', p['teacher_words'])} {n}" for col, n in v.items())
        for st, v in p["staff"].items())
    return (
        f"New {p['name']} (proposed site about {p['offset_m']:.0f} m north of {p['host']}, to be "
        f"confirmed): takes {src} — {p['seats']} seats in {p['classes']} classes; staffed to the "
        f"standard with {staff}; {p['teaching']:,.0f} m² of teaching and auxiliary floor area, "
        f"{p['sports']:,.0f} m² of sports ground, equipment worth {p['equipment']:,.0f} yuan, "
        f"{p['multimedia_rooms']} multimedia classrooms, {p['music_art_rooms']} music and "
        f"{p['music_art_rooms']} art rooms; cost {p['total']:,.0f} yuan (land and building "
        f"{p['seat_cost']:,.0f}, campus fixed cost {p['fixed']:,.0f}, teachers' first year "
        f"{p['teachers_cost']:,.0f}, equipment {p['equipment_cost']:,.0f}, multimedia classrooms "
        f"{p['multimedia_cost']:,.0f})")


ZH: Words = {
    # Notes of the plan.
    "projected": lambda p, w: f"{p['target']} 学年学生数为预测值（由 {p['last']} 学年数据推算），其余办学条件沿用 {p['last']} 学年",
    "unreported": lambda p, w: "以下数据项有学校未填报，规划按 0 计并补足：" + "、".join(p["columns"]),
    "new_campuses": lambda p, w: (
        f"学校规模（g04）：新建 {p['campuses']} 个校区，共 {p['seats']} 个学位，"
        f"迁出学生数固定为超出上限的人数，见 new_campuses 和 explanation_zh"),
    "classes_estimated": lambda p, w: "部分学校没有与在校生一致的班级名单，增班数按全学段平均班额估算",
    "no_feasible_plan": lambda p, w: "求解器在时间上限内未找到可行方案或模型不可行",
    "budget_short": lambda p, w: f"年度预算不足：到 {p['target']} 年仍缺 {p['missing']:,.0f} 元",
    # What a recurring budget line pays for.
    "pay_parity": lambda p, w: f"每名教师年均增资 {p['gap']:,.0f} 元 × {p['teachers']} 人",
    "special_funding": lambda p, w: f"生均增加 {p['gap']:,.0f} 元 × {p['students']} 名学生",
    "small_schools": lambda p, w: (
        f"{p['schools']} 所不足{p['funded_as']}人的村小和教学点按{p['funded_as']}人补足公用经费"),
    # The new campuses of g04.
    "campus_intro": lambda p, w: (
        f"{p['schools']} 所学校超过规模上限（g04），新建 {p['campuses']} 个校区接收超出的学生。每校只迁出超出上限的人数："
        f"一个学位的土地与建设费（{_seats(p, 'zh')}）"
        "远高于少一名学生为原校省下的资源费用，多迁不会更省；迁出人数固定后，差异系数仍按固定学生数计算。"
        f"相距不超过 {p['max_km']:g} 公里的超员学校合建一个校区（每个校区固定费用 {p['fixed']:,.0f} 元），"
        "校区不超过规模上限。原校保留全部教师、校舍和设备，生均指标随之提高；学生按年级比例迁出，连同班级一起迁走。"),
    "campus": _campus_zh,
    "seat_cheaper": lambda p, w: (
        f"注意：{_stage(p['stage'], 'zh')}每学位费用 {p['seat']:,.0f} 元低于少一名学生可为原校省下的上限 {p['saved']:,.0f} 元，"
        "多迁学生可能更省；本规划仍只迁出超出上限的人数。"),
    "rezone_instead": lambda p, w: (
        "超出很少的学校（" + "、".join(f"{name} {n} 人" for name, n in p["schools"])
        + "）也可通过调整招生片区解决（见 junheng zones），可能比新建校区更省。"),
}

EN: Words = {
    "projected": lambda p, w: f"students of {p['target']} are projected from {p['last']}; other stocks carried forward",
    "unreported": lambda p, w: "unreported stocks planned as zero: " + ", ".join(p["columns"]),
    "new_campuses": lambda p, w: f"{p['campuses']} new campuses take the students above the size caps",
    "classes_estimated": lambda p, w: "classes estimated from stage totals where no matching class list",
    "no_feasible_plan": lambda p, w: "no feasible plan found",
    "budget_short": lambda p, w: f"budget short by {p['missing']:,.0f} yuan by {p['target']}",
    "pay_parity": lambda p, w: f"{p['gap']:,.0f} yuan more a year for each of {p['teachers']} teachers",
    "special_funding": lambda p, w: f"{p['gap']:,.0f} yuan more per student for {p['students']} students",
    "small_schools": lambda p, w: (
        f"{p['schools']} village schools and teaching points under {p['funded_as']} students "
        f"funded as {p['funded_as']}"),
    "campus_intro": lambda p, w: (
        f"{p['schools']} schools are above the size cap (g04): {p['campuses']} new campuses take "
        f"the students above it. Each school moves only its excess: a seat's land and building "
        f"cost ({_seats(p, 'en')}) "
        f"is far above what one pupil fewer saves the school, so moving more is not cheaper; "
        f"with the numbers moved fixed, the CVs are computed on fixed pupil numbers. Oversized "
        f"schools at most {p['max_km']:g} km apart share one campus (fixed cost "
        f"{p['fixed']:,.0f} yuan each), which stays within the size cap. The schools keep all "
        f"their teachers, buildings and equipment, so their per-pupil figures rise; pupils move "
        f"in proportion by grade, with their classes."),
    "campus": _campus_en,
    "seat_cheaper": lambda p, w: (
        f"Note: a {_stage(p['stage'], 'en').lower()} seat costs {p['seat']:,.0f} yuan, less than "
        f"the {p['saved']:,.0f} yuan one pupil fewer can save the school at most, so moving more "
        f"pupils may be cheaper; this plan still moves only the excess."),
    "rezone_instead": lambda p, w: (
        "Schools only a little over the cap ("
        + ", ".join(f"{name} {n}" for name, n in p["schools"])
        + ") could instead be solved by redrawing the admission zones (see junheng zones), "
          "which may cost less than a new campus."),
}

WORDS: Mapping[str, Words] = {"zh": ZH, "en": EN}


def say(reason: Reason, lang: str = "zh") -> str:
    return reason.words(WORDS, lang)


def note_json(reason: Reason) -> str:
    """A note as the plan's JSON has always had it: the Chinese, " / ", the English."""
    return f"{say(reason)} / {say(reason, 'en')}"

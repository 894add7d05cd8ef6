"""The rotation list's reasons in words, Chinese and English (see :mod:`junheng.domain.reasons`).

:mod:`junheng.planners.teachers.rotation` gives each explanation, rule check and destination
reason as a kind and its numbers; this table says them. The Chinese sentences are those the
planner always wrote (its JSON and Excel are unchanged); the English say the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from junheng.domain.reasons import Reason, Words

# The three teacher shortfalls the list closes (rotation.KINDS).
KIND_LABEL = {"backbone": "县级以上骨干教师", "degree": "高于规定学历教师", "pe_art": "体育、艺术专任教师"}
KIND_LABEL_EN = {"backbone": "backbone teachers (county level or above)",
                 "degree": "teachers above the required degree", "pe_art": "PE and art teachers"}
# A relaxation the infeasibility diagnosis tries (rotation._RELAXATIONS), by parameter.
RELAXATION = {
    "max_km": ("距离上限放宽一倍", "doubling the distance limit"),
    "subject_balance": ("学科平衡放宽 2 人", "2 more in the subject balance"),
    "headcount_balance": ("总人数平衡放宽 2 人", "2 more in the headcount balance"),
    "max_out_share": ("每校调出比例放宽到 50%", "letting up to 50 % leave a school"),
    "nearest_schools": ("每人可去学校增加到 30 所", "30 candidate schools per teacher"),
    "direction.min_share_toward": ("流向乡村、薄弱学校的比例下限减半",
                                   "halving the minimum share toward rural and weak schools"),
    "direction.backbone_min_share_toward": (
        "骨干教师流向乡村、薄弱学校的比例下限减半",
        "halving the minimum share of backbone teachers toward rural and weak schools"),
}

# What a result short of a proven optimum means, for the CLI (the page has its own words).
STATUS_NOTE = {
    "feasible": "求解达到时间上限：名单满足全部规则，但未证明最优 / the time limit was reached: "
                "the list meets every rule but is not proven optimal",
    "unknown": "在时间上限内没有找到名单，这不表示规则无法满足（多半是计算机繁忙）：请稍后重新排名单，"
               "仍不行时延长求解时间上限 solver.time_limit_s / no list was found within the time "
               "limit, which does not mean the rules cannot be met (most often a busy computer): "
               "run it again later, or raise solver.time_limit_s",
    "infeasible": "在现有约束下无法排出满足比例要求的名单，原因见 explanation_zh / no list meets "
                  "every rule under these limits; explanation_zh says why",
}

P = Mapping[str, Any]


def _pct(v: float) -> str:
    return f"{v:.0%}"


def _target_zh(p: P, w: Words) -> str:
    why = []
    if p["rural"]:
        why.append("乡村学校")
    if p["weak"]:
        why.append(f"薄弱学校（{p['below']} 项教师队伍指标低于本县水平）")
    return "、".join(why)


def _target_en(p: P, w: Words) -> str:
    why = []
    if p["rural"]:
        why.append("rural school")
    if p["weak"]:
        why.append(f"weak school ({p['below']} teacher indicators below the county level)")
    return "; ".join(why)


def _direction_zh(p: P, w: Words) -> str:
    return (f"轮岗方向（{p['source']}：优秀校长和骨干教师向乡村学校、薄弱学校流动）："
            f"乡村或薄弱学校 {p['targets']} 个学段；从其他学校调出 {p['moves_from_other']} 人，"
            f"其中 {p['moves_toward']} 人去往乡村或薄弱学校"
            f"（{(p['share_toward'] or 0):.1%}，下限 {p['min_share_toward']:.0%}），"
            f"骨干教师 {p['backbone_moved']} 人中 {p['backbone_toward']} 人去往乡村或薄弱学校"
            f"（下限 {p['backbone_min_share_toward']:.0%}）"
            + (f"；这些调动平均 {p['km_mean']} 公里、最远 {p['km_max']} 公里"
               if p["km_mean"] is not None else "") + "。")


def _direction_en(p: P, w: Words) -> str:
    return (f"Direction ({p['source']}: good principals and backbone teachers move to rural and "
            f"weak schools): {p['targets']} rural or weak school stages; of the "
            f"{p['moves_from_other']} teachers leaving other schools, {p['moves_toward']} go to "
            f"rural or weak schools ({(p['share_toward'] or 0):.1%}, at least "
            f"{p['min_share_toward']:.0%}), and {p['backbone_toward']} of the "
            f"{p['backbone_moved']} backbone teachers moved go there (at least "
            f"{p['backbone_min_share_toward']:.0%})"
            + (f"; these moves average {p['km_mean']} km, at most {p['km_max']} km"
               if p["km_mean"] is not None else "") + ".")


def _recheck_zh(p: P, w: Words) -> str:
    failed = p["failed"]
    return ("逐条复核：全部通过。" if not failed
            else "逐条复核未通过：" + "；".join(w[r.kind](r.params, w) for r in failed))


def _recheck_en(p: P, w: Words) -> str:
    failed = p["failed"]
    return ("Every rule re-checked: all pass." if not failed
            else "Rules re-checked, failing: " + "; ".join(w[r.kind](r.params, w) for r in failed))


def _most_zh(p: P, w: Words) -> str:
    # Proven (CP-SAT's optimum, or a list as large as the LP bound): the most. Otherwise the
    # list found is only a least, and the LP bound, when there is one, an upper limit.
    if p.get("proven", True):
        return f"在现有约束下最多只能安排 {p['most']} 人轮岗，而规则要求至少 {p['required']} 人。"
    cap = f"（不超过 {p['bound']} 人）" if p.get("bound") is not None else ""
    if p["most"]:
        return (f"在现有约束下至少可以安排 {p['most']} 人轮岗，但在时间上限内未能证明最多能安排多少人"
                f"{cap}；规则要求至少 {p['required']} 人。")
    return f"在时间上限内未能算出现有约束下最多能安排多少人轮岗{cap}；规则要求至少 {p['required']} 人。"


def _most_en(p: P, w: Words) -> str:
    if p.get("proven", True):
        return (f"Under these constraints at most {p['most']} teachers can rotate, and the rule "
                f"asks for at least {p['required']}.")
    cap = f" (it is at most {p['bound']})" if p.get("bound") is not None else ""
    if p["most"]:
        return (f"Under these constraints at least {p['most']} teachers can rotate; the time limit "
                f"passed before the most that can was proven{cap}. The rule asks for at least "
                f"{p['required']}.")
    return (f"The time limit passed before the number of teachers these constraints let rotate "
            f"was found{cap}. The rule asks for at least {p['required']}.")


def _relaxations_zh(p: P, w: Words) -> str:
    # A relaxation the time limit left open is unknown: it may or may not help.
    helps, open_ = p["helps"], p.get("unknown", [])
    unknown = "、".join(RELAXATION[k][0] for k in open_)
    if helps:
        return ("单独放宽以下任一项即可排出名单：" + "、".join(RELAXATION[k][0] for k in helps)
                + (f"；以下各项在时间上限内未能判定：{unknown}" if open_ else ""))
    if open_:
        others = len(RELAXATION) > len(open_)
        return (f"单独放宽以下各项是否足够，在时间上限内未能判定：{unknown}"
                + ("；单独放宽其余任何一项都不够。" if others else "。"))
    return "单独放宽任何一项约束都不够，需同时放宽多项或核实符合条件教师名单。"


def _relaxations_en(p: P, w: Words) -> str:
    helps, open_ = p["helps"], p.get("unknown", [])
    unknown = "; ".join(RELAXATION[k][1] for k in open_)
    if helps:
        return ("Relaxing any one of these alone gives a list: "
                + "; ".join(RELAXATION[k][1] for k in helps)
                + (f". The time limit passed before these were settled: {unknown}" if open_ else ""))
    if open_:
        others = len(RELAXATION) > len(open_)
        return (f"The time limit passed before it was settled whether relaxing any of these alone "
                f"is enough: {unknown}"
                + ("; no other single relaxation is." if others else "."))
    return ("No single relaxation is enough: relax several, or check the list of eligible "
            "teachers.")


ZH: Words = {
    # The plan's explanation, in order.
    "basis": lambda p, w: (
        f"依据：{p['source']} {p['clause'] or ''}：每年交流轮岗教师不低于符合条件教师的 "
        f"{p['min_share']:.0%}，其中骨干教师不低于轮岗人数的 {p['backbone_share']:.0%}（县级及以上骨干）。"),
    "eligible": lambda p, w: (
        f"符合条件的教师 {p['eligible']} 人（本校任教满 {p['min_years']} 年、距退休 "
        f"{p['years_before_retirement']} 年以上{'、数据标记为符合' if p['data_flag'] else ''}）；"
        f"不符合的 {p['excluded']} 人未列入。"),
    "rotated": lambda p, w: (
        f"至少需轮岗 {p['required']} 人；本名单轮岗 {p['rotated']} 人（{(p['rotated_share'] or 0):.1%}），"
        f"其中骨干 {p['backbone']} 人（{(p['backbone_share'] or 0):.1%}）。"),
    "objective": lambda p, w: (
        f"目标：首先补足各校骨干、高学历、体艺教师的缺口（每缺 1 人计 {p['shortfall_weight']} 分），"
        f"其次缩短路程（每公里 1 分），每多调 1 人计 {p['per_move_weight']} 分，因此只在有益时多于下限。"),
    "direction_none": lambda p, w: "轮岗方向：本县没有乡村学校或薄弱学校，方向规则不适用。",
    "direction": _direction_zh,
    "shortfalls": lambda p, w: "缺口（按 2017 办法阈值折算的整人数）：" + "；".join(
        f"{KIND_LABEL[k]} 轮岗前 {b} 人 → 轮岗后 {p['after'][k]} 人" for k, b in p["before"].items()),
    "constraints": lambda p, w: (
        f"约束：同学段之间调动；单程不超过 {p['max_km']} 公里，每人只考虑最近的 {p['nearest_schools']} 所学校；"
        f"每校每学科调入调出之差不超过 {p['subject_balance']} 人，总人数净变化不超过 {p['headcount_balance']} 人；"
        f"每校调出不超过本校教师的 {p['max_out_share']:.0%}；轮岗总数不超过符合条件教师的 {p['max_share']:.0%}。"),
    "status_infeasible": lambda p, w: "在上述约束下无法排出满足比例要求的名单：请放宽距离上限、学科平衡或调出比例后重试。",
    "status_feasible": lambda p, w: "求解达到时间上限，名单满足全部规则，但未证明目标最优。",
    "status_optimal": lambda p, w: "求解已证明最优。",
    "status_unknown": lambda p, w: (
        "在时间上限内没有找到名单，这不表示规则无法满足（多半是计算机繁忙或区县较大）："
        "请稍后重新排名单；仍不行时延长求解时间上限。"),
    "recheck": _recheck_zh,
    "recheck_none": lambda p, w: "没有名单可复核。",
    "most_possible": _most_zh,
    "relaxations": _relaxations_zh,
    # Why a destination counts (a move's ``to_reason``, a target school's reason).
    "target": _target_zh,
    # The rule checks (check_rotation), by rule.
    "min_share": lambda p, w: f"轮岗 {p['rotated']} 人 / 符合条件 {p['eligible']} 人，不低于 {p['min_share']:.0%}",
    "backbone_share": lambda p, w: f"其中骨干教师 {p['backbone']} 人，不低于轮岗人数的 {p['backbone_share']:.0%}",
    "eligible_only": lambda p, w: "名单中每位教师都符合轮岗条件（任教年限、距退休年限、数据标记）",
    "unique_teachers": lambda p, w: "每位教师只轮岗到一所学校",
    "real_move": lambda p, w: "调往的是另一所学校，且与原学校学段相同",
    "from_matches_data": lambda p, w: "调出学校与教师名单一致",
    "max_km": lambda p, w: f"单程距离不超过 {p['max_km']} 公里",
    "subject_balance": lambda p, w: f"每校每学科调入与调出之差不超过 {p['subject_balance']} 人",
    "headcount_balance": lambda p, w: f"每校总人数净变化不超过 {p['headcount_balance']} 人",
    "max_out_share": lambda p, w: f"每校调出人数不超过本校教师的 {p['max_out_share']:.0%}",
    "direction_not_applicable": lambda p, w: "本县（该学段）没有乡村学校或薄弱学校，轮岗方向规则不适用",
    "direction_toward": lambda p, w: (
        f"从其他学校调出的 {p['from_other']} 人中去往乡村、薄弱学校 {p['toward']} 人，不低于 "
        f"{p['min_share_toward']:.0%}（{p['source']}）"),
    "backbone_toward": lambda p, w: (
        f"轮岗骨干教师 {p['backbone']} 人中去往乡村、薄弱学校 {p['toward']} 人，不低于 "
        f"{p['backbone_min_share_toward']:.0%}"),
}

EN: Words = {
    "basis": lambda p, w: (
        f"Basis: {p['source']} {p['clause'] or ''}: each year at least {p['min_share']:.0%} of the "
        f"eligible teachers rotate, and at least {p['backbone_share']:.0%} of those rotated are "
        f"backbone teachers (county level or above)."),
    "eligible": lambda p, w: (
        f"{p['eligible']} teachers are eligible ({p['min_years']} years or more at their school, "
        f"more than {p['years_before_retirement']} years before retirement"
        f"{', marked eligible in the data' if p['data_flag'] else ''}); the {p['excluded']} "
        f"others are not listed."),
    "rotated": lambda p, w: (
        f"At least {p['required']} must rotate; this list rotates {p['rotated']} "
        f"({(p['rotated_share'] or 0):.1%}), {p['backbone']} of them backbone teachers "
        f"({(p['backbone_share'] or 0):.1%})."),
    "objective": lambda p, w: (
        f"Objective: first close the schools' shortfalls of backbone, degree and PE/art teachers "
        f"({p['shortfall_weight']} points per teacher missing), then shorten the journeys (1 point "
        f"per km); each extra move costs {p['per_move_weight']} points, so the list goes beyond "
        f"the minimum only where that helps."),
    "direction_none": lambda p, w: (
        "Direction: the county has no rural or weak schools; the direction rule does not apply."),
    "direction": _direction_en,
    "shortfalls": lambda p, w: (
        "Shortfalls (whole teachers to the 2017 thresholds): " + "; ".join(
            f"{KIND_LABEL_EN[k]} {b} before → {p['after'][k]} after"
            for k, b in p["before"].items())),
    "constraints": lambda p, w: (
        f"Constraints: moves within a stage; at most {p['max_km']} km one way, each teacher "
        f"considering the nearest {p['nearest_schools']} schools; per school and subject, moves "
        f"in and out differ by at most {p['subject_balance']}, the headcount changes by at most "
        f"{p['headcount_balance']}; at most {p['max_out_share']:.0%} of a school's teachers leave; "
        f"in all at most {p['max_share']:.0%} of the eligible teachers rotate."),
    "status_infeasible": lambda p, w: (
        "No list meets the share under these constraints: relax the distance limit, the subject "
        "balance or the share leaving a school and draw again."),
    "status_feasible": lambda p, w: (
        "The solver reached its time limit: the list meets every rule but is not proven optimal."),
    "status_optimal": lambda p, w: "The solver proved the list optimal.",
    "status_unknown": lambda p, w: (
        "No list was found within the time limit, which does not mean the rules cannot be met "
        "(most often a busy machine or a large county): draw again later; if it still fails, "
        "raise the solver's time limit."),
    "recheck": _recheck_en,
    "recheck_none": lambda p, w: "There is no list to re-check.",
    "most_possible": _most_en,
    "relaxations": _relaxations_en,
    "target": _target_en,
    "min_share": lambda p, w: (
        f"{p['rotated']} rotated of {p['eligible']} eligible, at least {p['min_share']:.0%}"),
    "backbone_share": lambda p, w: (
        f"{p['backbone']} backbone teachers among them, at least {p['backbone_share']:.0%} of "
        f"those rotated"),
    "eligible_only": lambda p, w: (
        "Every teacher listed is eligible (years at the school, years before retirement, the "
        "data's flag)"),
    "unique_teachers": lambda p, w: "Each teacher rotates to one school only",
    "real_move": lambda p, w: "Each goes to another school of the same stage",
    "from_matches_data": lambda p, w: "The home school is the one in the teacher list",
    "max_km": lambda p, w: f"At most {p['max_km']} km one way",
    "subject_balance": lambda p, w: (
        f"Per school and subject, moves in and out differ by at most {p['subject_balance']}"),
    "headcount_balance": lambda p, w: (
        f"Each school's headcount changes by at most {p['headcount_balance']}"),
    "max_out_share": lambda p, w: (
        f"At most {p['max_out_share']:.0%} of a school's teachers leave it"),
    "direction_not_applicable": lambda p, w: (
        "The county has no rural or weak schools (of this stage): the direction rule does not "
        "apply"),
    "direction_toward": lambda p, w: (
        f"{p['toward']} of the {p['from_other']} teachers leaving other schools go to rural or "
        f"weak schools, at least {p['min_share_toward']:.0%} ({p['source']})"),
    "backbone_toward": lambda p, w: (
        f"{p['toward']} of the {p['backbone']} backbone teachers rotated go to rural or weak "
        f"schools, at least {p['backbone_min_share_toward']:.0%}"),
}

WORDS: Mapping[str, Words] = {"zh": ZH, "en": EN}


def say(reason: Reason, lang: str = "zh") -> str:
    return reason.words(WORDS, lang)

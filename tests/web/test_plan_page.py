"""The plan page (issue #13): the total is the sum of the listed actions, school counts before
and after over their own totals, a moved teacher's school named, and requirements the limits
make unattainable shown in words with the cost of lifting the limits."""

from __future__ import annotations

import pytest
from planners.investment.tiny import COUNTY, school_id, tiny_county

from junheng.domain.dataset import Dataset
from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import load_costs
from junheng.planners.investment.results import InvestmentPlan
from junheng.web.i18n import Translator
from junheng.web.services import planning
from junheng.web.templating import templates
from tests.web.conftest import Site


class _Data:
    """What ``planning.shape_plan`` reads of the data service: the dataset."""

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds

    def dataset(self) -> Dataset:
        return self._ds


def _page(plan: InvestmentPlan, ds: Dataset, lang: str = "zh") -> str:
    v = planning.shape_plan(_Data(ds), COUNTY, plan)  # type: ignore[arg-type]
    t = Translator(lang)
    return templates.env.get_template("plan.html").render(
        {"t": t, "lang": lang, "user": None, "csrf_token": "", "path": f"/plans/{COUNTY}", "v": v,
         "code": COUNTY, "name": "测试县", "target": 2024, "city_wide": False})


def test_plan_page_total_counts_and_moves(site: Site) -> None:
    c = site.login("city")
    page = c.get("/plans/620723?target=2024").text
    assert 'id="plan-total"' in page and "措施清单各项之和" in page
    assert "→" in page and 'id="plan-schools"' in page
    assert "调入" in page     # 临泽's plan moves teachers: the page names where they come from


def test_plan_api_returns_the_plan_document(site: Site) -> None:
    c = site.login("city")
    r = c.get("/api/plans/620723?target=2024")
    assert r.status_code == 200
    doc = r.json()
    assert doc["county_code"] == "620723" and doc["target_year"] == 2024
    assert sum(a["cost_yuan"] for a in doc["actions"]) == pytest.approx(doc["total_cost_yuan"], abs=0.05)
    assert doc["check"]["plan_check_passed"] is True and doc["after"]["counties"]
    assert c.get("/api/plans/999999").status_code == 404


def test_unattainable_in_words_with_the_cost_of_lifting_limits() -> None:
    ds = tiny_county([600, 300, 300], {0: {"sports_area_m2": 3000.0, "teaching_area_m2": 2400.0}})
    costs = load_costs({"school_limits": {school_id(0): {"sports_area_max_m2": 0}}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)
    what_if = plan.what_if_no_limits
    assert plan.unattainable and what_if is not None and what_if.over_limit
    page = _page(plan, ds)
    assert 'id="plan-unattainable"' in page
    assert plan.unattainable[0].text_zh in page
    assert "取消上限的代价" in page and 'id="plan-over-limit"' in page
    assert what_if.extra_cost_yuan is not None
    extra = what_if.extra_cost_yuan / 10000
    assert f"{extra:,.0f}" in page and "体育运动场地新建上限（土地）" in page
    en = _page(plan, ds, "en")
    assert "The cost of lifting the limits" in en and "within the limits" in en
    assert "new sports ground per school (land)" in en and "Build sports ground" in en
    assert "build_sports_area_m2" not in en and "sports_area_max_m2" not in en
    total = sum(a.cost_yuan for a in plan.action_rows())
    assert f"{total / 10000:,.0f}" in page
    names = plan.actions["school_name"].to_list()
    assert "测试学校0" in names


def test_no_raw_ids_on_the_chinese_plan_page() -> None:
    import re

    ds = tiny_county([600, 300, 300], {0: {"sports_area_m2": 3000.0, "teaching_area_m2": 2400.0},
                                        1: {"backbone_teachers": 6}, 2: {"backbone_teachers": 1}})
    costs = load_costs({"school_limits": {school_id(0): {"sports_area_max_m2": 0}}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, time_limit=30)
    html = _page(plan, ds)
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    assert not re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", visible)


def test_english_page_says_the_notes_and_reasons_in_english() -> None:
    """The plan's notes, its budget lines and the new campuses' explanation come as kinds and
    numbers: the English page says them in English, the Chinese page in the planner's words."""
    from tests.web.test_english_pages import chinese_left

    ds = tiny_county([2300, 600])
    costs = load_costs({"new_campus": {"seat_yuan": {"primary": 1000}}})
    plan = plan_county(ds, COUNTY, 2024, costs=costs, budget=1000.0, time_limit=30)
    assert plan.new_campuses and plan.notes and plan.explanation
    zh, en = _page(plan, ds), _page(plan, ds, "en")
    assert all(line in zh for line in plan.explanation_zh)
    assert "年度预算不足" in zh and "budget short by" not in zh  # one language per page
    assert "Budget short by" in en or "budget short by" in en
    assert "new campuses take the students above" in en and "Note: a primary seat costs" in en
    # Left in Chinese: the schools' names, and the planner's name for a proposed campus.
    names = sorted({*ds.table("schools")["school_name"].to_list(),
                    *(c.school_name for c in plan.new_campuses), "测试县"}, key=len, reverse=True)
    body = en.split("<body", 1)[-1]
    assert chinese_left(body.replace('<span class="logo">均</span>', ""), names) == []

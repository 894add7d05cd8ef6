"""The staff's lists of a round come a page at a time, cut by the database.

A county's round holds thousands of applications (甘州区's demo primary round: 4,748) and as
many results: the page shows 50 or 100, the queue's order puts those awaiting review first,
filters narrow by status, claimed or verified category and part of the application id, the
counts per status add up to the total, and the page links keep the filters. Every address
parameter is bounded. The family's form takes only the years a family may apply for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa

from junheng.web import admissions_models as am
from junheng.web.services import admissions as svc
from junheng.web.services.accounts import find_user
from tests.admissions.web_support import YEAR, add_county, add_many, resident_id
from tests.web.conftest import Site, csrf_from

COUNTY = "620702"
Q = {"county": COUNTY, "year": str(YEAR), "stage": "primary"}
N = 130


def _add_many(site: Site, n: int = N) -> list[dict[str, Any]]:
    add_county(site.engine, COUNTY)  # type: ignore[arg-type]
    rows = add_many(site.engine, COUNTY, n)  # type: ignore[arg-type]
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    return rows


def _ids(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r">(\d{4}\d{6}T\d{5})<", body)


def _counts(page: str, block: str) -> dict[str, int]:
    line = page.split(f'id="{block}"', 1)[1].split("</p>", 1)[0]
    found = re.findall(r">([^<>]*?) (\d+)</", line)
    return {unescape(w): int(n) for w, n in found}


def _links(page: str, text: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a[^>]*href="([^"]+)"[^>]*>{text}</a>', page)]


@pytest.fixture
def listed(site: Site) -> Iterator[tuple[Site, list[dict[str, Any]]]]:
    yield site, _add_many(site)


def test_the_queue_a_page_at_a_time(listed: tuple[Site, list[dict[str, Any]]]) -> None:
    site, rows = listed
    staff = site.login("ganzhou")
    page = staff.get("/admissions", params=Q).text
    waiting = [r["application_id"] for r in rows if r["status"] == "submitted"]
    returned = [r["application_id"] for r in rows if r["status"] == "returned"]
    shown = _ids(page, "application-list")
    # 50 a page; those awaiting review first, then the returned ones, each in arrival order.
    assert len(shown) == 50
    assert shown[:len(waiting)] == waiting and waiting
    assert shown[len(waiting):len(waiting) + len(returned)] == returned
    # The counts per status are all there and add up to the total in the heading.
    counts = _counts(page, "status-counts")
    assert counts.pop("全部") == N == sum(counts.values())
    assert f"申请（{N}）" in page
    assert counts[svc.STATUSES["submitted"][0]] == len(waiting)
    # The pages: 3 of them, the last holding the rest; past the end is the last page.
    last = staff.get("/admissions", params={**Q, "page": "3"}).text
    assert len(_ids(last, "application-list")) == N - 100
    assert _ids(staff.get("/admissions", params={**Q, "page": "999"}).text,
                "application-list") == _ids(last, "application-list")
    every = [i for p in (1, 2, 3) for i in _ids(
        staff.get("/admissions", params={**Q, "page": str(p)}).text, "application-list")]
    assert sorted(every) == sorted(r["application_id"] for r in rows)
    hundred = staff.get("/admissions", params={**Q, "size": "100"}).text
    assert len(_ids(hundred, "application-list")) == 100
    # A size outside the fixed set is the default one.
    assert len(_ids(staff.get("/admissions", params={**Q, "size": "7"}).text,
                    "application-list")) == 50


def test_filters_narrow_and_the_links_keep_them(
        listed: tuple[Site, list[dict[str, Any]]]) -> None:
    site, rows = listed
    staff = site.login("ganzhou")
    for params, keep in [
        ({"status": "returned"}, lambda r: r["status"] == "returned"),
        ({"claimed": "migrant"}, lambda r: r["category_claimed"] == "migrant"),
        ({"verified": "hukou"}, lambda r: r["category_verified"] == "hukou"),
        ({"status": "approved", "claimed": "house", "verified": "other"},
         lambda r: (r["status"], r["category_claimed"], r["category_verified"])
         == ("approved", "house", "other")),
        ({"q": "T0012"}, lambda r: "T0012" in r["application_id"]),
        ({"q": f"{YEAR}{COUNTY}T00042"}, lambda r: r["application_id"].endswith("T00042")),
        ({"q": "%"}, lambda r: False),  # a LIKE wildcard is a character, not "anything"
    ]:
        page = staff.get("/admissions", params={**Q, **params, "size": "100"}).text
        expected = [r for r in rows if keep(r)]
        assert sorted(_ids(page, "application-list") if expected else []) == sorted(
            r["application_id"] for r in expected), params
        # The counts per status stay those of the whole round.
        counts = _counts(page, "status-counts")
        assert counts.pop("全部") == N == sum(counts.values())
    # Page 2 of the approved migrants claims: the links keep every filter and the size.
    params = {**Q, "status": "approved", "claimed": "hukou_house"}
    approved = [r for r in rows if r["status"] == "approved"
                and r["category_claimed"] == "hukou_house"]
    assert len(approved) <= 50
    page = staff.get("/admissions", params={**Q, "status": "approved"}).text
    (following,) = [h for h in _links(page, "下一页") if h.endswith("#applications")]
    assert "status=approved" in following and "page=2" in following
    assert f"county={COUNTY}" in following and f"year={YEAR}" in following
    second = staff.get(following.split("#")[0]).text
    assert all(r["status"] == "approved" for r in rows
               if r["application_id"] in _ids(second, "application-list"))
    narrowed = staff.get("/admissions", params={**params, "q": "T00"}).text
    assert 'value="T00"' in narrowed and "清除条件" in narrowed


@pytest.mark.parametrize("params", [
    {"page": "0"}, {"page": "-1"}, {"page": "x"}, {"size": "0"}, {"size": "101"},
    {"status": "draft"}, {"claimed": "vip"}, {"verified": "x" * 40}, {"q": "9" * 41},
    {"rpage": "0"}, {"outcome": "3"},
])
def test_every_address_parameter_is_bounded(site: Site, params: dict[str, str]) -> None:
    """Out of bounds is a refused request (the site's 400 page), never a query."""
    staff = site.login("ganzhou")
    assert staff.get("/admissions", params={**Q, **params}).status_code == 400


def test_the_database_cuts_the_page(listed: tuple[Site, list[dict[str, Any]]]) -> None:
    """The page's queries on the applications ask for one page (LIMIT), never for the whole
    round's rows."""
    site, _ = listed
    staff = site.login("ganzhou")
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(site.engine, "before_cursor_execute", record)
    try:
        assert staff.get("/admissions", params={**Q, "page": "2"}).status_code == 200
    finally:
        sa.event.remove(site.engine, "before_cursor_execute", record)
    rows = [s for s in seen if re.search(r"FROM adm_applications\b", s)
            and "child_name" in s.split(" FROM ")[0]]
    assert rows and all("LIMIT" in s for s in rows), rows


def _draw(site: Site, rows: list[dict[str, Any]]) -> None:
    staff_user = find_user(site.engine, "ganzhou")  # type: ignore[arg-type]
    assert staff_user is not None
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.update(am.applications).where(am.applications.c.status.in_(
            ("submitted", "returned"))).values(status="approved",
                                               category_verified="hukou_house"))
    engine = site.engine
    svc.freeze(engine, staff_user, COUNTY, YEAR, "primary", "")  # type: ignore[arg-type]
    svc.announce_seed(engine, staff_user, COUNTY, YEAR, "primary", "42", "")  # type: ignore[arg-type]
    svc.draw(engine, staff_user, COUNTY, YEAR, "primary",  # type: ignore[arg-type]
             site.app.state.data.dataset())  # type: ignore[attr-defined]


def test_the_results_a_page_at_a_time(listed: tuple[Site, list[dict[str, Any]]]) -> None:
    site, rows = listed
    _draw(site, rows)
    drawn = [r for r in rows if r["status"] != "rejected"]
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        stored = {r.application_id: r for r in conn.execute(sa.select(am.results)).all()}
    assert len(stored) == len(drawn)
    by_number = sorted(stored, key=lambda a: stored[a].lottery_number)
    staff = site.login("ganzhou")
    page = staff.get("/admissions", params=Q).text
    assert _ids(page, "result-list") == by_number[:50]
    assert _ids(staff.get("/admissions", params={**Q, "rpage": "2"}).text,
                "result-list") == by_number[50:100]
    # The outcomes' counts add up to all; "待调剂" lists exactly the unplaced.
    counts = _counts(page, "result-counts")
    assert counts.pop("全部") == len(drawn) == sum(counts.values())
    unplaced = [a for a in by_number if stored[a].round is None]
    assert counts["待调剂"] == len(unplaced) > 50
    waiting = staff.get("/admissions", params={**Q, "outcome": "none", "rpage": "2"}).text
    assert _ids(waiting, "result-list") == unplaced[50:100]
    placed = staff.get("/admissions", params={**Q, "outcome": "1"}).text
    assert _ids(placed, "result-list") == [a for a in by_number if stored[a].round == 1]
    # The children's names beside their results (masked), and the search reaches them too.
    one = by_number[0]
    child = next(r["child_name"] for r in rows if r["application_id"] == one)
    found = staff.get("/admissions", params={**Q, "q": one[-6:]}).text
    assert _ids(found, "result-list") == [one] and svc.mask_name(child) in found
    # The results' page links keep the applications' page and the outcome.
    links = _links(staff.get("/admissions", params={**Q, "page": "2", "outcome": "none"}).text,
                   "下一页")
    assert any("rpage=2" in h and "page=2" in h and "outcome=none" in h for h in links)


def _apply(site: Site, fam: Any, token: str, year: int, key: str) -> Any:
    return fam.post("/family/apply", data={
        "csrf_token": token, "idempotency_key": key, "year": str(year),
        "county_code": COUNTY, "entry_stage": "primary", "child_name": "李小红",
        "resident_id": resident_id(f"{year - 6}0301", "456"), "area_id": f"{COUNTY}-A1",
        "housing": "own", "category_claimed": "hukou_house"})


def test_a_family_applies_only_for_a_year_open_to_it(site: Site) -> None:
    """The coming entry year, and a year with the county's plan whose round is still open;
    any other year typed into the address is refused in words, and nothing is stored."""
    add_county(site.engine, COUNTY)  # type: ignore[arg-type]
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    coming = svc.entry_year()
    assert svc.apply_years(site.engine, site.app.state.data,  # type: ignore[arg-type,attr-defined]
                           COUNTY, "primary") == tuple(sorted({YEAR, coming}))
    fam, fam_en = site.login("parent"), site.login("parent")
    token = csrf_from(fam.get("/family/apply").text)
    for year in (2000, coming + 1, 2100, YEAR - 1):
        form = fam.get("/family/apply", params={"county": COUNTY, "year": year})
        assert form.status_code == 400
        assert f"{year}学年不受理入学申请" in form.text and str(coming) in form.text
        assert f'name="year" value="{coming}"' in form.text  # the form for the coming year
        en = fam_en.get("/family/apply", params={"county": COUNTY, "year": year, "lang": "en"})
        assert en.status_code == 400 and f"applications for {year} are not accepted" in en.text
        sent = _apply(site, fam, token, year, f"k{year}")
        assert sent.status_code == 400 and f"{year}学年不受理入学申请" in sent.text
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(am.applications)
                            ).scalar_one() == 0
    # The open years are taken.
    assert fam.get("/family/apply", params={"county": COUNTY, "year": YEAR}).status_code == 200
    assert _apply(site, fam, token, YEAR, "open").status_code == 303
    assert _apply(site, fam, token, coming, "coming").status_code == 303
    # Once the round of the plan's year is frozen, that year is no longer open.
    staff_user = find_user(site.engine, "ganzhou")  # type: ignore[arg-type]
    assert staff_user is not None
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.update(am.applications).values(status="approved",
                                                       category_verified="hukou_house"))
    svc.freeze(site.engine, staff_user, COUNTY, YEAR, "primary", "")  # type: ignore[arg-type]
    if coming != YEAR:
        closed = fam.get("/family/apply", params={"county": COUNTY, "year": YEAR})
        assert closed.status_code == 400 and f"{YEAR}学年不受理入学申请" in closed.text
    late = _apply(site, fam, token, YEAR, "late")
    assert late.status_code == 400 and "名单已冻结" in late.text

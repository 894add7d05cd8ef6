"""The matcher on every case the issue names, on hand-made data."""

from __future__ import annotations

import polars as pl
import pytest

from aid.helpers import D, bad, dataset, listed, rid, student
from junheng.aid.eligibility import evaluate_aid
from junheng.aid.match import normalise_name, normalise_resident_id, resident_id_valid

ID1 = rid("62070220150308001")
ID2 = rid("62070220140101002")


def _run(students: list[dict[str, object]], lists: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return evaluate_aid(dataset(students, lists), 2024)


def test_true_match_by_resident_id() -> None:
    r = _run([student("s1", resident_id=ID1, name="张三", birth_date=D)],
             [listed("dibao", resident_id=ID1, name="张三")])
    assert r.match.matches.select("student_id", "source", "category", "method",
                                  "needs_review").rows() == [
        ("s1", "civil_affairs", "dibao", "resident_id", False)]
    assert r.match.problems.height == 0


def test_full_width_and_spaced_number_and_lower_x_still_match() -> None:
    x_id = rid("62070220150308008")
    assert x_id.endswith("X")
    full = "".join(chr(ord(c) + 0xFEE0) for c in ID1[:6]) + " " + ID1[6:]
    r = _run([student("s1", resident_id=ID1), student("s2", resident_id=x_id)],
             [listed("dibao", resident_id=full), listed("tekun", resident_id=x_id.lower())])
    assert sorted(r.match.matches["student_id"].to_list()) == ["s1", "s2"]
    assert set(r.match.matches["method"]) == {"resident_id"}


@pytest.mark.parametrize("list_name", ["张 三", "张　三", "ＺＨＡＮＧ三", " 张三 "])
def test_spaced_or_full_width_name_matches_by_name_and_birth_date(list_name: str) -> None:
    roll_name = "ZHANG三" if "Ｚ" in list_name else "张三"
    r = _run([student("s1", name=roll_name, birth_date=D)],
             [listed("orphan", name=list_name, birth_date=D)])
    assert r.match.matches.select("student_id", "method").rows() == [("s1", "name_birth_date")]


def test_missing_number_on_the_roll_matches_by_name_and_birth_date() -> None:
    r = _run([student("s1", name="李四", birth_date=D)],
             [listed("monitored", resident_id=ID1, name="李四", birth_date=D)])
    assert r.match.matches.select("student_id", "method").rows() == [("s1", "name_birth_date")]


def test_number_on_both_sides_that_differs_is_not_matched_by_name() -> None:
    r = _run([student("s1", resident_id=ID2, name="李四", birth_date=D)],
             [listed("monitored", resident_id=ID1, name="李四", birth_date=D)])
    assert r.match.matches.height == 0
    assert r.match.problems.select("kind").to_series().to_list() == ["not_on_roll"]


def test_bad_checksum_is_a_problem_and_never_a_match() -> None:
    wrong = bad("62070220150308001")
    r = _run([student("s1", resident_id=wrong[:17] + ID1[17], name="王五", birth_date=D)],
             [listed("dibao", resident_id=wrong, name="王五", birth_date=D)])
    assert r.match.matches.height == 0
    assert r.match.problems.select("source", "row", "kind").rows() == [
        ("civil_affairs", 1, "bad_checksum")]


def test_bad_checksum_on_the_roll_is_reported_too() -> None:
    r = _run([student("s1", resident_id=bad("62070220150308001"))], [])
    assert r.match.problems.select("source", "row", "kind").rows() == [
        ("students", 1, "bad_checksum")]


def test_same_number_with_a_different_name_is_flagged_for_review() -> None:
    r = _run([student("s1", resident_id=ID1, name="张三", birth_date=D)],
             [listed("dibao", resident_id=ID1, name="张山")])
    assert r.match.matches.select("student_id", "method", "needs_review").rows() == [
        ("s1", "resident_id", True)]
    assert r.match.problems.select("kind").to_series().to_list() == ["name_differs"]


def test_listed_person_not_on_the_roll() -> None:
    r = _run([student("s1", resident_id=ID1, name="张三", birth_date=D)],
             [listed("tekun", resident_id=ID2, name="赵六", birth_date=D),
              listed("tekun", name="钱七", birth_date=D)])
    assert r.match.matches.height == 0
    assert r.match.problems.select("row", "kind").rows() == [(1, "not_on_roll"),
                                                             (2, "not_on_roll")]


def test_twins_with_the_same_name_and_birth_date_are_ambiguous() -> None:
    r = _run([student("s1", name="张三", birth_date=D), student("s2", name="张三", birth_date=D)],
             [listed("dibao", name="张三", birth_date=D)])
    assert r.match.matches.height == 0
    assert r.match.problems["kind"].to_list() == ["ambiguous"]


def test_no_number_and_no_birth_date_is_missing_identity() -> None:
    r = _run([student("s1", name="张三", birth_date=D)], [listed("dibao", name="张三")])
    assert r.match.problems["kind"].to_list() == ["missing_identity"]


def test_rejected_matches_give_no_category() -> None:
    ds = dataset([student("s1", resident_id=ID1, name="张三")],
                 [listed("dibao", resident_id=ID1, name="张山")])
    rejected = pl.DataFrame({"student_id": ["s1"], "source": ["civil_affairs"],
                             "category": ["dibao"]})
    r = evaluate_aid(ds, 2024, rejected=rejected)
    assert r.match.matches.height == 0 and r.not_aided.height == 0
    assert evaluate_aid(ds, 2024).not_aided.height == 1


def test_checksum_expression_agrees_with_the_validator() -> None:
    import unicodedata

    from junheng.io.validate import _resident_id_ok

    ids = [ID1, ID2, bad("62070220150308001"), "12345", "6207022015030800１X", ID1.lower(),
           None]
    got = pl.DataFrame({"id": ids}).select(
        resident_id_valid(normalise_resident_id(pl.col("id"))).alias("ok"))["ok"].to_list()
    assert got == [None if i is None else _resident_id_ok(unicodedata.normalize("NFKC", i))
                   for i in ids]


def test_name_normalisation() -> None:
    names = ["阿依古丽•买买提", "阿依古丽·买买提", "阿依古丽 · 买买提", "", None]
    got = pl.DataFrame({"n": names}).select(normalise_name(pl.col("n")).alias("n"))["n"].to_list()
    assert got[:3] == ["阿依古丽·买买提"] * 3 and got[3:] == [None, None]

"""Matching the school roll with other departments' lists (民政, 乡村振兴, 残联 …).

By 身份证号 first: both sides normalised (full-width digits, spaces, a lower-case x) and the
GB 11643 check digit validated as column expressions; a list number with a wrong check digit
is a problem of kind ``bad_checksum`` and never a match (a typo could point at another child).
Where a number is missing — on the list, or on the roll for a number the roll does not hold —
by name and birth date, names compared after Unicode NFKC (full/half width), without spaces
and with one middle dot. A match under the same number whose names differ is kept but marked
``needs_review``; a name and birth date shared by two children on the roll is ``ambiguous``.
Everything is a join over whole frames: no Python loop per student or list row.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# GB 11643-1999: ISO 7064 MOD 11-2 weights of the first 17 digits and the check characters.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

METHOD_RESIDENT_ID = "resident_id"
METHOD_NAME_BIRTH = "name_birth_date"
PROBLEM_KINDS = ("bad_checksum", "name_differs", "ambiguous", "not_on_roll", "missing_identity")


def normalise_resident_id(col: pl.Expr) -> pl.Expr:
    """Full-width digits and X to half width, no spaces, upper-case check character."""
    text = (col.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_uppercase())
    return pl.when(text.str.len_chars() > 0).then(text)


def resident_id_valid(col: pl.Expr) -> pl.Expr:
    """True when an (already normalised) 18-character id has the right check character;
    null when the id is null."""
    total = pl.sum_horizontal([col.str.slice(i, 1).cast(pl.Int32, strict=False) * w
                               for i, w in enumerate(_WEIGHTS)])
    expected = (total % 11).replace_strict(
        {i: c for i, c in enumerate(_CHECK)}, return_dtype=pl.Utf8, default=None)
    shaped = col.str.contains(r"^\d{17}[\dX]$")
    return pl.when(col.is_null()).then(None).otherwise(
        shaped & (col.str.slice(17, 1) == expected).fill_null(False))


def normalise_name(col: pl.Expr) -> pl.Expr:
    """Names as compared: NFKC (full-width letters and spaces become half width), no
    whitespace, one kind of middle dot (names of Yugur and Tibetan pupils in 肃南 carry one),
    upper case for Latin letters."""
    text = (col.str.normalize("NFKC").str.replace_all(r"\s", "")
            .str.replace_all("[•‧・･]", "·").str.to_uppercase())
    return pl.when(text.str.len_chars() > 0).then(text)


@dataclass(frozen=True)
class MatchResult:
    matches: pl.DataFrame   # student_id, school_id, source, category, method, needs_review, row
    problems: pl.DataFrame  # source, row, kind, category

    def student_categories(self) -> pl.DataFrame:
        """student_id → the list categories each matched student is in."""
        return (self.matches.group_by("student_id")
                .agg(pl.col("category").unique().sort().alias("categories")))


_MATCH_SCHEMA = {"student_id": pl.Utf8, "school_id": pl.Utf8, "source": pl.Utf8,
                 "category": pl.Utf8, "method": pl.Utf8, "needs_review": pl.Boolean,
                 "row": pl.Int64}
_PROBLEM_SCHEMA = {"source": pl.Utf8, "row": pl.Int64, "kind": pl.Utf8, "category": pl.Utf8}


def prepare_roll(students: pl.DataFrame) -> pl.DataFrame:
    """The roll's matching keys: normalised number (only when its check digit is right),
    normalised name, birth date."""
    return (students.with_row_index("roll_row", offset=1)
            .select(pl.col("roll_row").cast(pl.Int64), "student_id", "school_id",
                    normalise_resident_id(pl.col("resident_id")).alias("rid"),
                    normalise_name(pl.col("name")).alias("nm"), "birth_date")
            .with_columns(resident_id_valid(pl.col("rid")).alias("rid_ok")))


def match_lists(students: pl.DataFrame, lists: pl.DataFrame) -> MatchResult:
    """Match one year's roll (``students``) with that year's department lists (``lists``).

    ``row`` of a list is its 1-based position in ``lists``; of the roll, in ``students``."""
    roll = prepare_roll(students)
    lst = (lists.with_row_index("row", offset=1)
           .select(pl.col("row").cast(pl.Int64), "source", "category",
                   normalise_resident_id(pl.col("resident_id")).alias("rid"),
                   normalise_name(pl.col("name")).alias("nm"), "birth_date")
           .with_columns(resident_id_valid(pl.col("rid")).alias("rid_ok")))

    bad_list = lst.filter(pl.col("rid_ok") == False).select(  # noqa: E712 (null-aware)
        "source", "row", pl.lit("bad_checksum").alias("kind"), "category")
    bad_roll = roll.filter(pl.col("rid_ok") == False).select(  # noqa: E712
        pl.lit("students").alias("source"), pl.col("roll_row").alias("row"),
        pl.lit("bad_checksum").alias("kind"), pl.lit(None, pl.Utf8).alias("category"))

    # 1. By number: valid numbers on both sides.
    good = lst.filter(pl.col("rid_ok") == True)  # noqa: E712
    by_id = good.join(roll.filter(pl.col("rid_ok") == True).select(  # noqa: E712
        "rid", "student_id", "school_id", pl.col("nm").alias("roll_nm")), on="rid", how="inner")
    by_id = by_id.with_columns(
        (pl.col("nm").is_not_null() & pl.col("roll_nm").is_not_null()
         & (pl.col("nm") != pl.col("roll_nm"))).alias("needs_review"),
        pl.lit(METHOD_RESIDENT_ID).alias("method"))
    differs = by_id.filter(pl.col("needs_review")).select(
        "source", "row", pl.lit("name_differs").alias("kind"), "category")

    # 2. By name and birth date: list rows without a number, and valid numbers the roll lacks,
    # against roll students whose own number is missing (or wrong) in the second case.
    rest = pl.concat([lst.filter(pl.col("rid").is_null()),
                      good.join(by_id.select("row"), on="row", how="anti")])
    no_identity = rest.filter(pl.col("rid").is_null()
                              & (pl.col("nm").is_null() | pl.col("birth_date").is_null()))
    candidates = (rest.filter(pl.col("nm").is_not_null() & pl.col("birth_date").is_not_null())
                  .join(roll.select("nm", "birth_date", "student_id", "school_id",
                                    pl.col("rid_ok").alias("roll_rid_ok")),
                        on=["nm", "birth_date"], how="inner")
                  .filter(pl.col("rid").is_null() | ~pl.col("roll_rid_ok").fill_null(False)))
    counts = candidates.group_by("row").agg(pl.col("student_id").n_unique().alias("n"))
    single = candidates.join(counts.filter(pl.col("n") == 1), on="row", how="semi")
    ambiguous = counts.filter(pl.col("n") > 1).join(rest, on="row", how="inner").select(
        "source", "row", pl.lit("ambiguous").alias("kind"), "category")
    by_name = single.unique("row", keep="first").with_columns(
        pl.lit(False).alias("needs_review"), pl.lit(METHOD_NAME_BIRTH).alias("method"))
    matched_rows = pl.concat([by_id.select("row"), by_name.select("row"),
                              ambiguous.select("row")])
    not_on_roll = (rest.join(matched_rows, on="row", how="anti")
                   .join(no_identity.select("row"), on="row", how="anti")
                   .select("source", "row", pl.lit("not_on_roll").alias("kind"), "category"))
    missing = no_identity.select("source", "row", pl.lit("missing_identity").alias("kind"),
                                 "category")

    cols = list(_MATCH_SCHEMA)
    matches = (pl.concat([by_id.select(cols), by_name.select(cols)])
               .unique(["student_id", "source", "category", "method"], keep="first")
               .sort("row", "student_id"))
    problems = (pl.concat([f.select(list(_PROBLEM_SCHEMA)).cast(_PROBLEM_SCHEMA)  # type: ignore[arg-type]
                           for f in (bad_list, differs, ambiguous, not_on_roll, missing,
                                     bad_roll)])
                .sort("source", "row", "kind"))
    return MatchResult(matches.cast(_MATCH_SCHEMA), problems)  # type: ignore[arg-type]

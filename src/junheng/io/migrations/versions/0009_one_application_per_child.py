"""Admissions: the database keeps one live application per child, year and entry grade.

The check in the submission could be raced by two submissions of the same child at once; a
partial unique index (rejected applications do not count) replaces the plain lookup index.
Existing duplicates are named, not silently dropped: the migration stops and lists them.

Revision ID: 0009_one_application_per_child
Revises: 0008_area_geometry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_one_application_per_child"
down_revision = "0008_area_geometry"
branch_labels = None
depends_on = None

LIVE = "status <> 'rejected'"


def upgrade() -> None:
    dupes = op.get_bind().execute(sa.text(
        "SELECT resident_id, year, entry_stage, COUNT(*) AS n FROM adm_applications "
        f"WHERE {LIVE} GROUP BY resident_id, year, entry_stage HAVING COUNT(*) > 1")).all()
    if dupes:
        listed = "; ".join(f"{r.year} {r.entry_stage} {r.resident_id[:6]}… ×{r.n}"
                           for r in dupes[:20])
        raise RuntimeError(
            f"同一儿童有多份有效入学申请, 请先不予受理多余的申请: {listed} / "
            f"{len(dupes)} children have more than one live application; reject the extra ones "
            "first, then upgrade again")
    op.drop_index("ix_adm_applications_child", table_name="adm_applications")
    op.create_index("ux_adm_applications_child", "adm_applications",
                    ["resident_id", "year", "entry_stage"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    op.drop_index("ux_adm_applications_child", table_name="adm_applications")
    op.create_index("ix_adm_applications_child", "adm_applications",
                    ["resident_id", "year", "entry_stage"])

"""Areas may carry their outline (GeoJSON Polygon or MultiPolygon text) for the zones maps.

Revision ID: 0008_area_geometry
Revises: 0007_admissions_overrides
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_area_geometry"
down_revision = "0007_admissions_overrides"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("geometry", sa.Text(), nullable=True, comment="片区边界"))


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("geometry")

"""Profiles, profile revisions, profile-set revisions and baselines.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "profile_set_revision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_profile_set_revision"),
    )
    op.create_table(
        "action_type",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(35), nullable=False),
        sa.Column("version", sa.String(9), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_action_type"),
        sa.UniqueConstraint(
            "category",
            "owner",
            "provider",
            "version",
            name="uq_action_type_category_owner_provider_version",
        ),
    )
    op.create_table(
        "profile_revision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_type_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("set_revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("supported_since", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_type_id"],
            ["action_type.id"],
            name="fk_profile_revision_action_type_id_action_type",
        ),
        sa.ForeignKeyConstraint(
            ["set_revision"],
            ["profile_set_revision.id"],
            name="fk_profile_revision_set_revision_profile_set_revision",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_profile_revision"),
        sa.UniqueConstraint(
            "action_type_id", "revision", name="uq_profile_revision_action_type_id_revision"
        ),
    )
    op.create_index("ix_profile_revision_action_type_id", "profile_revision", ["action_type_id"])
    op.create_index("ix_profile_revision_set_revision", "profile_revision", ["set_revision"])
    op.create_table(
        "baseline",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", JSON_DOC, nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_baseline"),
        sa.UniqueConstraint("name", name="uq_baseline_name"),
    )


def downgrade() -> None:
    op.drop_table("baseline")
    op.drop_index("ix_profile_revision_set_revision", table_name="profile_revision")
    op.drop_index("ix_profile_revision_action_type_id", table_name="profile_revision")
    op.drop_table("profile_revision")
    op.drop_table("action_type")
    op.drop_table("profile_set_revision")

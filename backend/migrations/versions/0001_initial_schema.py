"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:41:49.124413
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.CheckConstraint("role IN ('viewer', 'operator', 'admin')", name=op.f("ck_app_user_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=True,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'dead')", name=op.f("ck_outbox_status_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "risk_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("inputs_checksum", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'published', 'failed')", name=op.f("ck_risk_run_status_known")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name=op.f("ck_risk_run_validity_ordered"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_run")),
    )
    op.create_index("ix_risk_run_checksum", "risk_run", ["inputs_checksum"], unique=False)
    op.create_table(
        "road",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("class IN ('county', 'township', 'village')", name=op.f("ck_road_class_known")),
        sa.CheckConstraint("length_m > 0", name=op.f("ck_road_length_positive")),
        sa.CheckConstraint("source <> target", name=op.f("ck_road_no_self_loop")),
        sa.CheckConstraint("speed_kmh > 0", name=op.f("ck_road_speed_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road")),
        sa.UniqueConstraint(
            "source", "target", name="uq_road_source_target", deferrable=True, initially="DEFERRED"
        ),
    )
    op.create_index("ix_road_geom_gist", "road", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_road_source"), "road", ["source"], unique=False)
    op.create_index(op.f("ix_road_target"), "road", ["target"], unique=False)
    op.create_table(
        "township",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_township_code_12_digits")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_township_geom_valid")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_township_population_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township")),
        sa.UniqueConstraint("code", name=op.f("uq_township_code")),
    )
    op.create_index("ix_township_geom_gist", "township", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "evacuation_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_evacuation_plan_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["risk_run.id"], name=op.f("fk_evacuation_plan_run_id_risk_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evacuation_plan")),
    )
    op.create_index(op.f("ix_evacuation_plan_run_id"), "evacuation_plan", ["run_id"], unique=False)
    op.create_table(
        "risk_zone",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("hazard", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("dominant_hazard", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "hazard IN ('onemap', 'rain', 'fire', 'geohazard')",
            name=op.f("ck_risk_zone_hazard_known"),
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_risk_zone_geom_valid")),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_risk_zone_level_range")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["risk_run.id"],
            name=op.f("fk_risk_zone_run_id_risk_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_zone")),
    )
    op.create_index("ix_risk_zone_geom_gist", "risk_zone", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("ix_risk_zone_run_hazard", "risk_zone", ["run_id", "hazard", "detail"], unique=False)
    op.create_table(
        "shelter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("occupancy", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "class IN ('emergency', 'short', 'medium', 'long', 'central')",
            name=op.f("ck_shelter_class_known"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed', 'full')", name=op.f("ck_shelter_status_known")),
        sa.CheckConstraint("area_m2 >= 0", name=op.f("ck_shelter_area_nonneg")),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_shelter_capacity_nonneg")),
        sa.CheckConstraint("occupancy >= 0", name=op.f("ck_shelter_occupancy_nonneg")),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_shelter_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter")),
        sa.UniqueConstraint("code", name=op.f("uq_shelter_code")),
    )
    op.create_index("ix_shelter_geom_gist", "shelter", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_shelter_township_id"), "shelter", ["township_id"], unique=False)
    op.create_table(
        "township_risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("hazard", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("dominant_hazard", sa.String(length=16), nullable=True),
        sa.Column("area_share_1", sa.Float(), nullable=False),
        sa.Column("area_share_2", sa.Float(), nullable=False),
        sa.Column("area_share_3", sa.Float(), nullable=False),
        sa.Column("area_share_4", sa.Float(), nullable=False),
        sa.Column("exposed_1", sa.Integer(), nullable=False),
        sa.Column("exposed_2", sa.Integer(), nullable=False),
        sa.Column("exposed_3", sa.Integer(), nullable=False),
        sa.Column("exposed_4", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "hazard IN ('onemap', 'rain', 'fire', 'geohazard')",
            name=op.f("ck_township_risk_hazard_known"),
        ),
        sa.CheckConstraint("area_share_1 BETWEEN 0 AND 1", name=op.f("ck_township_risk_share_1_range")),
        sa.CheckConstraint("area_share_2 BETWEEN 0 AND 1", name=op.f("ck_township_risk_share_2_range")),
        sa.CheckConstraint("area_share_3 BETWEEN 0 AND 1", name=op.f("ck_township_risk_share_3_range")),
        sa.CheckConstraint("area_share_4 BETWEEN 0 AND 1", name=op.f("ck_township_risk_share_4_range")),
        sa.CheckConstraint("exposed_1 >= 0", name=op.f("ck_township_risk_exposed_1_nonneg")),
        sa.CheckConstraint("exposed_2 >= 0", name=op.f("ck_township_risk_exposed_2_nonneg")),
        sa.CheckConstraint("exposed_3 >= 0", name=op.f("ck_township_risk_exposed_3_nonneg")),
        sa.CheckConstraint("exposed_4 >= 0", name=op.f("ck_township_risk_exposed_4_nonneg")),
        sa.CheckConstraint("level BETWEEN 0 AND 4", name=op.f("ck_township_risk_level_range")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["risk_run.id"],
            name=op.f("fk_township_risk_run_id_risk_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_township_risk_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_township_risk")),
        sa.UniqueConstraint(
            "run_id",
            "township_id",
            "hazard",
            name=op.f("uq_township_risk_run_id_township_id_hazard"),
        ),
    )
    op.create_index(op.f("ix_township_risk_run_id"), "township_risk", ["run_id"], unique=False)
    op.create_index(op.f("ix_township_risk_township_id"), "township_risk", ["township_id"], unique=False)
    op.create_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("elderly", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_village_code_12_digits")),
        sa.CheckConstraint(
            "elderly >= 0 AND elderly <= population",
            name=op.f("ck_village_elderly_within_population"),
        ),
        sa.CheckConstraint("households >= 0", name=op.f("ck_village_households_nonneg")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_village_population_nonneg")),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_village_township_id_township")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village")),
        sa.UniqueConstraint("code", name=op.f("uq_village_code")),
    )
    op.create_index("ix_village_geom_gist", "village", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_village_township_id"), "village", ["township_id"], unique=False)
    op.create_table(
        "warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=128), nullable=False),
        sa.Column("hazard", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("msg_type", sa.String(length=16), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("references_id", sa.Integer(), nullable=True),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "hazard IN ('onemap', 'rain', 'fire', 'geohazard')",
            name=op.f("ck_warning_hazard_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'updated', 'cancelled', 'expired')",
            name=op.f("ck_warning_status_known"),
        ),
        sa.CheckConstraint("expires > onset", name=op.f("ck_warning_expires_after_onset")),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_warning_level_range")),
        sa.ForeignKeyConstraint(["issued_by"], ["app_user.id"], name=op.f("fk_warning_issued_by_app_user")),
        sa.ForeignKeyConstraint(
            ["references_id"], ["warning.id"], name=op.f("fk_warning_references_id_warning")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["risk_run.id"], name=op.f("fk_warning_run_id_risk_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning")),
        sa.UniqueConstraint("identifier", name=op.f("uq_warning_identifier")),
    )
    op.create_index(op.f("ix_warning_references_id"), "warning", ["references_id"], unique=False)
    op.create_index(op.f("ix_warning_run_id"), "warning", ["run_id"], unique=False)
    op.create_table(
        "evacuation_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("shelter_id", sa.Integer(), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("elderly", sa.Integer(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTILINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "elderly >= 0 AND elderly <= persons",
            name=op.f("ck_evacuation_assignment_elderly_within_persons"),
        ),
        sa.CheckConstraint("persons >= 0", name=op.f("ck_evacuation_assignment_persons_nonneg")),
        sa.CheckConstraint("trips >= 0", name=op.f("ck_evacuation_assignment_trips_nonneg")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["evacuation_plan.id"],
            name=op.f("fk_evacuation_assignment_plan_id_evacuation_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shelter_id"], ["shelter.id"], name=op.f("fk_evacuation_assignment_shelter_id_shelter")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_evacuation_assignment_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evacuation_assignment")),
    )
    op.create_index(
        "ix_evacuation_assignment_geom_gist",
        "evacuation_assignment",
        ["geom"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        op.f("ix_evacuation_assignment_plan_id"), "evacuation_assignment", ["plan_id"], unique=False
    )
    op.create_table(
        "hazard_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("threatened_people", sa.Integer(), nullable=False),
        sa.Column("threat_radius_m", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('landslide', 'collapse', 'debris_flow', 'flood_point')",
            name=op.f("ck_hazard_site_kind_known"),
        ),
        sa.CheckConstraint("threat_radius_m > 0", name=op.f("ck_hazard_site_radius_positive")),
        sa.CheckConstraint("threatened_people >= 0", name=op.f("ck_hazard_site_threatened_nonneg")),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_hazard_site_township_id_township")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["village.id"], name=op.f("fk_hazard_site_village_id_village")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_site")),
        sa.UniqueConstraint("code", name=op.f("uq_hazard_site_code")),
    )
    op.create_index(
        "ix_hazard_site_geom_gist", "hazard_site", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(op.f("ix_hazard_site_township_id"), "hazard_site", ["township_id"], unique=False)
    op.create_index(op.f("ix_hazard_site_village_id"), "hazard_site", ["village_id"], unique=False)
    op.create_table(
        "recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "phone IS NOT NULL OR email IS NOT NULL OR role = 'county_duty'",
            name=op.f("ck_recipient_reachable"),
        ),
        sa.CheckConstraint(
            "role IN ('county_duty', 'township_leader', 'village_head', 'grid_worker', 'monitor')",
            name=op.f("ck_recipient_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_recipient_township_id_township")
        ),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name=op.f("fk_recipient_village_id_village")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient")),
        sa.UniqueConstraint("code", name=op.f("uq_recipient_code")),
    )
    op.create_index(op.f("ix_recipient_township_id"), "recipient", ["township_id"], unique=False)
    op.create_index(op.f("ix_recipient_village_id"), "recipient", ["village_id"], unique=False)
    op.create_table(
        "warning_township",
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"], ["township.id"], name=op.f("fk_warning_township_township_id_township")
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warning.id"],
            name=op.f("fk_warning_township_warning_id_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warning_id", "township_id", name=op.f("pk_warning_township")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ack_token_hash", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'webhook', 'broadcast')",
            name=op.f("ck_delivery_channel_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'delivered', 'failed', 'acknowledged')",
            name=op.f("ck_delivery_status_known"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_delivery_attempts_nonneg")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipient.id"], name=op.f("fk_delivery_recipient_id_recipient")
        ),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name=op.f("fk_delivery_village_id_village")),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warning.id"],
            name=op.f("fk_delivery_warning_id_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("ack_token_hash", name=op.f("uq_delivery_ack_token_hash")),
        sa.UniqueConstraint(
            "warning_id",
            "recipient_id",
            "channel",
            name=op.f("uq_delivery_warning_id_recipient_id_channel"),
        ),
    )
    op.create_index(op.f("ix_delivery_recipient_id"), "delivery", ["recipient_id"], unique=False)
    op.create_index(op.f("ix_delivery_warning_id"), "delivery", ["warning_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_warning_id"), table_name="delivery")
    op.drop_index(op.f("ix_delivery_recipient_id"), table_name="delivery")
    op.drop_table("delivery")
    op.drop_table("warning_township")
    op.drop_index(op.f("ix_recipient_village_id"), table_name="recipient")
    op.drop_index(op.f("ix_recipient_township_id"), table_name="recipient")
    op.drop_table("recipient")
    op.drop_index(op.f("ix_hazard_site_village_id"), table_name="hazard_site")
    op.drop_index(op.f("ix_hazard_site_township_id"), table_name="hazard_site")
    op.drop_index("ix_hazard_site_geom_gist", table_name="hazard_site", postgresql_using="gist")
    op.drop_table("hazard_site")
    op.drop_index(op.f("ix_evacuation_assignment_plan_id"), table_name="evacuation_assignment")
    op.drop_index(
        "ix_evacuation_assignment_geom_gist",
        table_name="evacuation_assignment",
        postgresql_using="gist",
    )
    op.drop_table("evacuation_assignment")
    op.drop_index(op.f("ix_warning_run_id"), table_name="warning")
    op.drop_index(op.f("ix_warning_references_id"), table_name="warning")
    op.drop_table("warning")
    op.drop_index(op.f("ix_village_township_id"), table_name="village")
    op.drop_index("ix_village_geom_gist", table_name="village", postgresql_using="gist")
    op.drop_table("village")
    op.drop_index(op.f("ix_township_risk_township_id"), table_name="township_risk")
    op.drop_index(op.f("ix_township_risk_run_id"), table_name="township_risk")
    op.drop_table("township_risk")
    op.drop_index(op.f("ix_shelter_township_id"), table_name="shelter")
    op.drop_index("ix_shelter_geom_gist", table_name="shelter", postgresql_using="gist")
    op.drop_table("shelter")
    op.drop_index("ix_risk_zone_run_hazard", table_name="risk_zone")
    op.drop_index("ix_risk_zone_geom_gist", table_name="risk_zone", postgresql_using="gist")
    op.drop_table("risk_zone")
    op.drop_index(op.f("ix_evacuation_plan_run_id"), table_name="evacuation_plan")
    op.drop_table("evacuation_plan")
    op.drop_index("ix_township_geom_gist", table_name="township", postgresql_using="gist")
    op.drop_table("township")
    op.drop_index(op.f("ix_road_target"), table_name="road")
    op.drop_index(op.f("ix_road_source"), table_name="road")
    op.drop_index("ix_road_geom_gist", table_name="road", postgresql_using="gist")
    op.drop_table("road")
    op.drop_index("ix_risk_run_checksum", table_name="risk_run")
    op.drop_table("risk_run")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("app_user")

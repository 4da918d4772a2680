"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from backend.http import problem, problems

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    postgis: str
    schema_revision: str | None = Field(alias="schema")


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Alive:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The service can reach its database",
    responses=problems(503),
)
def readyz(request: Request) -> Ready:
    try:
        with request.app.state.engine.connect() as conn:
            postgis = conn.execute(sa.text("SELECT postgis_lib_version()")).scalar()
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError:
        return problem(
            503,
            "Database unavailable",
            "the database is unreachable; check RISKMAP_DATABASE_URL and that PostgreSQL is running",
            "/readyz",
        )
    except SQLAlchemyError:
        return problem(
            503,
            "Database not migrated",
            "the database has no riskmap schema; run `riskmap db upgrade`",
            "/readyz",
        )
    return {"status": "ready", "postgis": postgis, "schema": revision}

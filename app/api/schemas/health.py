"""Liveness and readiness answers."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.api.schemas.common import Schema


class HealthOut(Schema):
    status: Literal["ok"]


class ReadinessOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "checks": {
                        "database": "ok",
                        "profiles": "ok (set revision 1)",
                        "catalog": "ok (22091 actions, 2026-09-26)",
                    },
                }
            ]
        }
    )

    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(
        description="database, profiles, catalog: `ok …` or what is wrong"
    )

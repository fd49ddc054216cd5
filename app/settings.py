"""Service settings, read from the environment (prefix-free names match the README)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.engine.budget import WorkLimits

DEFAULT_SQLITE_PATH = Path("var") / "pipeline-policy.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://...",
    )
    port: int = Field(default=8000, ge=1, le=65535)
    host: str = "127.0.0.1"
    workers: int = Field(default=1, ge=1, le=64)
    profile_refresh_seconds: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description="How often a replica checks the database for a new profile-set revision.",
    )
    max_request_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Larger request bodies get 413."
    )
    max_expanded_bytes: int = Field(
        default=8 * 5 * 1024 * 1024,
        ge=1024,
        description="A compressed catalogue snapshot (imported through the API or the command) "
        "that expands to more is refused as soon as it does (413), without expanding further. "
        "The default is 8 times the default MAX_REQUEST_BYTES: a real snapshot expands about 6 "
        "times, a decompression bomb a thousand.",
    )
    request_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="Requests not answered by then get 503."
    )
    max_work_steps: int = Field(
        default=1_000_000,
        ge=1_000,
        description="Steps of work one request may do: template values evaluated (a value used "
        "again counts again), statement pairs compared, requirements checked, statements "
        "weighed per evaluated request. Past it: a 422 at the place that multiplied.",
    )
    max_produced_characters: int = Field(
        default=8_000_000,
        ge=1_000,
        description="Characters of values one request's template evaluation may produce.",
    )
    max_produced_items: int = Field(
        default=200_000,
        ge=1_000,
        description="List and map members one request's template evaluation, and its "
        "explanations, may produce.",
    )
    max_automaton_work: int = Field(
        default=10_000_000,
        ge=1_000,
        description="Pattern-automaton work (wildcard containment) of one request, in automaton "
        "steps.",
    )
    max_response_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="A larger answer is not sent: a 422 says so instead.",
    )
    shutdown_timeout_seconds: int = Field(
        default=5,
        ge=1,
        le=600,
        description="On SIGTERM, requests still running after this are stopped.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (JSON list); none by default.",
    )
    hsts_seconds: int = Field(
        default=0,
        ge=0,
        le=2 * 365 * 24 * 3600,
        description="Send Strict-Transport-Security with this max-age when above 0 (set it "
        "when the service is reached over HTTPS only); off by default.",
    )
    log_level: str = "info"
    require_keys_for_reads: bool = Field(
        default=False,
        description="Reads need an API key with the `read` scope (writes always need `write`).",
    )
    protect_operational_endpoints: bool = Field(
        default=False,
        description="With keys required for reads, /metrics and the API docs (/docs, /redoc, "
        "/openapi.json, /static/docs) need a read key too.",
    )
    production: bool = Field(
        default=False, description="Production mode: turns REQUIRE_KEYS_FOR_READS on."
    )

    @property
    def keys_required_for_reads(self) -> bool:
        return self.require_keys_for_reads or self.production

    @property
    def work_limits(self) -> WorkLimits:
        return WorkLimits(
            steps=self.max_work_steps,
            characters=self.max_produced_characters,
            items=self.max_produced_items,
            automaton=self.max_automaton_work,
        )

    @property
    def sqlalchemy_url(self) -> str:
        url = self.database_url
        # Deployments often hand over libpq-style URLs; SQLAlchemy needs the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

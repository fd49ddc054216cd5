"""`catalog import|activate`: a catalogue that would break the service needs --force; a
compressed snapshot past MAX_EXPANDED_BYTES is refused at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from app.service import audit
from app.store.database import make_engine, make_session_factory

from ..catalogs import zeros_gzip
from ..documents import snapshot


def _last_audit_detail(url: str, action: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            (event,) = audit.events(session, before_id=None, limit=1, action=action)
    finally:
        engine.dispose()
    return event.detail


def test_force_on_import_and_activation(
    module_database_url: str, run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    url = module_database_url
    toy = tmp_path / "toy.json.gz"
    toy.write_bytes(snapshot("toy-cli"))

    refused = run_cli(url, "catalog", "import", str(toy), "--activate")
    assert refused.exit_code == 1, refused.output
    assert "would replace the one in use unsafely" in refused.output
    assert "below the floor of 100 services and 5000 actions" in refused.output
    assert '"dropped_actions_used_by_profiles"' in refused.output  # the difference, as JSON
    assert "Traceback" not in refused.output
    assert "toy-cli" not in run_cli(url, "catalog", "list").output  # nothing stored

    imported = run_cli(url, "catalog", "import", str(toy), "--force")
    assert imported.exit_code == 0, imported.output
    revision_id = imported.output.split()[2].rstrip(":")
    detail = _last_audit_detail(url, "catalog.import")
    assert detail["forced"] is True
    assert isinstance(detail["difference"], dict)
    assert detail["difference"]["after"] == {"services": 2, "actions": 3}

    not_forced = run_cli(url, "catalog", "activate", revision_id)
    assert not_forced.exit_code == 1, not_forced.output
    assert "would replace the one in use unsafely" in not_forced.output
    forced = run_cli(url, "catalog", "activate", revision_id, "--force")
    assert forced.exit_code == 0, forced.output
    assert _last_audit_detail(url, "catalog.activate")["forced"] is True
    assert f"{revision_id}\tactive\ttest\ttoy-cli" in run_cli(url, "catalog", "list").output


@pytest.mark.parametrize("expanded_mib", [64, 1024])
def test_a_compressed_bomb_is_refused_at_once(
    module_database_url: str, run_cli: Callable[..., Result], tmp_path: Path, expanded_mib: int
) -> None:
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(zeros_gzip(expanded_mib))
    started = time.monotonic()
    result = run_cli(module_database_url, "catalog", "import", str(path), "--force")
    assert time.monotonic() - started < 3.0
    assert result.exit_code == 1, result.output
    assert "expands to more than 41943040 bytes (MAX_EXPANDED_BYTES)" in result.output


def test_a_file_larger_than_the_expansion_limit_is_not_read(
    module_database_url: str,
    run_cli: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_EXPANDED_BYTES", "4096")
    path = tmp_path / "big.json.gz"
    path.write_bytes(bytes(4097))
    result = run_cli(module_database_url, "catalog", "import", str(path), "--force")
    assert result.exit_code == 1, result.output
    assert "has 4097 bytes, more than MAX_EXPANDED_BYTES (4096)" in result.output

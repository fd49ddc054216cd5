"""The shipped profile and baseline files of app/data, read from disk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml

from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_schema import validate_document
from app.engine.profiles import CompiledProfiles, WrittenProfile, compile_profiles

DATA_DIR = Path(str(resources.files("app.data")))
PROFILES_DIR = DATA_DIR / "profiles"
BASELINES_DIR = DATA_DIR / "baselines"


@dataclass(frozen=True)
class DataFile:
    path: Path
    document: dict[str, Any]

    @property
    def sha256(self) -> str:
        return content_sha256(self.document)


def content_sha256(document: Any) -> str:
    """Hash of the canonical JSON form, so formatting-only edits are not new revisions."""
    canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(canonical).hexdigest()


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path.name}: expected a mapping at the top level")
    return loaded


def profile_files(directory: Path = PROFILES_DIR) -> Iterator[DataFile]:
    for path in sorted(directory.glob("*.yaml")):
        yield DataFile(path=path, document=_jsonable(_load_yaml(path)))


def compiled_files(
    files: Iterable[DataFile], revision: int = 0
) -> tuple[dict[ActionTypeKey, DataFile], CompiledProfiles]:
    """Profile files by action type, and compiled together (each that extends another resolved
    with it); ProfileDefinitionError, naming the file, for one that does not follow the schema
    alone."""
    by_key = {
        validate_document(data.document, pointer=data.path.name).action_type.key: data
        for data in files
    }
    compiled = compile_profiles(
        {
            key: WrittenProfile(data.document, revision=revision, pointer=data.path.name)
            for key, data in by_key.items()
        }
    )
    return by_key, compiled


def baseline_files(directory: Path = BASELINES_DIR) -> Iterator[DataFile]:
    for path in sorted(directory.glob("*.yaml")):
        yield DataFile(path=path, document=_jsonable(_load_yaml(path)))


def _jsonable(value: Any) -> Any:
    """YAML dates become ISO strings so documents store the same in every database."""
    return orjson.loads(orjson.dumps(value, default=str))

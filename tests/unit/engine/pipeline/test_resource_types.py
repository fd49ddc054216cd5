"""The resource types templates name take their ARN formats from the IAM catalogue."""

from __future__ import annotations

import pytest

from app.engine.pipeline.resource_types import TYPES, ResourceType, arn_format


@pytest.mark.parametrize("kind", TYPES, ids=lambda kind: f"{kind.service}:{kind.resource}")
def test_every_type_has_the_catalogues_arn_format_with_its_name_in_it(kind: ResourceType) -> None:
    form = arn_format(kind.service, kind.resource)
    assert form.startswith(f"arn:${{Partition}}:{kind.service}:")
    assert "${" + kind.name_part + "}" in form


def test_cloudformation_and_terraform_types_are_each_declared_once() -> None:
    cloudformation = [d.type for kind in TYPES for d in kind.cloudformation]
    terraform = [kind.terraform.type for kind in TYPES if kind.terraform]
    assert len(set(cloudformation)) == len(cloudformation)
    assert len(set(terraform)) == len(terraform)
    assert all(t.startswith("AWS::") for t in cloudformation)
    assert all(t.startswith("aws_") for t in terraform)


def test_a_type_missing_from_the_catalogue_is_named() -> None:
    with pytest.raises(LookupError, match="no ARN format for s3 nothing"):
        arn_format("s3", "nothing")

"""The resource types a pipeline's template values may name, in both template languages.

Per type: how CloudFormation and Terraform declare it (the type's name there, the property that
holds its name, what `Ref` and each attribute give), and the IAM catalogue's resource type whose
ARN format gives its ARN: ARN formats are only ever the catalogue's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from importlib import resources
from typing import Protocol

from app.engine.iam.catalog import Catalog
from app.engine.pipeline.template_values import URL_SUFFIXES


class Gives(Enum):
    NAME = "name"
    ARN = "arn"
    ASSIGNED = "assigned"  # an identifier the service assigns when it creates the resource
    DOMAIN = "domain"  # an S3 bucket's domain name
    URI = "uri"  # an ECR repository's URI


NAME, ARN, ASSIGNED, DOMAIN, URI = Gives.NAME, Gives.ARN, Gives.ASSIGNED, Gives.DOMAIN, Gives.URI


@dataclass(frozen=True)
class Declared:
    """How one template language declares a resource type."""

    type: str
    name: str | None  # the property (argument) holding the resource's name
    gives: Mapping[str | None, Gives]  # attribute (None: CloudFormation's `Ref`) -> its value
    parts: Mapping[str, str] = field(default_factory=dict)  # ARN placeholder -> property
    # The service generates a name when none is given; for CloudFormation, the name's length
    # limit and whether it is lower case.
    generated: tuple[int, bool] | None = None


@dataclass(frozen=True)
class ResourceType:
    service: str  # the IAM catalogue's service prefix and resource type
    resource: str
    name_part: str  # the placeholder of the catalogue's ARN format that the name fills
    cloudformation: tuple[Declared, ...] = ()
    terraform: Declared | None = None
    assigned: str = "ID"  # what the service assigns at creation
    suffixed: bool = False  # the ARN's name part ends with `-` and an assigned suffix
    defaults: Mapping[str, str] = field(default_factory=dict)  # placeholder -> value


def _declared(
    type_: str,
    name: str | None,
    gives: str,
    generated: tuple[int, bool] | None = None,
    **parts: str,
) -> Declared:
    """`gives` as `Ref:name Arn:arn`: attribute (`Ref` for CloudFormation's) and its value."""
    pairs = (item.split(":") for item in gives.split())
    values = {None if attr == "Ref" else attr: Gives(value) for attr, value in pairs}
    return Declared(type_, name, values, parts, generated)


_TF = (0, False)  # Terraform generates a name starting with the `*_prefix` argument
_NAME_ARN = "name:name arn:arn id:arn"

TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "s3",
        "bucket",
        "BucketName",
        (
            _declared(
                "AWS::S3::Bucket", "BucketName", "Ref:name Arn:arn DomainName:domain", (63, True)
            ),
        ),
        _declared(
            "aws_s3_bucket", "bucket", "bucket:name id:name arn:arn bucket_domain_name:domain", _TF
        ),
    ),
    ResourceType(
        "iam",
        "role",
        "RoleNameWithPath",
        (_declared("AWS::IAM::Role", "RoleName", "Ref:name Arn:arn", (64, False), Path="Path"),),
        _declared("aws_iam_role", "name", "name:name id:name arn:arn", _TF, Path="path"),
    ),
    ResourceType(
        "iam",
        "policy",
        "PolicyNameWithPath",
        (
            _declared(
                "AWS::IAM::ManagedPolicy", "ManagedPolicyName", "Ref:arn PolicyArn:arn", Path="Path"
            ),
        ),
        _declared("aws_iam_policy", "name", "name:name id:arn arn:arn", _TF, Path="path"),
    ),
    ResourceType(
        "codebuild",
        "project",
        "ProjectName",
        (_declared("AWS::CodeBuild::Project", "Name", "Ref:name Arn:arn"),),
        _declared("aws_codebuild_project", "name", _NAME_ARN),
    ),
    ResourceType(
        "sns",
        "topic",
        "TopicName",
        (
            _declared(
                "AWS::SNS::Topic", "TopicName", "Ref:arn TopicArn:arn TopicName:name", (256, False)
            ),
        ),
        _declared("aws_sns_topic", "name", _NAME_ARN, _TF),
    ),
    ResourceType(
        "kms",
        "key",
        "KeyId",
        (_declared("AWS::KMS::Key", None, "Ref:assigned KeyId:assigned Arn:arn"),),
        _declared("aws_kms_key", None, "key_id:assigned id:assigned arn:arn"),
        assigned="key ID",
    ),
    ResourceType(
        "kms",
        "alias",
        "Alias",
        (_declared("AWS::KMS::Alias", "AliasName", "Ref:name"),),
        _declared("aws_kms_alias", "name", "name:name id:name arn:arn"),
    ),
    ResourceType(
        "lambda",
        "function",
        "FunctionName",
        tuple(
            _declared(type_, "FunctionName", "Ref:name Arn:arn", (64, False))
            for type_ in ("AWS::Lambda::Function", "AWS::Serverless::Function")
        ),
        _declared("aws_lambda_function", "function_name", "function_name:name id:name arn:arn"),
    ),
    ResourceType(
        "states",
        "statemachine",
        "StateMachineName",
        (
            _declared(
                "AWS::StepFunctions::StateMachine", "StateMachineName", "Ref:arn Arn:arn Name:name"
            ),
        ),
        _declared("aws_sfn_state_machine", "name", _NAME_ARN, _TF),
    ),
    ResourceType(
        "ecs",
        "cluster",
        "ClusterName",
        (_declared("AWS::ECS::Cluster", "ClusterName", "Ref:name Arn:arn"),),
        _declared("aws_ecs_cluster", "name", _NAME_ARN),
    ),
    ResourceType(
        "ecs",
        "service",
        "ServiceName",
        (
            _declared(
                "AWS::ECS::Service",
                "ServiceName",
                "Ref:arn ServiceArn:arn Name:name",
                ClusterName="Cluster",
            ),
        ),
        _declared("aws_ecs_service", "name", _NAME_ARN, ClusterName="cluster"),
        defaults={"ClusterName": "default"},
    ),
    ResourceType(
        "ecr",
        "repository",
        "RepositoryName",
        (
            _declared(
                "AWS::ECR::Repository", "RepositoryName", "Ref:name Arn:arn RepositoryUri:uri"
            ),
        ),
        _declared("aws_ecr_repository", "name", "name:name id:name arn:arn repository_url:uri"),
    ),
    ResourceType(
        "codecommit",
        "repository",
        "RepositoryName",
        (
            _declared(
                "AWS::CodeCommit::Repository", "RepositoryName", "Ref:assigned Name:name Arn:arn"
            ),
        ),
        _declared(
            "aws_codecommit_repository", "repository_name", "repository_name:name id:name arn:arn"
        ),
        assigned="repository ID (what `Ref` returns; `Fn::GetAtt Name` gives the name)",
    ),
    ResourceType(
        "codedeploy",
        "application",
        "ApplicationName",
        (_declared("AWS::CodeDeploy::Application", "ApplicationName", "Ref:name"),),
        _declared("aws_codedeploy_app", "name", "name:name arn:arn"),
    ),
    ResourceType(
        "codedeploy",
        "deploymentgroup",
        "DeploymentGroupName",
        (_declared("AWS::CodeDeploy::DeploymentGroup", "DeploymentGroupName", "Ref:name"),),
        _declared(
            "aws_codedeploy_deployment_group",
            "deployment_group_name",
            "deployment_group_name:name arn:arn",
            ApplicationName="app_name",
        ),
    ),
    ResourceType(
        "elasticbeanstalk",
        "application",
        "ApplicationName",
        (_declared("AWS::ElasticBeanstalk::Application", "ApplicationName", "Ref:name"),),
    ),
    ResourceType(
        "elasticbeanstalk",
        "environment",
        "EnvironmentName",
        (_declared("AWS::ElasticBeanstalk::Environment", "EnvironmentName", "Ref:name"),),
    ),
    ResourceType(
        "ssm",
        "parameter",
        "ParameterNameWithoutLeadingSlash",
        (_declared("AWS::SSM::Parameter", "Name", "Ref:name"),),
        _declared("aws_ssm_parameter", "name", "arn:arn"),
    ),
    *(
        ResourceType(
            service,
            "connection",
            "ConnectionId",
            (_declared(f"AWS::{cfn}::Connection", None, "Ref:arn ConnectionArn:arn"),),
            _declared(f"aws_{tf}_connection", None, "arn:arn id:arn"),
            assigned="connection ID",
        )
        for service, cfn, tf in (
            ("codestar-connections", "CodeStarConnections", "codestarconnections"),
            ("codeconnections", "CodeConnections", "codeconnections"),
        )
    ),
    ResourceType(
        "secretsmanager",
        "secret",
        "SecretId",
        (_declared("AWS::SecretsManager::Secret", "Name", "Ref:arn"),),
        _declared("aws_secretsmanager_secret", "name", "arn:arn id:arn", _TF),
        assigned="secret ARN suffix",
        suffixed=True,
    ),
    ResourceType(
        "codepipeline",
        "pipeline",
        "PipelineName",
        (_declared("AWS::CodePipeline::Pipeline", "Name", "Ref:name"),),
        _declared("aws_codepipeline", "name", "arn:arn"),
    ),
)

CLOUDFORMATION: Mapping[str, tuple[ResourceType, Declared]] = {
    declared.type: (kind, declared) for kind in TYPES for declared in kind.cloudformation
}
TERRAFORM: Mapping[str, tuple[ResourceType, Declared]] = {
    kind.terraform.type: (kind, kind.terraform) for kind in TYPES if kind.terraform
}


class ResourceView(Protocol):
    """One resource of a template, seen from a value that refers to it."""

    partition: str
    catalog: Catalog | None

    def text(self, key: str) -> str | None: ...

    def name(self, key: str, generated: tuple[int, bool] | None) -> str: ...

    def region(self) -> str: ...

    def account(self) -> str: ...

    def assigned(self, what: str) -> str: ...


def resource_value(
    kind: ResourceType, declared: Declared, attribute: str | None, view: ResourceView
) -> str | None:
    """What a reference to the resource (`attribute` None: CloudFormation's `Ref`) gives; None
    when the template language does not say."""
    gives = declared.gives.get(attribute)
    if gives is None:
        return None
    if gives is ASSIGNED:
        return view.assigned(kind.assigned)
    name = view.name(declared.name, declared.generated) if declared.name else ""
    suffix = URL_SUFFIXES.get(view.partition, "amazonaws.com")
    if gives is NAME:
        return name
    if gives is DOMAIN:
        return f"{name}.s3.{suffix}"
    if gives is URI:
        return f"{view.account()}.dkr.ecr.{view.region()}.{suffix}/{name}"
    return _arn(kind, declared, name, view)


_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def _arn(kind: ResourceType, declared: Declared, name: str, view: ResourceView) -> str:
    form = arn_format(kind.service, kind.resource, view.catalog)

    def part(match: re.Match[str]) -> str:
        placeholder = match.group(1)
        if placeholder == "Partition":
            return view.partition
        if placeholder == "Region":
            return view.region()
        if placeholder == "Account":
            return view.account()
        if placeholder == kind.name_part and declared.name:
            return _name_part(kind, declared, name, form[: match.start()], view)
        if placeholder in declared.parts:
            value = view.text(declared.parts[placeholder]) or kind.defaults.get(placeholder)
            value = value or view.name(declared.parts[placeholder], None)
            return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
        return view.assigned(kind.assigned)

    return _PLACEHOLDER.sub(part, form)


def _name_part(
    kind: ResourceType, declared: Declared, name: str, before: str, view: ResourceView
) -> str:
    # A name given with the ARN's own resource prefix (`alias/x`) is not prefixed again.
    name = name.removeprefix(before.rsplit(":", 1)[-1]) if before.endswith("/") else name
    if kind.name_part.endswith("WithPath"):
        path = view.text(declared.parts["Path"]) if "Path" in declared.parts else None
        return (path or "/").removeprefix("/") + name
    if kind.name_part.endswith("WithoutLeadingSlash"):
        return name.removeprefix("/")
    if kind.suffixed:
        return f"{name}-{view.assigned(kind.assigned)}"
    return name


def arn_format(service: str, resource: str, catalog: Catalog | None = None) -> str:
    """The ARN format of a resource type in `catalog` (the shipped snapshot when None)."""
    found = (catalog or _shipped_catalog()).service(service)
    types = found.resource_types if found else {}
    formats = next(
        (t.arn_formats for key, t in types.items() if key.lower() == resource.lower()), ()
    )
    if not formats:
        raise LookupError(f"the IAM catalogue has no ARN format for {service} {resource}")
    return formats[0]


@cache
def _shipped_catalog() -> Catalog:
    data = resources.files("app.data.catalog").joinpath("iam-catalog.json.gz").read_bytes()
    return Catalog.from_snapshot(data)

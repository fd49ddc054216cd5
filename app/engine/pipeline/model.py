"""The pipeline model every parser produces and compute consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from app.engine.pipeline.source_map import SourceMap


@dataclass(frozen=True, order=True)
class ActionTypeKey:
    category: str
    owner: str
    provider: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.category}/{self.owner}/{self.provider}/{self.version}"

    @property
    def file_stem(self) -> str:
        return f"{self.category}--{self.owner}--{self.provider}--{self.version}"


@dataclass(frozen=True)
class EnvironmentVariable:
    name: str
    value: str
    type: str = "PLAINTEXT"


@dataclass(frozen=True)
class Action:
    name: str
    type: ActionTypeKey
    configuration: Mapping[str, str]
    pointer: str
    run_order: int = 1
    input_artifacts: tuple[str, ...] = ()
    output_artifacts: tuple[str, ...] = ()
    role_arn: str | None = None
    region: str | None = None
    namespace: str | None = None
    environment_variables: tuple[EnvironmentVariable, ...] = ()
    # Declared fields the model does not interpret (commands, outputVariables, timeoutInMinutes,
    # ...), under their API names, for the structure validator.
    extras: Mapping[str, Any] = field(default_factory=dict)


RULE_CATEGORY = "Rule"
# Every stage-condition rule type is owned by AWS (the API's RuleTypeId).
RULE_OWNER = "AWS"
# The members of a stage that hold conditions, under their API names.
CONDITION_KINDS = ("beforeEntry", "onSuccess", "onFailure")


@dataclass(frozen=True)
class Rule:
    """A rule of a stage condition (RuleDeclaration): it runs like an action, as the service role
    or its own `roleArn`, and its type is keyed like an action type, with category `Rule`."""

    name: str
    type: ActionTypeKey
    configuration: Mapping[str, str]
    pointer: str
    commands: tuple[str, ...] = ()
    input_artifacts: tuple[str, ...] = ()
    role_arn: str | None = None
    region: str | None = None
    timeout_in_minutes: int | None = None


@dataclass(frozen=True)
class StageCondition:
    result: str | None
    rules: tuple[Rule, ...]
    pointer: str


@dataclass(frozen=True)
class StageConditions:
    """One of a stage's `beforeEntry`, `onSuccess` and `onFailure` (its `kind`)."""

    kind: str
    conditions: tuple[StageCondition, ...]
    pointer: str
    # Only `onFailure` has these: the result without conditions (automatic rollback or retry).
    result: str | None = None
    retry_configuration: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    actions: tuple[Action, ...]
    pointer: str
    # beforeEntry, onSuccess, onFailure, blockers: under their API names, as declared.
    extras: Mapping[str, Any] = field(default_factory=dict)
    # beforeEntry, onSuccess and onFailure, read (in that order, those declared).
    conditions: tuple[StageConditions, ...] = ()

    def rules(self) -> tuple[Rule, ...]:
        return tuple(
            rule for block in self.conditions for cond in block.conditions for rule in cond.rules
        )


@dataclass(frozen=True)
class ArtifactStore:
    location: str
    pointer: str
    region: str | None = None
    kms_key_id: str | None = None
    type: str = "S3"


@dataclass(frozen=True)
class TemplateResource:
    """A resource of the template a pipeline was read from."""

    format: Literal["cloudformation", "terraform"]
    address: str  # the CloudFormation logical id; the Terraform `type.name`


@dataclass(frozen=True)
class Pipeline:
    name: str
    role_arn: str
    stages: tuple[Stage, ...]
    artifact_stores: tuple[ArtifactStore, ...]
    pointer: str
    pipeline_type: str | None = None
    pipeline_arn: str | None = None
    variables: Mapping[str, str | None] = field(default_factory=dict)
    # The template resource that declares the service role, when `role_arn` is that resource's
    # ARN (`!GetAtt Role.Arn`, `aws_iam_role.role.arn`): a policy can be attached to it there.
    role_resource: TemplateResource | None = None
    # executionMode, triggers, version and other declared fields, under their API names.
    extras: Mapping[str, Any] = field(default_factory=dict)
    # A template's pipeline: where each place of its rendered document is in the template.
    source_map: SourceMap | None = field(default=None, compare=False)

    # The structure rules and compute walk these some fifty times per pipeline: each is listed
    # once per pipeline (which is immutable), when first asked.
    def actions(self) -> tuple[tuple[Stage, Action], ...]:
        return self._actions

    def rules(self) -> tuple[tuple[Stage, Rule], ...]:
        return self._rules

    @cached_property
    def _actions(self) -> tuple[tuple[Stage, Action], ...]:
        return tuple((stage, action) for stage in self.stages for action in stage.actions)

    @cached_property
    def _rules(self) -> tuple[tuple[Stage, Rule], ...]:
        return tuple((stage, rule) for stage in self.stages for rule in stage.rules())

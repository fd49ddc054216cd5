"""Who runs each action and rule of a pipeline, in which account and Region, and which
artifacts it touches: what every companion document is derived from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.engine.compute import ComputeContext, pipeline_identity
from app.engine.iam.patterns.arn import parse_arn
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import (
    Action,
    ActionTypeKey,
    EnvironmentVariable,
    Pipeline,
    Rule,
    Stage,
)

_ACCOUNT = re.compile(r"^\d{12}$")
# A value some part of which is not known: a `*` a template reader left, a run-time variable.
_UNKNOWN_PART = re.compile(r"[*?]|#\{")


@dataclass(frozen=True)
class Home:
    """The pipeline's own partition, account and Region, and its service role."""

    partition: str
    account: str | None
    region: str | None
    service_role: str

    @property
    def service_role_known(self) -> bool:
        return is_role_arn(self.service_role)


@dataclass(frozen=True)
class Member:
    """An action or stage-condition rule of a pipeline, and the role it runs as."""

    pipeline: Pipeline
    stage: Stage
    action: Action | None
    rule: Rule | None
    # The action's (or rule's) roleArn, else the service role.
    role_arn: str
    declares_role: bool
    role_account: str | None  # None when the ARN does not give it
    region: str | None  # the member's `region`, else the pipeline's (None: not known)
    reads_artifacts: bool
    writes_artifacts: bool

    @property
    def type(self) -> ActionTypeKey:
        return self.action.type if self.action is not None else self._rule.type

    @property
    def pointer(self) -> str:
        return self.action.pointer if self.action is not None else self._rule.pointer

    @property
    def role_pointer(self) -> str:
        if self.declares_role:
            return pointer_join(self.pointer, "roleArn")
        return pointer_join(self.pipeline.pointer, "roleArn")

    @property
    def configuration(self) -> Mapping[str, str]:
        return self.action.configuration if self.action is not None else self._rule.configuration

    @property
    def environment_variables(self) -> tuple[EnvironmentVariable, ...]:
        return self.action.environment_variables if self.action is not None else ()

    @property
    def _rule(self) -> Rule:
        assert self.rule is not None
        return self.rule


def is_role_arn(text: str) -> bool:
    """A whole IAM role ARN, no part of it unknown (a principal can name only such a role)."""
    arn = parse_arn(text)
    return (
        arn is not None
        and arn.service == "iam"
        and arn.resource.startswith("role/")
        and _ACCOUNT.match(arn.account) is not None
        and _UNKNOWN_PART.search(text) is None
    )


def arn_account(text: str) -> str | None:
    """The account an ARN names, when it names a whole one."""
    arn = parse_arn(text)
    if arn is None or _ACCOUNT.match(arn.account) is None:
        return None
    return arn.account


def home_of(pipeline: Pipeline, context: ComputeContext) -> Home:
    partition, account, region = pipeline_identity(pipeline, context)
    return Home(partition, account, region, pipeline.role_arn)


def members_of(pipeline: Pipeline, home: Home) -> list[Member]:
    out: list[Member] = []
    for stage, action in pipeline.actions():
        out.append(
            _member(
                pipeline,
                stage,
                home,
                action.role_arn,
                action.region,
                action=action,
                reads=bool(action.input_artifacts),
                writes=bool(action.output_artifacts),
            )
        )
    for stage, rule in pipeline.rules():
        out.append(
            _member(
                pipeline,
                stage,
                home,
                rule.role_arn,
                rule.region,
                rule=rule,
                reads=bool(rule.input_artifacts),
                writes=False,
            )
        )
    return out


def _member(
    pipeline: Pipeline,
    stage: Stage,
    home: Home,
    role_arn: str | None,
    region: str | None,
    *,
    reads: bool,
    writes: bool,
    action: Action | None = None,
    rule: Rule | None = None,
) -> Member:
    role = role_arn or home.service_role
    account = arn_account(role)
    if account is None and not role_arn:
        account = home.account
    return Member(
        pipeline=pipeline,
        stage=stage,
        action=action,
        rule=rule,
        role_arn=role,
        declares_role=bool(role_arn),
        role_account=account,
        region=region or home.region,
        reads_artifacts=reads,
        writes_artifacts=writes,
    )

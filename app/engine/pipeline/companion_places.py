"""What a template's companion policies are read for, whichever the template's language: the
places of a pipeline that name a role, bucket or key, each with the target the pipeline's
companion document of that kind has, and what was found reading the policies defined for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.companions.documents import DocumentKind
from app.engine.companions.members import home_of, members_of
from app.engine.compute import ComputeContext
from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import ActionTypeKey, Pipeline
from app.engine.pipeline.template_values import CompanionPolicy, TemplateContext, warning

# The action types whose configuration names a role another service assumes (its trust policy
# is a companion document of the pipeline), with the configuration key.
CONFIGURED_ROLES: Mapping[ActionTypeKey, str] = {
    ActionTypeKey("Deploy", "AWS", "CloudFormation", "1"): "RoleArn",
}

# Why a resource without its own policy of a kind is not the end of it, where it is not.
WITHOUT_POLICY: Mapping[DocumentKind, str] = {
    DocumentKind.KEY_POLICY: " (KMS gives the key its default key policy, which leaves its use "
    "to the account's IAM policies)",
}


@dataclass(frozen=True)
class Named:
    """A place of the rendered pipeline that names a role, bucket or key: the value there, and
    the target the pipeline's companion document of that kind has for it."""

    rendered: str
    value: str
    target: str


def roles_named(pipeline: Pipeline, given: TemplateContext) -> list[Named]:
    """The service role, each action's and rule's role, and each role a configuration names,
    with the target their trust policies have (a role a configuration names by name is the
    one of that name in the account of the role that runs the action, as compute renders
    `iam_role_arn`: the template's own only when that is the template's account).

    `given` is the template's context as compute is given it: the partition only where one is
    given."""
    home = home_of(pipeline, ComputeContext(given.account, given.region, given.partition))
    named = [Named(pointer_join(pipeline.pointer, "roleArn"), pipeline.role_arn, pipeline.role_arn)]
    for member in members_of(pipeline, home):
        if member.declares_role:
            named.append(Named(member.role_pointer, member.role_arn, member.role_arn))
        key = CONFIGURED_ROLES.get(member.type) if member.action is not None else None
        value = member.configuration.get(key) if key else None
        if not (key and value):
            continue
        target = value
        if not value.startswith("arn:"):
            if member.role_account not in (None, given.account):
                continue  # a role of that name in the account that runs it, not the template's
            target = f"arn:{home.partition}:iam::{member.role_account or '*'}:role/{value}"
        named.append(Named(pointer_join(member.pointer, "configuration", key), value, target))
    return named


@dataclass
class FoundPolicies:
    """The companion policies read for one pipeline, and what could not be read."""

    policies: list[CompanionPolicy] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, policy: CompanionPolicy) -> None:
        if policy not in self.policies:
            self.policies.append(policy)

    def not_read(self, at: str, line: int | None, message: str, **detail: Any) -> None:
        self.refused(warning("COMPANION_POLICY_NOT_READ", at, message, line, **detail))

    def refused(self, finding: Finding) -> None:
        """Why a policy is not read (a document that is none, say)."""
        if finding not in self.findings:
            self.findings.append(finding)

    def one(self, found: Iterable[str], at: str, line: int | None, what: str) -> str | None:
        """The one resource a place refers to; None, with a finding when it is one of several
        the template does not decide between."""
        names = sorted(set(found))
        if len(names) <= 1:
            return next(iter(names), None)
        listed = ", ".join(f"`{name}`" for name in names)
        self.not_read(
            at,
            line,
            f"this refers to the {what} {listed}, one or another as conditions the template does "
            "not decide hold; which one's policy stands is not known, and none is compared",
            resources=names,
        )
        return None

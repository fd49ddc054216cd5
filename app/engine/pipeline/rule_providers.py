"""Per-provider structure facts of stage-condition rules (rules reference §5, §9).

Pure data, keyed by provider: every rule type is `{category: Rule, owner: AWS, version: "1"}`.
The condition structure checks read it; nothing here knows about findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

RULE_OWNER = "AWS"
RULE_VERSION = "1"


@dataclass(frozen=True)
class RuleProvider:
    required: tuple[str, ...] = ()
    # Required by the newer copy of the rule's page only, optional in the older one.
    newly_required: tuple[str, ...] = ()
    # Required once the rule has more than one input artifact.
    required_above_one_input: tuple[str, ...] = ()
    allowed_values: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # The page's examples give the rule input artifacts (none otherwise: inferred).
    takes_input_artifacts: bool = False
    # The rule runs its top-level `commands` list.
    runs_commands: bool = False
    # Allowed in a `beforeEntry` condition whose result is SKIP.
    can_skip: bool = False
    doc_page: str = ""


RULE_PROVIDERS: Mapping[str, RuleProvider] = MappingProxyType(
    {
        "CloudWatchAlarm": RuleProvider(
            required=("AlarmName",),
            newly_required=("AlarmStates",),
            doc_page="rule-reference-CloudWatchAlarm",
        ),
        "CodeBuild": RuleProvider(
            required=("ProjectName",),
            required_above_one_input=("PrimarySource",),
            allowed_values=MappingProxyType({"BatchEnabled": frozenset({"true", "false"})}),
            takes_input_artifacts=True,
            doc_page="rule-reference-CodeBuild",
        ),
        "Commands": RuleProvider(
            takes_input_artifacts=True,
            runs_commands=True,
            doc_page="rule-reference-Commands",
        ),
        "DeploymentWindow": RuleProvider(
            required=("Cron",),
            doc_page="rule-reference-DeploymentWindow",
        ),
        "LambdaInvoke": RuleProvider(
            required=("FunctionName",),
            takes_input_artifacts=True,
            can_skip=True,
            doc_page="rule-reference-LambdaInvoke",
        ),
        "VariableCheck": RuleProvider(
            required=("Variable", "Value", "Operator"),
            allowed_values=MappingProxyType(
                {"Operator": frozenset({"EQ", "CONTAINS", "MATCHES", "NE"})}
            ),
            can_skip=True,
            doc_page="rule-reference-VariableCheck",
        ),
    }
)

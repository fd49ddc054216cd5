"""Findings are data: typed, located, with stable codes (Access Analyzer's finding types).

Every code is registered here, with its finding type and a short title; a finding of a code not
registered, or of a type its code does not allow, is a programming error and is refused. A code
keeps its type, except where the context decides it (a V2 feature in a V1 pipeline is an error
when V1 is declared, a warning when it is only assumed): those codes list the other types too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final


class FindingType(StrEnum):
    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


SEVERITY_ORDER = {
    FindingType.SUGGESTION: 0,
    FindingType.WARNING: 1,
    FindingType.SECURITY_WARNING: 2,
    FindingType.ERROR: 3,
}


MAX_MESSAGE_CHARS = 1_000


@dataclass(frozen=True)
class Finding:
    code: str
    finding_type: FindingType
    message: str
    path: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    # Line in the source text (CloudFormation or Terraform input), when known.
    line: int | None = None

    def __post_init__(self) -> None:
        registered = FINDING_CODES.get(self.code)
        if registered is None or self.finding_type not in registered.types:
            raise ValueError(f"{self.code} is not a registered code of type {self.finding_type}")
        # Messages quote the values they are about; a 4 MB name must not make a 4 MB message.
        if len(self.message) > MAX_MESSAGE_CHARS:
            cut = self.message[: MAX_MESSAGE_CHARS - 1] + "…"
            object.__setattr__(self, "message", cut)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-SEVERITY_ORDER[self.finding_type], self.path, self.code, self.message)


@dataclass(frozen=True, slots=True)
class FindingCode:
    """One code: its finding type, a short title, and the types a context may give it instead."""

    finding_type: FindingType
    title: str
    types: frozenset[FindingType]


_E = FindingType.ERROR
_S = FindingType.SECURITY_WARNING
_W = FindingType.WARNING
_G = FindingType.SUGGESTION


def _code(finding_type: FindingType, title: str, *context: FindingType) -> FindingCode:
    return FindingCode(finding_type, title, frozenset((finding_type, *context)))


_POLICY_VALIDATOR_CODES: Final = {
    # === the policy validator (iam-semantics.md §6): one type per code; where the same
    # construct is an error in one policy type and a warning in another, it has two codes
    # --- the document cannot be read as a policy
    "INVALID_JSON": _code(_E, "The text is not valid JSON"),
    "NOT_A_POLICY": _code(_E, "The input has no policy shape"),
    "MISSING_STATEMENT": _code(_E, "The policy has no Statement"),
    # --- structural problems the parser tolerates (ParseIssue)
    "DUPLICATE_KEY": _code(_E, "A key appears twice in one object"),
    "WRONG_TYPE": _code(_E, "An element has the wrong JSON type"),
    "UNKNOWN_ELEMENT": _code(_E, "An element IAM does not know"),
    "EMPTY_STATEMENT": _code(_E, "Statement is an empty array"),
    "STATEMENT_NOT_OBJECT": _code(_E, "A statement is not an object"),
    "MISSING_EFFECT": _code(_E, "A statement has no Effect"),
    "MISSING_ACTION": _code(_E, "A statement has neither Action nor NotAction"),
    "ACTION_AND_NOT_ACTION": _code(_E, "A statement has both Action and NotAction"),
    "MISSING_RESOURCE": _code(_E, "A statement has neither Resource nor NotResource"),
    "RESOURCE_AND_NOT_RESOURCE": _code(_E, "A statement has both Resource and NotResource"),
    "EMPTY_ARRAY": _code(_E, "An action or resource array is empty"),
    "EMPTY_CONDITION_BLOCK": _code(_E, "A condition operator has no keys"),
    "PRINCIPAL_PRESENT": _code(_E, "Principal or NotPrincipal in an identity policy"),
    "MISSING_PRINCIPAL": _code(_E, "A resource or trust policy statement names no Principal"),
    "INVALID_PRINCIPAL": _code(_E, "A Principal IAM does not accept"),
    "RESOURCE_IN_TRUST_POLICY": _code(_E, "Resource or NotResource in a role trust policy"),
    # --- grammar (IAM rejects the policy)
    "INVALID_VERSION": _code(_E, "Version is neither 2012-10-17 nor 2008-10-17"),
    "MISSING_VERSION": _code(_E, "A managed policy without Version"),
    "OLD_VERSION_IN_MANAGED": _code(_E, "A managed policy with Version 2008-10-17"),
    "INVALID_EFFECT": _code(_E, "Effect is not exactly Allow or Deny"),
    "INVALID_ACTION_FORMAT": _code(_E, "An action is not service:action"),
    "SERVICE_PREFIX_WILDCARD": _code(_E, "A wildcard in an action's service prefix"),
    "INVALID_RESOURCE": _code(_E, 'A resource is neither "*" nor an ARN'),
    "INVALID_ARN_PARTITION": _code(_E, "An ARN with an unknown partition"),
    "RESOURCE_SERVICE_WILDCARD": _code(_E, "A wildcard in an ARN's service segment"),
    "RESOURCE_SERVICE_CASE": _code(_E, "An ARN's service segment is not lower case"),
    "IAM_ARN_REGION": _code(_E, "An IAM ARN with a Region"),
    "IAM_ARN_PATH": _code(_E, "An IAM ARN with an invalid resource path"),
    "UNKNOWN_OPERATOR": _code(_E, "An unknown condition operator"),
    "NULL_IF_EXISTS": _code(_E, "NullIfExists is not an operator"),
    "INVALID_CONDITION_VALUE": _code(_E, "A condition value of the wrong type"),
    "VARIABLE_NOT_ALLOWED": _code(_E, "A variable in a Numeric, Date, Binary, IP or Null operator"),
    "MALFORMED_VARIABLE": _code(_E, "A malformed ${...} policy variable"),
    "INVALID_CHARACTER": _code(_E, "A character outside tab, LF, CR and U+0020-U+00FF"),
    "POLICY_SIZE_EXCEEDED": _code(_E, "The policy is over its size quota"),
    # --- Access Analyzer level errors (IAM accepts the policy)
    "UNKNOWN_SERVICE": _code(_E, "An action of a service the catalogue does not know"),
    "UNKNOWN_ACTION": _code(_E, "An action or pattern that matches no catalogued action"),
    "UNKNOWN_CONDITION_KEY": _code(_E, "A condition key unknown for the statement's services"),
    "DUPLICATE_CONDITION_KEY_CASE": _code(_E, "The same condition key twice, differing in case"),
    "INVALID_SID": _code(
        _E, "A Sid with characters other than A-Z, a-z, 0-9 in an identity or trust policy"
    ),
    "DUPLICATE_SID": _code(_E, "Two statements of one policy share a Sid"),
    # --- security warnings
    "ALL_ACTIONS": _code(_S, 'Allow with Action "*"'),
    "ALLOW_WITH_NOT_ACTION": _code(_S, "Allow with NotAction"),
    "ALLOW_WITH_NOT_RESOURCE": _code(_S, "Allow with NotResource"),
    "PASSROLE_WITHOUT_PASSED_TO_SERVICE": _code(
        _S, "iam:PassRole on every role without an iam:PassedToService condition"
    ),
    "PRIVILEGE_ESCALATION": _code(_S, "Privilege-escalation actions on every resource"),
    "FORALLVALUES_WITH_SINGLE_VALUED_KEY": _code(_S, "ForAllValues with a single-valued key"),
    # --- general warnings
    "NO_VERSION": _code(_W, "An inline policy without Version: variables are literal"),
    "OLD_VERSION": _code(_W, "Version 2008-10-17: variables are literal"),
    "ID_PRESENT": _code(_W, "Id in an identity policy"),
    "VARIABLE_IN_OLD_VERSION": _code(_W, "${...} in a policy whose variables are literal"),
    "WILDCARD_IN_NON_LIKE_OPERATOR": _code(_W, "* or ? in an operator that reads them literally"),
    "FORALLVALUES_WITH_ALLOW": _code(_W, "ForAllValues with Allow holds when the key is absent"),
    "FORANYVALUE_WITH_SINGLE_VALUED_KEY": _code(_W, "ForAnyValue with a single-valued key"),
    "PASSROLE_ON_ANY_ROLE": _code(_W, "iam:PassRole on every role of the account"),
    "POLICY_SIZE_NEAR_QUOTA": _code(_W, "The policy is within 5 % of its size quota"),
    "SERVICE_WIDE_WILDCARD": _code(_W, "Every action of a service (service:*)"),
    "RESOURCE_MISMATCH": _code(_W, "A resource no listed action applies to"),
    "CONDITION_KEY_NOT_FOR_ACTIONS": _code(_W, "A condition key none of the actions supports"),
    "CONDITION_NEVER_MATCHES": _code(_W, "A condition value that can never match"),
    "CONDITION_TYPE_MISMATCH": _code(_W, "An operator of another type than its condition key"),
    # --- suggestions
    "EMPTY_SID": _code(_G, "An empty Sid"),
    "WILDCARD_IN_SERVICE_NAME": _code(_G, "The service prefix is *"),
    "REDUNDANT_ACTION": _code(_G, "An action another entry of the statement covers"),
    "REDUNDANT_RESOURCE": _code(_G, "A resource another entry of the statement covers"),
    "REDUNDANT_STATEMENT": _code(_G, "A statement another statement covers"),
    "REDUNDANCY_CHECK_LIMITED": _code(_G, "Redundancy checks stopped at their search budget"),
    "RESOURCE_STAR": _code(_G, 'Resource "*" on actions that can be scoped to resources'),
    "BASELINE_RECOGNISED": _code(_G, "The policy is a named baseline"),
    # --- CodePipeline-aware checks of a policy
    "EB_DESCRIBE_EVENTS_MISSING": _code(_E, "An Elastic Beanstalk deploy without DescribeEvents"),
    "PIPELINE_PASSROLE_UNSCOPED": _code(_S, "The pipelines pass roles; PassRole is not scoped"),
    "ROLE_PREDATES_PROVIDER": _code(_W, "The role predates a provider it lacks permissions for"),
}

_PIPELINE_CODES: Final = {
    # === reading a pipeline (the API's JSON, CloudFormation, Terraform)
    "PIPELINE_SHAPE": _code(_E, "The input has no pipeline shape"),
    "RUN_ORDER_TYPE": _code(_E, "A runOrder that is not an integer"),
    # An error in the API's JSON; a template's value may still become a string when deployed.
    "CONFIGURATION_VALUE_TYPE": _code(_E, "A configuration value that is not a string", _W),
    "NO_ARTIFACT_STORE": _code(_E, "A pipeline without an artifact store"),
    "UNKNOWN_FIELD": _code(_W, "A field CodePipeline does not know", _G),
    "UNKNOWN_PARAMETER": _code(_W, "A parameter value given for a parameter the template lacks"),
    "UNRESOLVED_TEMPLATE_VALUE": _code(_W, "A template value not known until deployment"),
    "PIPELINE_NOT_CREATED": _code(_W, "A pipeline resource its template's condition may skip"),
    "ROLE_POLICY_NOT_READ": _code(_W, "A policy of the role the template does not determine"),
    "CURRENT_POLICY_VALUE_UNDETERMINED": _code(
        _W, "A value of the role's policy the template does not determine"
    ),
    # === the pipeline's structure (what CodePipeline would reject, or warns about)
    "TOO_FEW_STAGES": _code(_E, "Fewer stages than a pipeline needs"),
    "TOO_MANY_STAGES": _code(_E, "More stages than a pipeline may have"),
    "STAGE_WITHOUT_ACTIONS": _code(_E, "A stage without actions"),
    "TOO_MANY_ACTIONS_IN_STAGE": _code(_E, "More actions in a stage than allowed"),
    "TOO_MANY_ACTIONS": _code(_E, "More actions in the pipeline than allowed"),
    "NO_SOURCE_ACTION": _code(_E, "A first stage without a source action"),
    "NON_SOURCE_ACTION_IN_SOURCE_STAGE": _code(_E, "A non-source action in the source stage"),
    "SOURCE_ACTION_OUTSIDE_FIRST_STAGE": _code(_E, "A source action after the first stage"),
    "NO_NON_SOURCE_ACTION": _code(_E, "A pipeline of source actions only"),
    "INVALID_PIPELINE_NAME": _code(_E, "A pipeline name of the wrong length or characters"),
    "INVALID_STAGE_NAME": _code(_E, "A stage name of the wrong length or characters"),
    "INVALID_ACTION_NAME": _code(_E, "An action name of the wrong length or characters"),
    "INVALID_ARTIFACT_NAME": _code(_E, "An artifact name of the wrong length or characters"),
    "INVALID_NAMESPACE": _code(_E, "A namespace of the wrong length or characters"),
    "TOO_MANY_VARIABLES": _code(_E, "More pipeline variables than allowed"),
    "INVALID_VARIABLE_NAME": _code(_E, "A pipeline variable name of the wrong form"),
    "DUPLICATE_STAGE_NAME": _code(_E, "Two stages of one name"),
    "DUPLICATE_ACTION_NAME": _code(_E, "Two actions of one name in a stage"),
    "DUPLICATE_OUTPUT_ARTIFACT": _code(_E, "An output artifact produced twice"),
    "INPUT_ARTIFACT_UNKNOWN": _code(_E, "An input artifact no action produces"),
    "INPUT_ARTIFACT_NOT_YET_PRODUCED": _code(_E, "An input artifact produced only later"),
    "INPUT_ARTIFACT_COUNT": _code(_E, "More or fewer input artifacts than the type takes"),
    "OUTPUT_ARTIFACT_COUNT": _code(_E, "More or fewer output artifacts than the type takes"),
    "RUN_ORDER_OUT_OF_RANGE": _code(_E, "A runOrder out of its range"),
    "CLONE_REF_CONSUMED_BY_NON_CODEBUILD": _code(_E, "A full-clone artifact read by non-CodeBuild"),
    "UNKNOWN_ACTION_CATEGORY": _code(_E, "An action category CodePipeline does not have"),
    "UNKNOWN_ACTION_OWNER": _code(_E, "An action owner other than AWS, ThirdParty, Custom"),
    "INVALID_ACTION_PROVIDER": _code(_E, "An action provider of the wrong form"),
    "INVALID_ACTION_VERSION": _code(_E, "An action version of the wrong form"),
    "UNKNOWN_AWS_ACTION_TYPE": _code(_W, "An AWS-owned action type CodePipeline does not list"),
    "UNKNOWN_AWS_ACTION_VERSION": _code(_W, "An AWS action at a version not listed"),
    "CONNECTION_OWNER_THIRD_PARTY": _code(_W, "A connection action owned by ThirdParty"),
    "MISSING_CONFIGURATION_KEY": _code(_E, "A required configuration key is missing"),
    "MISSING_CONDITIONAL_CONFIGURATION_KEY": _code(
        _E, "A configuration key another key's value requires is missing"
    ),
    # The action's profile says whether CodePipeline rejects the key or ignores it.
    "CONFIGURATION_KEY_WITHOUT_PREREQUISITE": _code(
        _E, "A configuration key without the key it depends on", _W
    ),
    "INVALID_CONFIGURATION_VALUE": _code(_E, "A configuration value not among those allowed"),
    "UNKNOWN_CONFIGURATION_KEY": _code(_W, "A configuration key not documented for the type"),
    "INVALID_ARTIFACT_PATH": _code(_E, "A configuration artifact path of the wrong form"),
    "CONFIGURATION_ARTIFACT_NOT_INPUT": _code(_E, "Configuration names an artifact not input"),
    "CONFIGURATION_KEY_LENGTH": _code(_E, "A configuration key of the wrong length"),
    "CONFIGURATION_VALUE_LENGTH": _code(_E, "A configuration value over its length"),
    "TOO_MANY_ENVIRONMENT_VARIABLES": _code(_E, "More environment variables than allowed"),
    "INVALID_ENVIRONMENT_VARIABLE": _code(_E, "An environment variable of the wrong form"),
    "INVALID_ROLE_ARN": _code(_E, "A role that is not an IAM role ARN"),
    "INVALID_PIPELINE_TYPE": _code(_E, "A pipelineType other than V1 or V2"),
    "INVALID_EXECUTION_MODE": _code(_E, "An executionMode CodePipeline does not have"),
    # V2-only features: an error in a declared V1 pipeline, a warning where V1 is assumed.
    "V2_ONLY_VARIABLES": _code(_E, "Pipeline variables in a V1 pipeline", _W),
    "V2_ONLY_TRIGGERS": _code(_E, "Triggers in a V1 pipeline", _W),
    "V2_ONLY_EXECUTION_MODE": _code(_E, "An execution mode of V2 in a V1 pipeline", _W),
    "V2_ONLY_STAGE_CONDITION": _code(_E, "Stage conditions in a V1 pipeline", _W),
    "V2_ONLY_ACTION_TYPE": _code(_E, "An action type of V2 in a V1 pipeline", _W),
    "ROLLBACK_IN_PARALLEL_MODE": _code(_E, "A stage rollback in a PARALLEL pipeline"),
    "ARTIFACT_STORE_REGION_MISSING": _code(_E, "No artifact store for an action's Region"),
    "ARTIFACT_STORE_BOTH_FORMS": _code(_E, "Both artifactStore and artifactStores"),
    "INVALID_ARTIFACT_STORE_LOCATION": _code(_E, "An artifact store bucket name of wrong form"),
    "INVALID_ARTIFACT_STORE_TYPE": _code(_E, "An artifact store type other than S3"),
    # An error where the actions' Regions are known, a warning where they may be the pipeline's.
    "CROSS_REGION_NEEDS_ARTIFACT_STORES": _code(_E, "Cross-Region actions need artifactStores", _W),
    # An error where the action's own Region is known, a warning where it is not.
    "REGION_NOT_ALLOWED": _code(_E, "A Region on an action that runs in the pipeline's", _W),
    "DUPLICATE_NAMESPACE": _code(_E, "Two actions of one namespace"),
    "NAMESPACE_IS_ARTIFACT_NAME": _code(_E, "A namespace that is also an artifact name"),
    # An error for `codepipeline` or beside pipeline variables; else a warning.
    "RESERVED_NAMESPACE": _code(_E, "A namespace CodePipeline reserves", _W),
    "MALFORMED_VARIABLE_REFERENCE": _code(_W, "A #{...} that is not a variable reference"),
    "UNDECLARED_PIPELINE_VARIABLE": _code(_E, "A reference to an undeclared pipeline variable"),
    "UNKNOWN_VARIABLE_NAMESPACE": _code(_E, "A reference to a namespace no action declares"),
    "VARIABLE_NOT_YET_AVAILABLE": _code(_E, "A reference to a variable set only later"),
    "PIPELINE_VARIABLE_IN_SOURCE_ACTION": _code(_W, "A pipeline variable in a source action"),
    "TIMEOUT_NOT_ALLOWED": _code(_E, "timeoutInMinutes on an action that takes none"),
    "INVALID_TIMEOUT": _code(_E, "timeoutInMinutes out of its range"),
    "COMMANDS_MISSING": _code(_E, "A Commands action without commands"),
    "COMMANDS_NOT_ALLOWED": _code(_E, "commands on an action other than Commands"),
    "INVALID_COMMANDS": _code(_E, "commands of the wrong form or number"),
    "INVALID_OUTPUT_VARIABLES": _code(_E, "outputVariables of the wrong form or number"),
    "INVALID_TRIGGER": _code(_E, "A trigger of the wrong shape"),
    "TOO_MANY_TRIGGERS": _code(_E, "More triggers than allowed"),
    "TRIGGER_PROVIDER_UNSUPPORTED": _code(_E, "A trigger of a provider other than connections"),
    "TRIGGER_SOURCE_ACTION_UNKNOWN": _code(_E, "A trigger naming no source action"),
    "TRIGGER_SOURCE_NOT_CONNECTION": _code(_E, "A trigger on a source that is no connection"),
    "TOO_MANY_TRIGGER_FILTERS": _code(_E, "More trigger filters than allowed"),
    "POLLING_SOURCE": _code(_G, "A source action that polls for changes"),
    "GITHUB_V1_SOURCE": _code(_G, "A GitHub version 1 (OAuth) source action"),
    # --- stage conditions and their rules
    "STAGE_CONDITION_COUNT": _code(_E, "A stage block with the wrong number of conditions"),
    "CONDITION_RULE_COUNT": _code(_E, "A condition with the wrong number of rules"),
    "CONDITION_RESULT_MISSING": _code(_W, "A condition without a result"),
    "INVALID_CONDITION_RESULT": _code(_E, "A condition result CodePipeline does not have"),
    "CONDITION_RESULT_NOT_ALLOWED": _code(_W, "A condition result the guide does not allow"),
    "SKIP_RULE_NOT_ALLOWED": _code(_E, "A skipping entry condition with other rules"),
    "RETRY_WITH_CONDITIONS": _code(_E, "Automatic retry beside onFailure conditions"),
    "RETRY_CONFIGURATION_WITHOUT_RETRY": _code(_E, "retryConfiguration without a retry"),
    "INVALID_RETRY_MODE": _code(_E, "A retryMode CodePipeline does not have"),
    "ROLLBACK_ON_SOURCE_STAGE": _code(_W, "A rollback on the source stage"),
    "INVALID_RULE_CATEGORY": _code(_E, "A rule category other than Rule"),
    "INVALID_RULE_OWNER": _code(_E, "A rule owner other than AWS"),
    "UNKNOWN_RULE_PROVIDER": _code(_E, "A rule provider CodePipeline does not have"),
    "UNKNOWN_RULE_VERSION": _code(_W, "A rule at a version not listed"),
    "INVALID_RULE_NAME": _code(_E, "A rule name of the wrong length or characters"),
    "DUPLICATE_RULE_NAME": _code(_W, "Two rules of one name"),
    "RULE_CONFIGURATION_MISSING": _code(_E, "A rule without a configuration it needs"),
    "RULE_CONFIGURATION_RECOMMENDED": _code(_W, "A rule without a configuration the guide asks"),
    "INVALID_RULE_CONFIGURATION_VALUE": _code(_E, "A rule configuration value not allowed"),
    "INVALID_RULE_CONFIGURATION": _code(_E, "A rule configuration of the wrong size"),
    "RULE_COMMANDS_MISSING": _code(_E, "A Commands rule without commands"),
    "RULE_COMMANDS_NOT_ALLOWED": _code(_W, "commands on a rule other than Commands"),
    "INVALID_RULE_COMMANDS": _code(_E, "Rule commands of the wrong form or number"),
    "RULE_INPUT_ARTIFACTS_NOT_USED": _code(_W, "Input artifacts on a rule that reads none"),
    "RULE_INPUT_ARTIFACT_UNKNOWN": _code(_E, "A rule input artifact not produced before it"),
    "INVALID_RULE_TIMEOUT": _code(_E, "A rule timeoutInMinutes out of its range"),
    "INVALID_RULE_REGION": _code(_E, "A rule Region of the wrong form"),
    # === computing the policy
    # An error for an AWS type; a warning for custom and third-party types, whose job
    # workers usually hold their own credentials.
    "NO_PROFILE": _code(_E, "An action type no profile describes", _W),
    "DEPRECATED_PROFILE": _code(_W, "An action type its profile marks deprecated"),
    "PROVIDER_PITFALL": _code(_G, "A known pitfall of the action's provider"),
    "KMS_ALIAS": _code(_W, "An artifact store key given by alias"),
    "UNRESOLVED_TRIGGER": _code(_W, "A trigger's source the policy cannot resolve"),
    "NOT_AN_ARN": _code(_E, "A resource built from the configuration is not an ARN"),
    "CONDITION_WIDENED": _code(_W, "A statement condition widened to what is known"),
    "MISSING_CONFIGURATION": _code(_E, "A configuration value a statement needs is not set"),
    "UNRESOLVED_VARIABLE": _code(_W, "A value holding a variable resolved at run time"),
    "MASKED_VALUE": _code(_W, "A masked configuration value"),
    "UNKNOWN_ACCOUNT": _code(_W, "The account is not known"),
    "UNKNOWN_REGION": _code(_W, "The Region is not known"),
    "HINT_UNKNOWN": _code(_W, "A hint the action's profile does not take"),
    "HINT_UNMATCHED": _code(_W, "A hint that matches no action"),
    "HINT_WOULD_NARROW": _code(_G, "A hint would narrow a statement"),
    "POLICY_SPLIT": _code(_W, "The policy is split over several documents"),
    "POLICY_PART_OVER_QUOTA": _code(_E, "A part of the policy over its size quota"),
    "TOO_MANY_MANAGED_POLICIES": _code(_E, "More managed policies than a role takes"),
    "PROFILE_PREDATES_AS_OF": _code(_W, "A profile newer than the date asked for"),
    "PROFILE_UNDATED_AS_OF": _code(_W, "A profile without a date, asked as of a date"),
    # === diffing, and the command line
    "UNVERIFIED_REQUIREMENTS": _code(_W, "Requirements the diff could not verify"),
    "INPUT_UNREADABLE": _code(_E, "An input file that could not be read"),
    # === companion documents (trust, artifact bucket and key, other resources' policies)
    "COMPANION_TRUSTED_ROLE_UNKNOWN": _code(_W, "The service role action roles trust is unknown"),
    "COMPANION_ROLE_UNKNOWN": _code(_W, "A role whose trust policy is given is not known whole"),
    "COMPANION_ROLE_ACCOUNT_UNKNOWN": _code(_W, "Whether a role is in another account is unknown"),
    "COMPANION_STORE_MISSING": _code(_E, "A Region with actions has no artifact store"),
    "COMPANION_STORE_REGION_UNKNOWN": _code(
        _W, "Which store serves the pipeline's Region is unknown"
    ),
    "CROSS_ACCOUNT_STORE_WITHOUT_KEY": _code(
        _E, "Another account uses a store without a customer managed key"
    ),
    "CROSS_ACCOUNT_KEY_NOT_ARN": _code(_E, "A store used across accounts names no key ARN"),
    "COMPANION_TARGET_UNKNOWN": _code(_W, "The resource of a companion statement is unknown"),
    "COMPANION_TARGET_ACCOUNT_UNKNOWN": _code(
        _W, "Whether a companion's resource is in another account is unknown"
    ),
    "COMPANION_UNRESOLVED_TRIGGER": _code(_W, "A companion's trigger is known only at run time"),
    "COMPANION_POLICY_NOT_READ": _code(_W, "A companion policy the template does not determine"),
    "COMPANION_POLICY_NOT_COMPARED": _code(
        _W, "A template's companion policy for a resource or principal not known whole"
    ),
    "COMPANION_NOT_NAMED": _code(_W, "A companion policy given for a resource no pipeline names"),
    "COMPANION_GIVEN_TWICE": _code(_W, "Two companion policies given for one resource"),
    "COMPANION_OVERRIDDEN": _code(
        _W, "A resource policy given for a resource a companion policy is given for"
    ),
    "ACTION_ROLE_NOT_DECLARED": _code(_W, "Policies given for a role no action declares"),
    "ACTION_ROLE_GIVEN_TWICE": _code(_W, "An action role's policies given twice"),
    "PRINCIPAL_NOT_SERVICE_ROLE": _code(_W, "The principal given is not the pipelines' role"),
}

# The codes the policy validator emits.
POLICY_CODES: Final = frozenset(_POLICY_VALIDATOR_CODES)
FINDING_CODES: Final[Mapping[str, FindingCode]] = MappingProxyType(
    {**_POLICY_VALIDATOR_CODES, **_PIPELINE_CODES}
)


def finding(code: str, message: str, path: str, **detail: Any) -> Finding:
    """A Finding of `code`, typed from the registry; None-valued detail entries are dropped."""
    return Finding(
        code=code,
        finding_type=FINDING_CODES[code].finding_type,
        message=message,
        path=path,
        detail={k: v for k, v in detail.items() if v is not None},
    )

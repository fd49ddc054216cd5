"""The policy validator's finding codes: one stable UPPER_SNAKE code, one finding type each.

The finding types are Access Analyzer's (ERROR, SECURITY_WARNING, WARNING, SUGGESTION). A code
never changes type: where the same construct is an error in one policy type and a warning in
another (a missing Version), it has two codes. Severities follow iam-semantics.md §6.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from app.engine.findings import Finding, FindingType

_E = FindingType.ERROR
_S = FindingType.SECURITY_WARNING
_W = FindingType.WARNING
_G = FindingType.SUGGESTION

CODES: Final[Mapping[str, tuple[FindingType, str]]] = MappingProxyType(
    {
        # --- the document cannot be read as a policy
        "INVALID_JSON": (_E, "The text is not valid JSON"),
        "NOT_A_POLICY": (_E, "The input has no policy shape"),
        "MISSING_STATEMENT": (_E, "The policy has no Statement"),
        # --- structural problems the parser tolerates (ParseIssue)
        "DUPLICATE_KEY": (_E, "A key appears twice in one object"),
        "WRONG_TYPE": (_E, "An element has the wrong JSON type"),
        "UNKNOWN_ELEMENT": (_E, "An element IAM does not know"),
        "EMPTY_STATEMENT": (_E, "Statement is an empty array"),
        "STATEMENT_NOT_OBJECT": (_E, "A statement is not an object"),
        "MISSING_EFFECT": (_E, "A statement has no Effect"),
        "MISSING_ACTION": (_E, "A statement has neither Action nor NotAction"),
        "ACTION_AND_NOT_ACTION": (_E, "A statement has both Action and NotAction"),
        "MISSING_RESOURCE": (_E, "A statement has neither Resource nor NotResource"),
        "RESOURCE_AND_NOT_RESOURCE": (_E, "A statement has both Resource and NotResource"),
        "EMPTY_ARRAY": (_E, "An action or resource array is empty"),
        "EMPTY_CONDITION_BLOCK": (_E, "A condition operator has no keys"),
        "PRINCIPAL_PRESENT": (_E, "Principal or NotPrincipal in an identity policy"),
        # --- grammar (IAM rejects the policy)
        "INVALID_VERSION": (_E, "Version is neither 2012-10-17 nor 2008-10-17"),
        "MISSING_VERSION": (_E, "A managed policy without Version"),
        "OLD_VERSION_IN_MANAGED": (_E, "A managed policy with Version 2008-10-17"),
        "INVALID_EFFECT": (_E, "Effect is not exactly Allow or Deny"),
        "INVALID_ACTION_FORMAT": (_E, "An action is not service:action"),
        "SERVICE_PREFIX_WILDCARD": (_E, "A wildcard in an action's service prefix"),
        "INVALID_RESOURCE": (_E, 'A resource is neither "*" nor an ARN'),
        "INVALID_ARN_PARTITION": (_E, "An ARN with an unknown partition"),
        "RESOURCE_SERVICE_WILDCARD": (_E, "A wildcard in an ARN's service segment"),
        "RESOURCE_SERVICE_CASE": (_E, "An ARN's service segment is not lower case"),
        "IAM_ARN_REGION": (_E, "An IAM ARN with a Region"),
        "IAM_ARN_PATH": (_E, "An IAM ARN with an invalid resource path"),
        "UNKNOWN_OPERATOR": (_E, "An unknown condition operator"),
        "NULL_IF_EXISTS": (_E, "NullIfExists is not an operator"),
        "INVALID_CONDITION_VALUE": (_E, "A condition value of the wrong type"),
        "VARIABLE_NOT_ALLOWED": (_E, "A variable in a Numeric, Date, Binary, IP or Null operator"),
        "MALFORMED_VARIABLE": (_E, "A malformed ${...} policy variable"),
        "INVALID_CHARACTER": (_E, "A character outside tab, LF, CR and U+0020-U+00FF"),
        "POLICY_SIZE_EXCEEDED": (_E, "The policy is over its size quota"),
        # --- Access Analyzer level errors (IAM accepts the policy)
        "UNKNOWN_SERVICE": (_E, "An action of a service the catalogue does not know"),
        "UNKNOWN_ACTION": (_E, "An action or pattern that matches no catalogued action"),
        "UNKNOWN_CONDITION_KEY": (_E, "A condition key unknown for the statement's services"),
        "DUPLICATE_CONDITION_KEY_CASE": (_E, "The same condition key twice, differing in case"),
        "INVALID_SID": (_E, "A Sid with characters other than A-Z, a-z, 0-9"),
        "DUPLICATE_SID": (_E, "Two statements of one policy share a Sid"),
        # --- security warnings
        "ALL_ACTIONS": (_S, 'Allow with Action "*"'),
        "ALLOW_WITH_NOT_ACTION": (_S, "Allow with NotAction"),
        "ALLOW_WITH_NOT_RESOURCE": (_S, "Allow with NotResource"),
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE": (
            _S,
            "iam:PassRole on every role without an iam:PassedToService condition",
        ),
        "PRIVILEGE_ESCALATION": (_S, "Privilege-escalation actions on every resource"),
        "FORALLVALUES_WITH_SINGLE_VALUED_KEY": (_S, "ForAllValues with a single-valued key"),
        # --- general warnings
        "NO_VERSION": (_W, "An inline policy without Version: variables are literal"),
        "OLD_VERSION": (_W, "Version 2008-10-17: variables are literal"),
        "ID_PRESENT": (_W, "Id in an identity policy"),
        "VARIABLE_IN_OLD_VERSION": (_W, "${...} in a policy whose variables are literal"),
        "WILDCARD_IN_NON_LIKE_OPERATOR": (_W, "* or ? in an operator that reads them literally"),
        "FORALLVALUES_WITH_ALLOW": (_W, "ForAllValues with Allow holds when the key is absent"),
        "FORANYVALUE_WITH_SINGLE_VALUED_KEY": (_W, "ForAnyValue with a single-valued key"),
        "PASSROLE_ON_ANY_ROLE": (_W, "iam:PassRole on every role of the account"),
        "POLICY_SIZE_NEAR_QUOTA": (_W, "The policy is within 5 % of its size quota"),
        "SERVICE_WIDE_WILDCARD": (_W, "Every action of a service (service:*)"),
        "RESOURCE_MISMATCH": (_W, "A resource no listed action applies to"),
        "CONDITION_KEY_NOT_FOR_ACTIONS": (_W, "A condition key none of the actions supports"),
        "CONDITION_NEVER_MATCHES": (_W, "A condition value that can never match"),
        "CONDITION_TYPE_MISMATCH": (_W, "An operator of another type than its condition key"),
        # --- suggestions
        "EMPTY_SID": (_G, "An empty Sid"),
        "WILDCARD_IN_SERVICE_NAME": (_G, "The service prefix is *"),
        "REDUNDANT_ACTION": (_G, "An action another entry of the statement covers"),
        "REDUNDANT_RESOURCE": (_G, "A resource another entry of the statement covers"),
        "REDUNDANT_STATEMENT": (_G, "A statement another statement covers"),
        "REDUNDANCY_CHECK_LIMITED": (_G, "Redundancy checks stopped at their search budget"),
        "RESOURCE_STAR": (_G, 'Resource "*" on actions that can be scoped to resources'),
        "BASELINE_RECOGNISED": (_G, "The policy is a named baseline"),
        # --- CodePipeline-aware checks (validate_pipeline_checks)
        "EB_DESCRIBE_EVENTS_MISSING": (_E, "An Elastic Beanstalk deploy without DescribeEvents"),
        "PIPELINE_PASSROLE_UNSCOPED": (_S, "The pipelines pass roles; PassRole is not scoped"),
        "ROLE_PREDATES_PROVIDER": (_W, "The role predates a provider it lacks permissions for"),
    }
)


def finding(code: str, message: str, path: str, **detail: Any) -> Finding:
    """A Finding of `code`, typed from the table; None-valued detail entries are dropped."""
    finding_type, _ = CODES[code]
    return Finding(
        code=code,
        finding_type=finding_type,
        message=message,
        path=path,
        detail={k: v for k, v in detail.items() if v is not None},
    )

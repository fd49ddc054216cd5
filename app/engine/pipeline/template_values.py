"""Values resolved from infrastructure templates: the unknown marker, widening, merging.

Both template parsers (CloudFormation, Terraform) evaluate expressions to plain Python values in
which a part the template does not determine is the UNKNOWN marker. Once a value is final it is
widened: every run of markers (with any adjacent literal `*`) becomes one `*`, so a string keeps its
known parts (`arn:aws:s3:::\\x00-logs` -> `arn:aws:s3:::*-logs`).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.companions.documents import DocumentKind
from app.engine.findings import Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.errors import PolicyParseError
from app.engine.iam.policy.parse import decode_document
from app.engine.iam.validation.validate import unreadable_finding
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import Pipeline

# A character no template writes: stands for a part of a string the template does not determine.
UNKNOWN = "\x00"
_MARKER_RUN = re.compile(r"[*\x00]*\x00[*\x00]*")

UNRESOLVED = "UNRESOLVED_TEMPLATE_VALUE"


URL_SUFFIXES: Mapping[str, str] = {
    "aws": "amazonaws.com",
    "aws-us-gov": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
}


@dataclass(frozen=True)
class TemplateContext:
    """What a template's pseudo parameters (account, Region, ...) stand for, where known.

    The partition, when not given, follows the Region (`cn-*`, `us-gov-*`), else `aws`, as the
    policy computation assumes.
    """

    account: str | None = None
    region: str | None = None
    partition: str | None = None
    stack_name: str | None = None
    # The IAM catalogue whose ARN formats name the resources a template refers to: the one the
    # answer is computed with (the shipped snapshot when none is given).
    catalog: Catalog | None = field(default=None, compare=False, repr=False)

    @property
    def effective_partition(self) -> str:
        if self.partition:
            return self.partition
        region = self.region or ""
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"


@dataclass(frozen=True)
class PolicyReadings:
    """An identity policy a template defines, read for what it grants whatever the values the
    template does not determine are (`sure`: those parts of an Allow statement match nothing,
    those of a Deny statement are widened) and for what it may grant (`possible`: the other way
    round). Both are the widened document where the template determines every value."""

    sure: Any
    possible: Any


@dataclass(frozen=True)
class TemplatePolicy:
    """An identity policy a template defines: resolved and widened (JSON text decoded), its
    place in the template, its readings, and the places in it of the values the template does
    not determine (JSON pointers, with their lines)."""

    document: Any
    pointer: str
    readings: PolicyReadings
    undetermined: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class RolePolicies:
    """The identity policies a template attaches to a pipeline's service role.

    A current policy is read from their `sure` and `possible` readings: widened, a value the
    template does not determine would grant everything. `findings` say what could not be
    included (an AWS managed policy, a policy whose name the template does not determine) or
    read.
    """

    pipeline_pointer: str
    role: str  # the role's logical ID
    policies: tuple[TemplatePolicy, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def documents(self) -> tuple[tuple[Any, str], ...]:
        """Each document resolved and widened, at its place."""
        return tuple((p.document, p.pointer) for p in self.policies)

    @property
    def sure(self) -> tuple[tuple[Any, str], ...]:
        """Each document as it grants whatever the undetermined values are, at its place."""
        return tuple((p.readings.sure, p.pointer) for p in self.policies)

    @property
    def possible(self) -> tuple[tuple[Any, str], ...]:
        """Each document as it may grant, at its place."""
        return tuple((p.readings.possible, p.pointer) for p in self.policies)

    @property
    def undetermined(self) -> tuple[tuple[str, int | None], ...]:
        """The places of the values the template does not determine, each once."""
        return tuple(dict.fromkeys(place for p in self.policies for place in p.undetermined))


@dataclass(frozen=True)
class CompanionPolicy:
    """A trust, bucket or key policy a template defines for a role, bucket or key its pipeline
    names: `target` is spelled as the pipeline's companion document of that kind names it, the
    document is resolved and widened, `pointer` is its place in the template."""

    kind: DocumentKind
    target: str
    document: Any
    pointer: str
    line: int | None = None
    # The places in the document (JSON pointers in the request, with their lines) of the values
    # the template does not determine, widened to `*`: a principal so widened is none IAM takes.
    undetermined: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class CompanionPolicies:
    """The companion policies a template defines for one pipeline; `findings` say which of
    them could not be read (a key without a key policy, a reference to one of several)."""

    pipeline_pointer: str
    policies: tuple[CompanionPolicy, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class ParsedTemplate:
    """The pipelines a template declares and what was found while reading them."""

    pipelines: list[Pipeline] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # The service-role policies the template itself defines, for pipelines whose role it declares.
    role_policies: list[RolePolicies] = field(default_factory=list)
    # The trust, bucket and key policies the template defines for what its pipelines name.
    companion_policies: list[CompanionPolicies] = field(default_factory=list)


def is_unknown(value: Any) -> bool:
    """Whether a resolved value holds any part the template does not determine."""
    if isinstance(value, str):
        return UNKNOWN in value
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(v) for v in value)
    return False


def undetermined_places(value: Any, pointer: str) -> tuple[str, ...]:
    """The JSON pointers, under `pointer`, of the strings of a resolved value that hold a part
    the template does not determine; of a JSON text, those of the document it holds (as the
    value is read once widened)."""
    return tuple(_undetermined(decoded(value), pointer))


def decoded(value: Any) -> Any:
    """A resolved value that is JSON text holding a part the template does not determine, as
    the document it holds (those parts kept as the marker); any other value as it is."""
    if isinstance(value, str) and UNKNOWN in value:
        with contextlib.suppress(ValueError):
            return json.loads(value.replace(UNKNOWN, "\\u0000"))
    return value


def _undetermined(value: Any, pointer: str) -> Iterator[str]:
    if isinstance(value, str):
        if UNKNOWN in value:
            yield pointer
    elif isinstance(value, Mapping):
        if any(UNKNOWN in str(key) for key in value):
            yield pointer  # a member whose name is not known: the object holding it
        for key, item in value.items():
            yield from _undetermined(item, pointer_join(pointer, widen(str(key))))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _undetermined(item, pointer_join(pointer, index))


def widen(value: Any) -> Any:
    """Replace unknown parts by `*`, recursively."""
    if isinstance(value, str):
        return _MARKER_RUN.sub("*", value) if UNKNOWN in value else value
    if isinstance(value, Mapping):
        return {str(k): widen(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [widen(v) for v in value]
    return value


def scalar_text(value: Any) -> str | None:
    """The text of a scalar the way templates and the API compare and join it; None otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value
    return None


def optional_text(value: Any) -> str | None:
    """A scalar's text, widened; None when there is none (a list, a map, an empty string)."""
    text = scalar_text(value)
    if text is None and is_unknown(value):
        text = UNKNOWN
    return widen(text) if text else None


def common_pattern(first: str, second: str) -> str:
    """One string covering both: the shared prefix and suffix around an unknown part."""
    if first == second:
        return first
    size = _shared_prefix(first, second)
    rest_a, rest_b = first[size:], second[size:]
    tail = _shared_prefix(rest_a[::-1], rest_b[::-1])
    return first[:size] + UNKNOWN + (rest_a[len(rest_a) - tail :] if tail else "")


def _shared_prefix(first: str, second: str) -> int:
    size = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        size += 1
    return size


def merge_alternatives(first: Any, second: Any) -> Any:
    """A single value standing for either of two alternatives (widened where they differ)."""
    if first == second:
        return first
    if isinstance(first, str) and isinstance(second, str):
        return common_pattern(first, second)
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        out: dict[str, Any] = {}
        for key in [*first, *(k for k in second if k not in first)]:
            if key in first and key in second:
                out[key] = merge_alternatives(first[key], second[key])
            else:
                out[key] = first[key] if key in first else second[key]
        return out
    if isinstance(first, list) and isinstance(second, list):
        return [*first, *(item for item in second if item not in first)]
    a_text, b_text = scalar_text(first), scalar_text(second)
    if a_text is not None and b_text is not None:
        return common_pattern(a_text, b_text)
    return UNKNOWN


def unresolved(path: str, message: str, line: int | None, **detail: Any) -> Finding:
    return warning(UNRESOLVED, path, message, line, **detail)


def warning(code: str, path: str, message: str, line: int | None, **detail: Any) -> Finding:
    """A WARNING about a place of the template (a value not determined, a policy not read)."""
    return Finding(
        code=code,
        finding_type=FindingType.WARNING,
        message=message,
        path=path,
        detail=detail,
        line=line,
    )


def managed_policy_not_read(arn: str, path: str, line: int | None, source: str) -> Finding:
    """ROLE_POLICY_NOT_READ: the service role attaches a managed policy that `source` (the
    template, the file) does not define."""
    return warning(
        "ROLE_POLICY_NOT_READ",
        path,
        f"the role attaches the managed policy `{arn}`, which the {source} does not define; its "
        "permissions are not part of the current policy",
        line,
        policy=arn,
    )


def one_policy_document(value: Any, path: str, line: int | None) -> Mapping[str, Any] | Finding:
    """The policy document a template gives at `path` (a role's `PolicyDocument` or trust
    policy, a key's `KeyPolicy`, a bucket's policy), widened: an object, or JSON text of one,
    decoded, as every place that holds one document takes it. Anything else (text that is not
    JSON, JSON text of a list) is an ERROR at its place, and the document is not used."""
    try:
        return decode_document(value, path)
    except PolicyParseError as error:
        refused = unreadable_finding(error)
        return replace(refused, message=f"{refused.message}; it is not read", line=line)


def shape_error(path: str, message: str, line: int | None = None) -> Finding:
    return Finding(
        code="PIPELINE_SHAPE",
        finding_type=FindingType.ERROR,
        message=message,
        path=path,
        line=line,
    )


def configuration_strings(
    raw: Any, pointer: str, findings: list[Finding], line: int | None = None
) -> dict[str, str]:
    """An action configuration as the API holds it: string values only.

    `raw` is a resolved (not yet widened) mapping, or a JSON string of one. Numbers and booleans
    become their text; objects and lists become JSON text, with a finding.
    """
    if raw is None:
        return {}
    if isinstance(raw, str):
        text = widen(raw)
        try:
            raw = json.loads(text)
        except ValueError:
            findings.append(
                shape_error(
                    pointer,
                    "the configuration is a string that is not a JSON object and was ignored",
                    line,
                )
            )
            return {}
    if not isinstance(raw, Mapping):
        findings.append(
            shape_error(pointer, "the configuration is not an object and was ignored", line)
        )
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        text = scalar_text(value)
        if text is not None:
            out[str(key)] = widen(text)
        elif value is None:
            continue
        else:
            out[str(key)] = json.dumps(widen(value), separators=(",", ":"), sort_keys=False)
            findings.append(
                Finding(
                    code="CONFIGURATION_VALUE_TYPE",
                    finding_type=FindingType.WARNING,
                    message=f"configuration value `{key}` is not a string; its JSON text is used",
                    path=pointer_join(pointer, str(key)),
                    line=line,
                )
            )
    return out


def run_order(value: Any, pointer: str, findings: list[Finding], line: int | None) -> int:
    """A runOrder as an integer; 1 with a finding when the value is not one."""
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if not is_unknown(value):
        findings.append(
            Finding(
                code="RUN_ORDER_TYPE",
                finding_type=FindingType.ERROR,
                message="`runOrder` must be an integer; 1 was assumed",
                path=pointer,
                line=line,
            )
        )
    return 1


def dedupe_findings(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, int | None]] = set()
    out: list[Finding] = []
    for finding in findings:
        key = (finding.code, finding.path, finding.message, finding.line)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def charge_value(budget: WorkBudget, value: Any, at: str) -> None:
    """Charge a value a template evaluation produced (or reused) to `budget`: a string its
    characters, a list or map its members (theirs were charged when they were produced)."""
    if isinstance(value, str):
        budget.charge(characters=len(value), at=at)
    elif isinstance(value, list | dict):
        budget.charge(items=len(value), at=at)


def charge_join(budget: WorkBudget, separator: str, texts: list[str], at: str) -> None:
    """Charge a join before it is made: one call could otherwise make a string far larger than
    the budget (a long separator between many items)."""
    budget.charge(
        characters=len(separator) * max(len(texts) - 1, 0) + sum(len(t) for t in texts), at=at
    )

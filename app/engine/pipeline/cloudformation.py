"""Read CloudFormation templates: every `AWS::CodePipeline::Pipeline`, its intrinsics resolved.

The template is decoded with cfn-lint's decoder (JSON or YAML with short-form tags; nodes carry
their line). Intrinsic functions are evaluated where the template (its Parameters, Mappings,
Conditions and the other resources it declares) and the optional context determine them. What stays
unknown becomes `*` in that position only, and an UNRESOLVED_TEMPLATE_VALUE finding names it with
its JSON pointer and line. An `Fn::If` on a condition the template cannot decide keeps every branch
of a stage or action; elsewhere the branches are merged into one widened value.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import difflib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.errors import PipelineParseError
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.cloudformation_companions import companion_policies
from app.engine.pipeline.cloudformation_nodes import (
    SUB_VARIABLE,
    intrinsic_of,
    is_if,
    node_line,
    references,
    resource_type,
)
from app.engine.pipeline.model import Pipeline, TemplateResource
from app.engine.pipeline.policy_readings import template_policy
from app.engine.pipeline.resource_types import CLOUDFORMATION, resource_value
from app.engine.pipeline.source_lines import document_line
from app.engine.pipeline.source_map import SourceMap, cloudformation_token
from app.engine.pipeline.template_document import Places, Spelling, Writer
from app.engine.pipeline.template_values import (
    UNKNOWN,
    URL_SUFFIXES,
    CompanionPolicies,
    ParsedTemplate,
    RolePolicies,
    TemplateContext,
    TemplatePolicy,
    charge_join,
    charge_value,
    dedupe_findings,
    is_unknown,
    managed_policy_not_read,
    merge_alternatives,
    one_policy_document,
    optional_text,
    scalar_text,
    shape_error,
    unresolved,
    widen,
)
from app.engine.pipeline.unknown_fields import PIPELINE_FIELDS

__all__ = ["PIPELINE_RESOURCE_TYPE", "ParsedTemplate", "TemplateContext", "parse_cloudformation"]

PIPELINE_RESOURCE_TYPE = "AWS::CodePipeline::Pipeline"

_MAX_DEPTH = 80  # nesting of template values followed, references included
_MAX_BRANCH_CONDITIONS = 4  # undecidable conditions enumerated per stage or action (2**4 forms)
# CloudFormation's own limit on a template (from S3) is 1 MB; cfn-lint's decoder reads some
# 60,000 characters a second and cannot be interrupted, so a larger text only ties up a worker.
MAX_TEMPLATE_CHARS = 1024 * 1024
_SUFFIX_ROOM = 13  # characters CloudFormation appends to a generated name ("-" + 12 random)

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([^}]*)\}\}")


def parse_cloudformation(
    text: str,
    *,
    parameters: Mapping[str, str] | None = None,
    context: TemplateContext | None = None,
    pointer: str = "",
    budget: WorkBudget | None = None,
) -> ParsedTemplate:
    """Every `AWS::CodePipeline::Pipeline` of a CloudFormation template, as pipeline models.

    Raises PipelineParseError when the text is not a readable template (the message gives the
    line) or declares no pipeline. Resolving values is charged to `budget` (every node visited,
    a memoised value each time it is used, and what each intrinsic produces); past it,
    WorkLimitExceededError names the node.
    """
    template = _decode(text, pointer, budget or WorkBudget())
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        raise PipelineParseError(
            f"no {PIPELINE_RESOURCE_TYPE} resource: the template has no `Resources` object",
            pointer,
        )
    logical_ids = [
        str(lid)
        for lid, resource in resources.items()
        if isinstance(resource, Mapping) and resource.get("Type") == PIPELINE_RESOURCE_TYPE
    ]
    if not logical_ids:
        raise PipelineParseError(f"no {PIPELINE_RESOURCE_TYPE} resource in the template", pointer)
    findings: list[Finding] = []
    resolver = _Resolver(
        template,
        parameters or {},
        context or TemplateContext(),
        pointer,
        findings,
        budget or WorkBudget(),
    )
    findings.extend(_unknown_parameters(parameters or {}, resolver.parameters, pointer))
    pipelines: list[Pipeline] = []
    role_policies: list[RolePolicies] = []
    companions: list[CompanionPolicies] = []
    errors: list[PipelineParseError] = []
    created = [lid for lid in logical_ids if resolver.created(lid) is not False]
    # When no pipeline is created with these parameters, read them as if they were, rather than
    # answer nothing: a finding says which Condition was assumed.
    for logical_id in created or logical_ids:
        try:
            pipeline = resolver.pipeline(logical_id, assume_created=not created)
        except RecursionError:
            raise PipelineParseError("the template nests too deeply to be read", pointer) from None
        except PipelineParseError as exc:
            errors.append(exc)
            findings.append(
                shape_error(exc.pointer, f"pipeline `{logical_id}` was not read: {exc.message}")
            )
            continue
        pipelines.append(pipeline)
        try:
            policies = resolver.role_policies(logical_id, pipeline.pointer)
        except RecursionError:
            policies = None  # the pipeline itself was read; its role's policies are not needed
        if policies is not None:
            role_policies.append(policies)
        # As for the role's policies: the pipeline itself was read, these are not needed for it.
        with contextlib.suppress(RecursionError):
            companions.append(companion_policies(resolver, pipeline))
    if not pipelines:
        raise errors[0]
    return ParsedTemplate(
        pipelines=pipelines,
        findings=dedupe_findings(findings),
        role_policies=role_policies,
        companion_policies=companions,
    )


# A large template's decode takes seconds, holds the interpreter and cannot be interrupted;
# several at once gain nothing but each other's memory, and keep everything else waiting.
LARGE_TEMPLATE_CHARS = 256 * 1024
_LARGE_DECODES = threading.BoundedSemaphore(1)


@contextmanager
def _one_large_decode_at_a_time(text: str, budget: WorkBudget) -> Iterator[None]:
    if len(text) <= LARGE_TEMPLATE_CHARS:
        yield
        return
    while not _LARGE_DECODES.acquire(timeout=0.05):
        budget.check()  # the request's deadline or cancellation ends the wait
    try:
        yield
    finally:
        _LARGE_DECODES.release()


def _decode(text: str, pointer: str, budget: WorkBudget) -> Mapping[str, Any]:
    from cfnlint.decode import decode_str  # noqa: PLC0415 - ~1 s import, only when parsing

    if not text.strip():
        raise PipelineParseError("the template is empty", pointer)
    if len(text) > MAX_TEMPLATE_CHARS:
        raise PipelineParseError(
            f"the template has {len(text):,} characters; at most {MAX_TEMPLATE_CHARS:,} are read "
            "(CloudFormation itself takes templates of at most 1 MB)",
            pointer,
        )
    with _one_large_decode_at_a_time(text, budget):
        try:
            template, matches = decode_str(text)
        except RecursionError:
            raise PipelineParseError("the template nests too deeply to be read", pointer) from None
        except Exception as exc:  # the decoder reports most problems as matches; anything else
            raise PipelineParseError(f"the template cannot be read: {exc}", pointer) from None
    if matches:
        problems = "; ".join(f"line {m.linenumber}: {m.message}" for m in matches[:3])
        raise PipelineParseError(f"the template cannot be read: {problems}", pointer)
    if not isinstance(template, Mapping):
        raise PipelineParseError("a CloudFormation template must be a mapping", pointer)
    return template


class _NoValue:
    """`AWS::NoValue`: the property or list item is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


_NOVALUE = _NoValue()


class _SplitList(list[Any]):
    """An Fn::Split result: from `uncertain_from` on, items may shift (an unknown part may hold
    the delimiter), so Fn::Select cannot pick them."""

    def __init__(self, items: list[str], uncertain_from: int) -> None:
        super().__init__(items)
        self.uncertain_from = uncertain_from


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


# -- resource values ------------------------------------------------------------------------------


class _ResourceView:
    """One resource seen from a reference to it: its properties, names and ARNs."""

    def __init__(
        self,
        resolver: _Resolver,
        logical_id: str,
        at: str,
        line: int | None,
        depth: int,
    ) -> None:
        self.r = resolver
        self.logical_id = logical_id
        self.at = at
        self.line = line
        self.depth = depth
        self.partition = resolver.partition
        self.catalog = resolver.context.catalog

    def prop(self, key: str) -> Any:
        return self.r.resource_property(self.logical_id, key, self.at, self.line, self.depth)

    def text(self, key: str) -> str | None:
        value = self.prop(key)
        if value is None:
            return None
        return scalar_text(value) or UNKNOWN

    def name(self, key: str, generated: tuple[int, bool] | None) -> str:
        value = self.text(key)
        if value is not None:
            return value
        stack = self.r.context.stack_name
        if generated and stack:
            limit, lower = generated
            prefix = f"{stack}-{self.logical_id}-"
            if len(prefix) + _SUFFIX_ROOM <= limit:
                prefix = prefix.lower() if lower else prefix
                self.r.note(
                    self.at,
                    self.line,
                    f"`{self.logical_id}` has no {key}; CloudFormation names it "
                    f"`{prefix}` followed by a random suffix",
                    reference=self.logical_id,
                )
                return prefix + UNKNOWN
        self.r.note(
            self.at,
            self.line,
            f"`{self.logical_id}` has no {key}; the name CloudFormation generates for it "
            "is not known from the template"
            + (
                " (give `stack_name` with the source: the name starts with it)"
                if generated and not stack
                else ""
            ),
            reference=self.logical_id,
        )
        return UNKNOWN

    def pseudo(self, name: str) -> str:
        value = self.r.pseudo(name, self.at, self.line)
        return value if isinstance(value, str) else UNKNOWN

    def region(self) -> str:
        return self.pseudo("AWS::Region")

    def account(self) -> str:
        return self.pseudo("AWS::AccountId")

    def assigned(self, what: str) -> str:
        self.r.note(
            self.at,
            self.line,
            f"the {what} of `{self.logical_id}` is assigned at creation",
            reference=self.logical_id,
        )
        return UNKNOWN


# -- the resolver ---------------------------------------------------------------------------------

_SPELLING = Spelling(name=_camel)


def _unknown_parameters(
    given: Mapping[str, str], declared: Mapping[str, Any], pointer: str
) -> list[Finding]:
    """A value given for a parameter the template does not declare is a typo more often than
    not, and the parameter it meant then keeps its default: say so at the value."""
    at = pointer.removesuffix("/body") + "/parameters" if pointer.endswith("/body") else pointer
    findings = []
    for name in given:
        if name in declared:
            continue
        near = difflib.get_close_matches(name, [str(k) for k in declared], n=1, cutoff=0.6)
        meant = f"; did you mean `{near[0]}`?" if near else ""
        findings.append(
            Finding(
                code="UNKNOWN_PARAMETER",
                finding_type=FindingType.WARNING,
                message=f"the template declares no parameter `{name}`, so its value is not "
                f"used{meant}",
                path=pointer_join(at, name),
                detail={"parameter": name, "did_you_mean": near[0]}
                if near
                else {"parameter": name},
            )
        )
    return findings


class _Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        overrides: Mapping[str, str],
        context: TemplateContext,
        base: str,
        findings: list[Finding],
        budget: WorkBudget,
    ) -> None:
        self.base = base
        self.template = template
        self.findings = findings
        self.budget = budget
        self.context = context
        self.partition = context.effective_partition
        self.overrides = overrides
        self.parameters = self._section(template, "Parameters")
        self.conditions = self._section(template, "Conditions")
        self.mappings = self._section(template, "Mappings")
        self.resources = self._section(template, "Resources")
        self.assumed: dict[str, bool] = {}
        self.quiet = 0
        self._evaluating: set[str] = set()
        self._in_progress: set[tuple[str, str]] = set()
        self._memo: dict[tuple[Any, ...], Any] = {}

    @staticmethod
    def _section(template: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = template.get(key)
        return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}

    def note(self, at: str, line: int | None, message: str, **detail: Any) -> None:
        if not self.quiet:
            self.findings.append(unresolved(at, message + "; `*` stands in for it", line, **detail))

    def _tick(self, depth: int, at: str | None = None) -> None:
        self.budget.charge(steps=1, at=at)
        if depth > _MAX_DEPTH:
            raise RecursionError

    @contextmanager
    def assuming(self, extra: Mapping[str, bool]) -> Iterator[None]:
        saved = self.assumed
        self.assumed = {**saved, **extra}
        try:
            yield
        finally:
            self.assumed = saved

    @contextmanager
    def silenced(self) -> Iterator[None]:
        self.quiet += 1
        try:
            yield
        finally:
            self.quiet -= 1

    # -- values -----------------------------------------------------------------------------------

    def resolve(self, node: Any, at: str, line: int | None, depth: int = 0) -> Any:
        """The value a template node stands for: plain data with UNKNOWN parts, or _NOVALUE."""
        self._tick(depth, at)
        line = node_line(node, line)
        intrinsic = intrinsic_of(node)
        if intrinsic is not None:
            value = self._evaluate(intrinsic[0], intrinsic[1], at, line, depth)
            # Memoised values too: a value used many times is produced many times over.
            charge_value(self.budget, value, at)
            return value
        if isinstance(node, Mapping):
            out: dict[str, Any] = {}
            for key, child in node.items():
                value = self.resolve(child, pointer_join(at, str(key)), line, depth + 1)
                if value is not _NOVALUE:
                    out[str(key)] = value
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for i, child in enumerate(node):
                items.extend(self.resolve_items(child, pointer_join(at, i), line, depth + 1))
            return items
        if isinstance(node, str):
            return self._dynamic_references(str(node), at, line)
        return node

    def resolve_items(self, node: Any, at: str, line: int | None, depth: int) -> list[Any]:
        """A list item: none (AWS::NoValue), one, or both branches of an undecidable Fn::If."""
        line = node_line(node, line)
        intrinsic = intrinsic_of(node)
        if intrinsic and intrinsic[0] == "Fn::If" and is_if(intrinsic[1]):
            args = intrinsic[1]
            decided = self.condition(args[0], line)
            if decided is None:
                self.note(
                    at,
                    line,
                    f"condition `{_text(args[0])}` cannot be evaluated from the template; "
                    "the list keeps the items of both branches",
                    condition=_text(args[0]),
                )
                return [
                    *self.resolve_items(args[1], pointer_join(at, "Fn::If", 1), line, depth + 1),
                    *self.resolve_items(args[2], pointer_join(at, "Fn::If", 2), line, depth + 1),
                ]
            branch = 1 if decided else 2
            return self.resolve_items(args[branch], pointer_join(at, "Fn::If", branch), line, depth)
        value = self.resolve(node, at, line, depth)
        return [] if value is _NOVALUE else [value]

    def _dynamic_references(self, text: str, at: str, line: int | None) -> str:
        if "{{resolve:" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            self.note(
                at,
                line,
                f"dynamic reference `{{{{resolve:{match.group(1)}}}}}` is resolved at deployment",
                reference=match.group(0),
            )
            return UNKNOWN

        return _DYNAMIC_REFERENCE.sub(replace, text)

    def _evaluate(self, name: str, arg: Any, at: str, line: int | None, depth: int) -> Any:
        inner = pointer_join(at, name)
        if name == "Ref":
            return self.ref(arg, at, line, depth)
        if name == "Fn::GetAtt":
            return self.get_att(arg, at, line, depth)
        if name == "Fn::Sub":
            return self._sub(arg, at, line, depth)
        if name == "Fn::If":
            return self._if(arg, at, line, depth)
        if name == "Fn::Join":
            return self._join(arg, at, line, depth)
        if name == "Fn::Select":
            return self._select(arg, at, line, depth)
        if name == "Fn::Split":
            return self._split(arg, at, line, depth)
        if name == "Fn::FindInMap":
            return self._find_in_map(arg, at, line, depth)
        if name == "Fn::ImportValue":
            with self.silenced():
                export = widen(self.resolve(arg, inner, line, depth + 1))
            self.note(
                at,
                line,
                f"`Fn::ImportValue` of `{export}` is exported by another stack",
                reference=f"Fn::ImportValue:{export}",
            )
            return UNKNOWN
        if name == "Fn::Base64":
            value = self.resolve(arg, inner, line, depth + 1)
            if isinstance(value, str) and not is_unknown(value):
                return base64.b64encode(value.encode()).decode()
            self.note(at, line, "`Fn::Base64` of a value not known from the template")
            return UNKNOWN
        if name == "Fn::Length":
            value = self.resolve(arg, inner, line, depth + 1)
            if isinstance(value, list) and not isinstance(value, _SplitList):
                return len(value)
            self.note(at, line, "`Fn::Length` of a list not known from the template")
            return UNKNOWN
        if name == "Fn::ToJsonString":
            value = self.resolve(arg, inner, line, depth + 1)
            return json.dumps(value, separators=(",", ":")).replace("\\u0000", UNKNOWN)
        if name in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            decided = self._truth({name: arg}, at, line, depth)
            return UNKNOWN if decided is None else ("true" if decided else "false")
        self.note(at, line, f"`{name}` is evaluated at deployment", reference=name)
        return UNKNOWN

    def _malformed(self, name: str, at: str, line: int | None) -> str:
        self.note(at, line, f"this `{name}` does not have the documented arguments")
        return UNKNOWN

    def ref(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not isinstance(arg, str):
            arg = self.resolve(arg, pointer_join(at, "Ref"), line, depth + 1)
            if not isinstance(arg, str) or is_unknown(arg):
                return self._malformed("Ref", at, line)
        target = str(arg)
        if target == "AWS::NoValue":
            return _NOVALUE
        if target.startswith("AWS::"):
            return self.pseudo(target, at, line)
        if target in self.parameters:
            return self._parameter(target, at, line)
        if target in self.resources:
            return self._resource_value(target, None, at, line, depth)
        self.note(at, line, f"`Ref` to `{target}`, which the template does not declare")
        return UNKNOWN

    def pseudo(self, name: str, at: str, line: int | None) -> Any:
        ctx = self.context
        known: Mapping[str, str | None] = {
            "AWS::AccountId": ctx.account,
            "AWS::Region": ctx.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": ctx.stack_name,
            "AWS::URLSuffix": URL_SUFFIXES.get(self.partition),
        }
        value = known.get(name)
        if value:
            return value
        if name == "AWS::StackId":
            region = self.pseudo("AWS::Region", at, line)
            account = self.pseudo("AWS::AccountId", at, line)
            stack = self.pseudo("AWS::StackName", at, line)
            self.note(at, line, "the stack ID's unique part is assigned at creation")
            return f"arn:{self.partition}:cloudformation:{region}:{account}:stack/{stack}/{UNKNOWN}"
        what = {
            "AWS::AccountId": "the account (give it in the context)",
            "AWS::Region": "the Region (give it in the context)",
            "AWS::StackName": "the stack name (give `stack_name` with the source)",
        }.get(name, f"`{name}`")
        self.note(at, line, f"{what} is not known", reference=name)
        return UNKNOWN

    def _parameter(self, name: str, at: str, line: int | None) -> Any:
        spec = self.parameters[name]
        spec = spec if isinstance(spec, Mapping) else {}
        kind = scalar_text(spec.get("Type")) or "String"
        if name in self.overrides:
            raw: Any = self.overrides[name]
        elif kind.startswith("AWS::SSM::Parameter::Value<"):
            self.note(
                at,
                line,
                f"parameter `{name}` is read from SSM Parameter Store at deployment",
                reference=name,
            )
            return UNKNOWN
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            self.note(
                at,
                line,
                f"parameter `{name}` has no Default and no value was given",
                reference=name,
            )
            return UNKNOWN
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            if isinstance(raw, list):
                return [scalar_text(item) or "" for item in raw]
            return [part.strip() for part in (scalar_text(raw) or "").split(",")]
        text = scalar_text(raw)
        if text is None:
            self.note(at, line, f"parameter `{name}` has a value that is not a string")
            return UNKNOWN
        return text

    def get_att(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = str(arg).partition(".")
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            logical_id = str(arg[0])
            attr_value = self.resolve(arg[1], pointer_join(at, "Fn::GetAtt", 1), line, depth + 1)
            attribute = attr_value if isinstance(attr_value, str) else UNKNOWN
        else:
            return self._malformed("Fn::GetAtt", at, line)
        if logical_id not in self.resources or not attribute or is_unknown(attribute):
            self.note(at, line, f"`Fn::GetAtt {logical_id}.{widen(attribute)}` is not known")
            return UNKNOWN
        return self._resource_value(logical_id, str(attribute), at, line, depth)

    def _resource_value(
        self, logical_id: str, attribute: str | None, at: str, line: int | None, depth: int
    ) -> Any:
        resource = self.resources[logical_id]
        rtype = scalar_text(resource.get("Type")) if isinstance(resource, Mapping) else None
        view = _ResourceView(self, logical_id, at, line, depth)
        if rtype == PIPELINE_RESOURCE_TYPE and attribute is None:
            return view.text("Name") or logical_id  # the name CloudFormation gives it
        if (kind := CLOUDFORMATION.get(rtype or "")) is not None:
            value = resource_value(*kind, attribute, view)
            if value is not None:
                return value
        what = f"`Ref` to `{logical_id}`" if attribute is None else f"`{logical_id}.{attribute}`"
        self.note(
            at,
            line,
            f"{what} ({rtype or 'no type'}) is not determined by the template",
            reference=logical_id if attribute is None else f"{logical_id}.{attribute}",
        )
        return UNKNOWN

    def resource_property(
        self, logical_id: str, key: str, at: str, line: int | None, depth: int
    ) -> Any:
        """A property of another resource, resolved where it is declared; None when absent."""
        resource = self.resources.get(logical_id)
        props = resource.get("Properties") if isinstance(resource, Mapping) else None
        if not isinstance(props, Mapping) or key not in props:
            return None
        memo_key = (logical_id, key, self.quiet > 0, tuple(sorted(self.assumed.items())))
        if memo_key not in self._memo:
            guard = (logical_id, key)
            if guard in self._in_progress:
                self.note(at, line, f"`{logical_id}.{key}` refers back to itself")
                return UNKNOWN
            self._in_progress.add(guard)
            saved, self.findings = self.findings, []
            try:
                where = pointer_join(self.base, "Resources", logical_id, "Properties", key)
                value = self.resolve(props[key], where, node_line(props[key], line), depth + 1)
            finally:
                self._in_progress.discard(guard)
                captured, self.findings = self.findings, saved
            self._memo[memo_key] = (None if value is _NOVALUE else value, captured)
        value, captured = self._memo[memo_key]
        # What is unknown in the property is reported where the pipeline uses it.
        for finding in captured if not self.quiet else []:
            self.findings.append(
                unresolved(
                    at,
                    f"{finding.message} (through `{logical_id}` {key}, {finding.path}"
                    f"{f' line {finding.line}' if finding.line else ''})",
                    line,
                    **{**finding.detail, "source": finding.path, "sourceLine": finding.line},
                )
            )
        return value

    def _sub(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if isinstance(arg, str):
            text, variables = str(arg), {}
        elif (
            isinstance(arg, list)
            and len(arg) == 2
            and isinstance(arg[0], str)
            and isinstance(arg[1], Mapping)
        ):
            text, variables = str(arg[0]), {str(k): v for k, v in arg[1].items()}
        else:
            return self._malformed("Fn::Sub", at, line)
        parts: list[str] = []
        position = 0
        for match in SUB_VARIABLE.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            inner = match.group(1)
            if inner.startswith("!"):
                parts.append("${" + inner[1:] + "}")
                continue
            name = inner.strip()
            if name in variables:
                where = pointer_join(at, "Fn::Sub", 1, name)
                value = self.resolve(variables[name], where, line, depth + 1)
            elif "." in name:
                value = self.get_att(name, at, line, depth)
            else:
                value = self.ref(name, at, line, depth)
            piece = scalar_text(value)
            if piece is None:
                if not is_unknown(value):
                    self.note(at, line, f"`${{{name}}}` in `Fn::Sub` is not a string")
                piece = UNKNOWN
            parts.append(piece)
        parts.append(text[position:])
        charge_join(self.budget, "", parts, at)
        return self._dynamic_references("".join(parts), at, line)

    def _if(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not is_if(arg):
            return self._malformed("Fn::If", at, line)
        decided = self.condition(arg[0], line)
        if decided is not None:
            branch = 1 if decided else 2
            return self.resolve(arg[branch], pointer_join(at, "Fn::If", branch), line, depth + 1)
        self.note(
            at,
            line,
            f"condition `{_text(arg[0])}` cannot be evaluated from the template; "
            "the value covers both branches",
            condition=_text(arg[0]),
        )
        first = self.resolve(arg[1], pointer_join(at, "Fn::If", 1), line, depth + 1)
        second = self.resolve(arg[2], pointer_join(at, "Fn::If", 2), line, depth + 1)
        if first is _NOVALUE:
            return second
        if second is _NOVALUE:
            return first
        return merge_alternatives(first, second)

    def _join(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return self._malformed("Fn::Join", at, line)
        delimiter = self.resolve(arg[0], pointer_join(at, "Fn::Join", 0), line, depth + 1)
        items = self.resolve(arg[1], pointer_join(at, "Fn::Join", 1), line, depth + 1)
        if not isinstance(delimiter, str):
            return self._malformed("Fn::Join", at, line)
        if isinstance(items, str):
            return UNKNOWN if is_unknown(items) else items
        if not isinstance(items, list):
            return self._malformed("Fn::Join", at, line)
        texts = []
        for item in items:
            text = scalar_text(item)
            if text is None:
                self.note(at, line, "an item of `Fn::Join` is not a string")
                text = UNKNOWN
            texts.append(text)
        charge_join(self.budget, delimiter, texts, at)
        return delimiter.join(texts)

    def _select(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return self._malformed("Fn::Select", at, line)
        index = scalar_text(self.resolve(arg[0], pointer_join(at, "Fn::Select", 0), line, depth))
        items = self.resolve(arg[1], pointer_join(at, "Fn::Select", 1), line, depth + 1)
        if index is None or not index.strip().isdigit() or not isinstance(items, list):
            if not is_unknown(items) and not is_unknown(index):
                return self._malformed("Fn::Select", at, line)
            return UNKNOWN
        position = int(index)
        if isinstance(items, _SplitList) and position >= items.uncertain_from:
            self.note(at, line, "`Fn::Select` picks from a split of a value not known in full")
            return UNKNOWN
        if position >= len(items):
            self.note(at, line, f"`Fn::Select` index {position} is past the end of its list")
            return UNKNOWN
        return items[position]

    def _split(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return self._malformed("Fn::Split", at, line)
        delimiter = self.resolve(arg[0], pointer_join(at, "Fn::Split", 0), line, depth + 1)
        source = self.resolve(arg[1], pointer_join(at, "Fn::Split", 1), line, depth + 1)
        if not isinstance(delimiter, str) or not delimiter or not isinstance(source, str):
            return self._malformed("Fn::Split", at, line)
        self.budget.charge(items=source.count(delimiter) + 1, at=at)
        pieces = source.split(delimiter)
        uncertain = next((i for i, p in enumerate(pieces) if UNKNOWN in p), len(pieces))
        return _SplitList(pieces, uncertain)

    def _find_in_map(self, arg: Any, at: str, line: int | None, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            return self._malformed("Fn::FindInMap", at, line)
        keys = [
            scalar_text(self.resolve(arg[i], pointer_join(at, "Fn::FindInMap", i), line, depth))
            for i in range(3)
        ]
        default: Any = None
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            default = arg[3]["DefaultValue"]
        map_name, top, second = keys
        mapping = self.mappings.get(map_name or "")
        if not isinstance(mapping, Mapping) or map_name is None or is_unknown(map_name):
            return self._malformed("Fn::FindInMap", at, line)
        top_known = top is not None and not is_unknown(top)
        second_known = second is not None and not is_unknown(second)
        tops = [top] if top is not None and top_known else [str(k) for k in mapping]
        found: list[tuple[Any, str]] = []
        for top_key in tops:
            level = mapping.get(top_key)
            if not isinstance(level, Mapping):
                continue
            seconds = [second] if second is not None and second_known else [str(k) for k in level]
            for second_key in seconds:
                if second_key in level:
                    where = pointer_join(self.base, "Mappings", map_name, top_key, second_key)
                    found.append((level[second_key], where))
        if not found:
            if default is not None:
                return self.resolve(default, pointer_join(at, "Fn::FindInMap", 3), line, depth)
            self.note(at, line, f"`Fn::FindInMap` finds no entry in `{map_name}`")
            return UNKNOWN
        values = [
            self.resolve(node, where, node_line(node, line), depth + 1) for node, where in found
        ]
        if not (top_known and second_known):
            self.note(at, line, f"a key of `Fn::FindInMap` into `{map_name}` is not known")
        merged = values[0]
        for value in values[1:]:
            merged = merge_alternatives(merged, value)
        return merged

    # -- conditions -------------------------------------------------------------------------------

    def condition(self, name_node: Any, line: int | None = None) -> bool | None:
        """A named condition's truth: True, False, or None when the template cannot decide it."""
        if not isinstance(name_node, str):
            return None
        name = str(name_node)
        if name in self.assumed:
            return self.assumed[name]
        definition = self.conditions.get(name)
        if definition is None or name in self._evaluating:
            return None
        memo_key = ("condition", name, tuple(sorted(self.assumed.items())))
        if memo_key in self._memo:
            result: bool | None = self._memo[memo_key]
            return result
        self._evaluating.add(name)
        try:
            with self.silenced():
                where = pointer_join(self.base, "Conditions", name)
                result = self._truth(definition, where, node_line(definition, line), 0)
        finally:
            self._evaluating.discard(name)
        self._memo[memo_key] = result
        return result

    def _truth(self, node: Any, at: str, line: int | None, depth: int) -> bool | None:
        self._tick(depth, at)
        if isinstance(node, bool):
            return node
        if isinstance(node, str) and node.lower() in ("true", "false"):
            return node.lower() == "true"
        intrinsic = intrinsic_of(node, conditions=True)
        if intrinsic is None:
            return None
        name, arg = intrinsic
        inner = pointer_join(at, name)
        if name == "Condition":
            return self.condition(arg, line)
        if name == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            first = self.resolve(arg[0], pointer_join(inner, 0), line, depth + 1)
            second = self.resolve(arg[1], pointer_join(inner, 1), line, depth + 1)
            return _equals(first, second)
        if name == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            value = self._truth(arg[0], pointer_join(inner, 0), line, depth + 1)
            return None if value is None else not value
        if name in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [
                self._truth(item, pointer_join(inner, i), line, depth + 1)
                for i, item in enumerate(arg)
            ]
            decisive = name == "Fn::Or"  # the value that settles the whole expression
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return None

    def open_conditions(self, node: Any, skip_key: str | None, depth: int = 0) -> list[str]:
        """Names of the undecidable conditions of the Fn::If nodes inside `node`."""
        self._tick(depth)
        names: list[str] = []
        intrinsic = intrinsic_of(node)
        if intrinsic and intrinsic[0] == "Fn::If" and is_if(intrinsic[1]):
            name = intrinsic[1][0]
            if self.condition(name, None) is None:
                names.append(str(name))
        if isinstance(node, Mapping):
            children = [v for k, v in node.items() if k != skip_key]
        elif isinstance(node, list):
            children = list(node)
        else:
            children = []
        for child in children:
            for name in self.open_conditions(child, skip_key, depth + 1):
                if name not in names:
                    names.append(name)
        return names

    def forms(self, node: Any, skip_key: str | None) -> tuple[list[str], list[dict[str, bool]]]:
        """Truth assignments to enumerate for a stage or action (one, when all is decided)."""
        names = self.open_conditions(node, skip_key)[:_MAX_BRANCH_CONDITIONS]
        assignments = [
            dict(zip(names, bits, strict=True))
            for bits in itertools.product((True, False), repeat=len(names))
        ]
        return names, assignments

    def select(self, node: Any, at: str, line: int | None) -> tuple[Any, str, int | None] | None:
        """Follow decided Fn::If nodes to the template node they choose; None for AWS::NoValue."""
        for _ in range(_MAX_DEPTH):
            line = node_line(node, line)
            intrinsic = intrinsic_of(node)
            if intrinsic is None:
                return node, at, line
            name, arg = intrinsic
            if name == "Ref" and arg == "AWS::NoValue":
                return None
            if name != "Fn::If" or not is_if(arg):
                return node, at, line
            decided = self.condition(arg[0], line)
            if decided is None:
                return node, at, line
            branch = 1 if decided else 2
            node, at = arg[branch], pointer_join(at, "Fn::If", branch)
        raise RecursionError

    # -- the pipeline -----------------------------------------------------------------------------

    def created(self, logical_id: str) -> bool | None:
        """Whether a resource is created: its Condition's truth (True without one)."""
        resource = self.resources[logical_id]
        condition = resource.get("Condition") if isinstance(resource, Mapping) else None
        if condition is None:
            return True
        decided = self.condition(condition, None)
        if decided is False:
            self.findings.append(
                Finding(
                    code="PIPELINE_NOT_CREATED",
                    finding_type=FindingType.WARNING,
                    message=f"`{logical_id}` is not created: its Condition `{_text(condition)}` "
                    "is false with these parameters",
                    path=pointer_join(self.base, "Resources", logical_id, "Condition"),
                    line=node_line(condition, node_line(resource, None)),
                )
            )
        return decided

    def pipeline(self, logical_id: str, *, assume_created: bool = False) -> Pipeline:
        resource = self.resources[logical_id]
        where = pointer_join(self.base, "Resources", logical_id)
        line = node_line(resource, None)
        extras: dict[str, Any] = {"logicalId": logical_id}
        condition = resource.get("Condition")
        if condition is not None:
            extras["condition"] = _text(condition)
            if assume_created or self.condition(condition, line) is None:
                self.findings.append(
                    unresolved(
                        pointer_join(where, "Condition"),
                        f"`{logical_id}` is created only when condition `{_text(condition)}` "
                        "holds; it is read as if it held",
                        node_line(condition, line),
                        condition=_text(condition),
                    )
                )
                if isinstance(condition, str):
                    with self.assuming({str(condition): True}):
                        return self._pipeline(logical_id, resource, where, line, extras)
        return self._pipeline(logical_id, resource, where, line, extras)

    def _pipeline(
        self,
        logical_id: str,
        resource: Mapping[str, Any],
        where: str,
        line: int | None,
        extras: dict[str, Any],
    ) -> Pipeline:
        props_at = pointer_join(where, "Properties")
        props = resource.get("Properties")
        if not isinstance(props, Mapping):
            raise PipelineParseError("`Properties` must be an object", props_at)
        props_line = node_line(props, line)
        role_at = pointer_join(props_at, "RoleArn")
        if "RoleArn" not in props:
            raise PipelineParseError("`RoleArn` is required", role_at)
        source_map = SourceMap(props_at, props_at, cloudformation_token, self.line_of)
        places: Places = {}
        writer = Writer(_SPELLING, self.findings, self.line_of)
        body: dict[str, Any] = {"name": logical_id}
        for prop in props:
            key = str(prop)
            name, at = _camel(key), pointer_join(props_at, key)
            if key == "Stages":
                rendered = pointer_join(props_at, name)
                body[name] = self._stages(props[key], at, props_line, rendered, writer, places)
                continue
            value = self._value(props, key, props_at, props_line)
            if value is None or value == "":
                continue
            if name not in PIPELINE_FIELDS:  # CloudFormation's own (Tags, ...): not in the API
                extras[name] = widen(value)
            elif key == "ArtifactStores" and isinstance(value, list):
                rendered = pointer_join(props_at, name)
                body[name] = self._artifact_stores(value, at, rendered, writer, places)
            else:
                body[name] = writer.member(name, value, props_at, at, places)
        if not isinstance(body["name"], str) or not body["name"]:
            body["name"] = logical_id
        if not body.get("roleArn") or not isinstance(body["roleArn"], str):
            self.note(
                role_at, node_line(props["RoleArn"], props_line), "`RoleArn` resolves to no value"
            )
            body["roleArn"] = "*"
        source_map.update(places)
        try:
            pipeline, findings = parse_pipeline_json(body, props_at)
        except PipelineParseError as exc:
            raise source_map.raised(exc) from None
        self.findings.extend(source_map.located(f) for f in findings)
        return replace(
            pipeline,
            role_resource=self._role_resource(props["RoleArn"], role_at, props_line),
            source_map=source_map,
            extras={**pipeline.extras, **extras},
        )

    def line_of(self, pointer: str) -> int | None:
        if not pointer.startswith(self.base):
            return None
        return document_line(self.template, pointer_tokens(pointer[len(self.base) :]))

    def _role_resource(self, node: Any, at: str, line: int | None) -> TemplateResource | None:
        """The `AWS::IAM::Role` of this template whose ARN `RoleArn` is (`!GetAtt Role.Arn`)."""
        chosen = self.select(node, at, line)
        intrinsic = intrinsic_of(chosen[0]) if chosen is not None else None
        if intrinsic is None or intrinsic[0] != "Fn::GetAtt":
            return None
        arg = intrinsic[1]
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        elif isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
            logical_id, attribute = str(arg[0]), str(arg[1])
        else:
            return None
        resource = self.resources.get(logical_id)
        rtype = resource.get("Type") if isinstance(resource, Mapping) else None
        if attribute != "Arn" or rtype != "AWS::IAM::Role":
            return None
        return TemplateResource("cloudformation", logical_id)

    def _artifact_stores(
        self, entries: list[Any], at: str, rendered: str, writer: Writer, places: Places
    ) -> dict[str, Any]:
        """CloudFormation's list of `{Region, ArtifactStore}` as the API's map by Region."""
        places[rendered] = at
        stores: dict[str, Any] = {}
        for i, entry in enumerate(entries):
            entry_at = pointer_join(at, i)
            region = optional_text(entry.get("Region")) if isinstance(entry, Mapping) else None
            if not isinstance(entry, Mapping) or region is None:
                self.findings.append(shape_error(entry_at, "this artifact store entry was ignored"))
                continue
            stores[region] = writer.value(
                entry.get("ArtifactStore"),
                pointer_join(rendered, region),
                pointer_join(entry_at, "ArtifactStore"),
                places,
            )
        return stores

    def _stages(
        self,
        node: Any,
        at: str,
        line: int | None,
        rendered_at: str,
        writer: Writer,
        places: Places,
    ) -> list[Any]:
        chosen = self.select(node, at, line)
        if chosen is None or not isinstance(chosen[0], list):
            raise PipelineParseError("`Stages` must be a list of stages", at)
        items, at, line = chosen

        def stage(item: Any, at: str, line: int | None, rendered: str, places: Places) -> Any:
            return self._stage(item, at, line, rendered, writer, places)

        return self._each_form("stage", "Actions", stage, items, at, line, rendered_at, places)

    def _each_form(
        self,
        what: str,
        skip_key: str | None,
        read: Callable[[Any, str, int | None, str, Places], Any],
        items: list[Any],
        at: str,
        line: int | None,
        rendered_at: str,
        places: Places,
    ) -> list[Any]:
        """Every stage or action of a list; one whose conditions the template cannot decide,
        once per form they give it."""
        places[rendered_at] = at
        out: list[Any] = []
        for i, item in enumerate(items):
            item_at, item_line = pointer_join(at, i), node_line(item, line)
            names, assignments = self.forms(item, skip_key)
            forms: list[tuple[Any, Places]] = []
            for assignment in assignments:
                form_places: Places = {}
                with self.assuming(assignment):
                    form = read(item, item_at, item_line, f"{rendered_at}/{_FORM}", form_places)
                if all(form != kept for kept, _ in forms):
                    forms.append((form, form_places))
            self._note_forms(what, names, [form for form, _ in forms], item_at, item_line)
            for form, form_places in forms:
                if form is not None:
                    out.append(_reindexed(form, form_places, rendered_at, len(out), places))
        return out

    def _note_forms(
        self, what: str, names: list[str], forms: list[Any], at: str, line: int | None
    ) -> None:
        if len(forms) < 2:
            return
        listed = ", ".join(f"`{n}`" for n in names)
        present = sum(form is not None for form in forms)
        absent = " (it may also be absent)" if present < len(forms) else ""
        self.findings.append(
            unresolved(
                at,
                f"condition {listed} cannot be evaluated from the template; every form of this "
                f"{what} is kept: {present}{absent}",
                line,
                conditions=names,
            )
        )

    def _stage(
        self, item: Any, at: str, line: int | None, rendered: str, writer: Writer, places: Places
    ) -> dict[str, Any] | None:
        chosen = self.select(item, at, line)
        if chosen is None:
            return None
        node, at, line = chosen
        places[rendered] = at
        if not isinstance(node, Mapping):
            raise PipelineParseError("a stage must be an object", at)
        stage: dict[str, Any] = {}
        for node_key in node:
            key = str(node_key)
            name, key_at = _camel(key), pointer_join(at, key)
            if key == "Actions":
                stage[name] = self._actions(node[key], key_at, line, rendered, writer, places)
            elif (value := self._value(node, key, at, line)) not in (None, ""):
                stage[name] = writer.member(name, value, rendered, key_at, places)
        return stage

    def _actions(
        self,
        node: Any,
        at: str,
        line: int | None,
        stage: str,
        writer: Writer,
        places: Places,
    ) -> Any:
        listed = self.select(node, at, line)
        if listed is None or not isinstance(listed[0], list):
            raise PipelineParseError("`Actions` must be a list", at)
        items, at, line = listed

        def action(item: Any, at: str, line: int | None, rendered: str, places: Places) -> Any:
            return self._action(item, at, line, rendered, writer, places)

        rendered_at = pointer_join(stage, "actions")
        return self._each_form("action", None, action, items, at, line, rendered_at, places)

    def _value(self, node: Mapping[str, Any], key: str, at: str, line: int | None) -> Any:
        if key not in node:
            return None
        value = self.resolve(node[key], pointer_join(at, key), line)
        return None if value is _NOVALUE else value

    def _action(
        self, item: Any, at: str, line: int | None, rendered: str, writer: Writer, places: Places
    ) -> Any:
        chosen = self.select(item, at, line)
        if chosen is None:
            return None
        node, at, line = chosen
        value = self.resolve(node, at, line)
        if value is _NOVALUE:
            return None
        return writer.value(value, rendered, at, places)

    # -- the service role's policies -------------------------------------------------------------

    def role_policies(self, pipeline_id: str, pipeline_pointer: str) -> RolePolicies | None:
        """The policies the template attaches to the role a pipeline's `RoleArn` names, when
        that role is one of the template's own `AWS::IAM::Role` resources."""
        props = self.resources[pipeline_id].get("Properties")
        if not isinstance(props, Mapping) or "RoleArn" not in props:
            return None
        roles = [
            lid
            for lid in references(props["RoleArn"])
            if resource_type(self.resources.get(lid)) == "AWS::IAM::Role"
        ]
        if len(set(roles)) != 1:
            return None
        role = roles[0]
        documents: list[TemplatePolicy] = []
        notes: list[Finding] = []
        saved, self.findings = self.findings, notes
        try:
            with self.silenced():
                self._role_documents(role, documents, notes)
        finally:
            self.findings = saved
        return RolePolicies(pipeline_pointer, role, tuple(documents), tuple(notes))

    def _role_documents(
        self, role: str, documents: list[TemplatePolicy], notes: list[Finding]
    ) -> None:
        role_at = pointer_join(self.base, "Resources", role, "Properties")
        props = self.resources[role].get("Properties")
        props = props if isinstance(props, Mapping) else {}
        for i, item in enumerate(self._listed(props.get("Policies"))):
            if isinstance(item, Mapping) and "PolicyDocument" in item:
                at = pointer_join(role_at, "Policies", i, "PolicyDocument")
                self._role_document(item["PolicyDocument"], at, documents, notes)
        attached: set[str] = set()
        for i, item in enumerate(self._listed(props.get("ManagedPolicyArns"))):
            at = pointer_join(role_at, "ManagedPolicyArns", i)
            local = [
                lid
                for lid in references(item)
                if resource_type(self.resources.get(lid)) == "AWS::IAM::ManagedPolicy"
            ]
            if local:
                attached.update(local)
                continue
            arn = widen(self.resolve(item, at, None))
            notes.append(managed_policy_not_read(str(arn), at, node_line(item, None), "template"))
        for lid, resource in self.resources.items():
            rtype = resource_type(resource)
            if rtype not in _POLICY_TYPES or not isinstance(resource, Mapping):
                continue
            policy_props = resource.get("Properties")
            if not isinstance(policy_props, Mapping):
                continue
            names_role = any(
                role in references(node)
                for node in [
                    *self._listed(policy_props.get("Roles")),
                    policy_props.get("RoleName"),
                ]
            )
            condition = resource.get("Condition")
            if not (names_role or lid in attached) or (
                condition is not None and self.condition(condition) is False
            ):
                continue
            at = pointer_join(self.base, "Resources", lid, "Properties", "PolicyDocument")
            if "PolicyDocument" in policy_props:
                self._role_document(policy_props["PolicyDocument"], at, documents, notes)

    def _listed(self, node: Any) -> list[Any]:
        """A template list with decided `Fn::If`s chosen (both branches of undecided ones)."""
        chosen = self.select(node, "", None) if node is not None else None
        if chosen is None or not isinstance(chosen[0], list):
            return []
        out: list[Any] = []
        for item in chosen[0]:
            picked = self.select(item, "", None)
            if picked is None:
                continue
            intrinsic = intrinsic_of(picked[0])
            if intrinsic and intrinsic[0] == "Fn::If" and is_if(intrinsic[1]):
                out.extend(
                    branch
                    for branch in intrinsic[1][1:]
                    if not (isinstance(branch, Mapping) and branch.get("Ref") == "AWS::NoValue")
                )
            else:
                out.append(picked[0])
        return out

    def _role_document(
        self, node: Any, at: str, documents: list[TemplatePolicy], notes: list[Finding]
    ) -> None:
        read = self.template_policy(node, at)
        if isinstance(read, Finding):
            notes.append(read)
        else:
            documents.append(read)

    def template_policy(self, node: Any, at: str) -> TemplatePolicy | Finding:
        """A policy document resolved, widened and read both ways, with the places in it (and
        their lines) of the values the template does not determine (an `Fn::If` it cannot
        decide among them); the ERROR at its place of one that is not one document (text that
        is not JSON, a list of documents), which is not read."""
        resolved = _plain_json(self.resolve(node, at, node_line(node, None)))
        refused = one_policy_document(widen(resolved), at, self.line_of(at))
        if isinstance(refused, Finding):
            return refused
        policy = template_policy(resolved, at, self.line_of)
        ifs = tuple((place, self.line_of(place)) for place in self._undecided_ifs(node, at))
        return replace(policy, undetermined=(*policy.undetermined, *ifs)) if ifs else policy

    def _undecided_ifs(self, node: Any, at: str) -> Iterator[str]:
        """The places of the `Fn::If`s in a document whose condition the template does not
        decide: each of their branches is read, so what they hold is not certain."""
        stack = [(node, at)]
        while stack:
            current, where = stack.pop()
            self.budget.charge(steps=1)
            if isinstance(current, Mapping):
                branches = current.get("Fn::If")
                if (
                    len(current) == 1
                    and isinstance(branches, list)
                    and branches
                    and self.condition(branches[0]) is None
                ):
                    yield where
                stack.extend((v, pointer_join(where, str(k))) for k, v in current.items())
            elif isinstance(current, list):
                stack.extend((v, pointer_join(where, i)) for i, v in enumerate(current))


# -- small readers --------------------------------------------------------------------------------

_FORM = "#"  # the index a stage's or action's form is read at, before it is known to be kept


def _reindexed(value: Any, form_places: Places, list_at: str, index: int, places: Places) -> Any:
    """A kept form's places, moved from the `#` index it was read at to its own."""
    head = f"{list_at}/{_FORM}"
    for rendered, source in form_places.items():
        places[pointer_join(list_at, index) + rendered[len(head) :]] = source
    return value


_POLICY_TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"})


def _plain_json(value: Any) -> Any:
    """YAML reads an unquoted `Version: 2012-10-17` as a date; a policy document holds text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return value


def _text(node: Any) -> str:
    return scalar_text(node) or repr(node)


def _equals(first: Any, second: Any) -> bool | None:
    if first is _NOVALUE or second is _NOVALUE or is_unknown(first) or is_unknown(second):
        return None
    if isinstance(first, list) and isinstance(second, list):
        return [scalar_text(v) for v in first] == [scalar_text(v) for v in second]
    a_text, b_text = scalar_text(first), scalar_text(second)
    if a_text is not None and b_text is not None:
        return a_text == b_text
    return bool(first == second)

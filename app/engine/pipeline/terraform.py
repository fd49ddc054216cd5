"""Read Terraform HCL: every `resource "aws_codepipeline"`, its expressions evaluated.

The text is parsed with python-hcl2's grammar into its raw (lark) syntax tree, which keeps the
order of `stage` and `dynamic "stage"` blocks and the line of each attribute. Expressions are
evaluated where the file determines them: variables (default, or the value given), locals, other
resources and data sources of the file (their arguments, and the ARNs those imply), literal
`for_each` of dynamic blocks, and common functions. What stays unknown becomes `*` in that place
only, with an UNRESOLVED_TEMPLATE_VALUE finding located by a JSON pointer such as
`/resource/aws_codepipeline/<name>/stage/0/action/0/configuration/ProjectName` and its line.

The policies the file defines for what a pipeline names (its service role's identity policies,
trust, bucket and key policies) are read by terraform_policies and terraform_companions, with
this module's evaluator.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from app.engine.budget import WorkBudget, WorkCancelledError, WorkLimitExceededError
from app.engine.errors import PipelineParseError
from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import Pipeline, TemplateResource
from app.engine.pipeline.resource_types import TERRAFORM, resource_value
from app.engine.pipeline.source_map import SourceMap, terraform_token
from app.engine.pipeline.template_document import Places, Spelling, Writer, artifact_names
from app.engine.pipeline.template_values import (
    UNKNOWN,
    URL_SUFFIXES,
    CompanionPolicies,
    ParsedTemplate,
    RolePolicies,
    TemplateContext,
    charge_join,
    charge_value,
    dedupe_findings,
    is_unknown,
    merge_alternatives,
    optional_text,
    scalar_text,
    shape_error,
    unresolved,
    widen,
)
from app.engine.pipeline.terraform_policy_document import (
    DATA_SOURCE as POLICY_DOCUMENT_DATA,
)
from app.engine.pipeline.terraform_policy_document import (
    DOCUMENT_ATTRIBUTES,
    policy_document,
)

__all__ = ["PIPELINE_RESOURCE_TYPE", "ParsedTemplate", "parse_terraform"]

PIPELINE_RESOURCE_TYPE = "aws_codepipeline"

_MAX_DEPTH = 150  # syntax-tree levels followed in one evaluation, references included
_MAX_ITEMS = 1_000  # elements a for expression or dynamic block expands to
# What parsing one heredoc interpolation costs, in evaluation steps (measured: a parse takes
# about as long as evaluating a few hundred nodes).
_PARSE_STEPS = 200
_TOKENS_PER_CHARGE = 64  # tokens parsed between two charges (a step each)
# The HCL parser (python-hcl2, on lark) reads some 30,000 characters a second, and a parse cannot
# be interrupted: past this size one request would hold a worker for minutes after its time limit.
MAX_TERRAFORM_CHARS = 256 * 1024


def parse_terraform(
    text: str,
    *,
    variables: Mapping[str, str] | None = None,
    context: TemplateContext | None = None,
    pointer: str = "",
    budget: WorkBudget | None = None,
) -> ParsedTemplate:
    """Every `aws_codepipeline` resource of a Terraform file, as pipeline models.

    Raises PipelineParseError when the text is not HCL that can be read (the message gives the
    line) or declares no `aws_codepipeline` resource. Evaluating expressions is charged to
    `budget` (every node evaluated, references each time they are followed, and what each
    expression produces); past it, WorkLimitExceededError names the place.
    """
    budget = budget or WorkBudget()
    tree = _parse(text, pointer, budget)
    try:
        module = _Module.read(tree)
    except RecursionError:
        raise PipelineParseError(
            "the Terraform text nests too deeply to be read", pointer
        ) from None
    names = [name for rtype, name in module.resources if rtype == PIPELINE_RESOURCE_TYPE]
    if not names:
        raise PipelineParseError(
            f'no resource "{PIPELINE_RESOURCE_TYPE}" in the Terraform text', pointer
        )
    findings: list[Finding] = []
    evaluator = _Evaluator(
        module,
        variables or {},
        context or TemplateContext(),
        pointer,
        findings,
        budget,
    )
    # The readers of the policies the file defines look at it through this module's evaluator.
    from app.engine.pipeline.terraform_companions import companion_policies  # noqa: PLC0415
    from app.engine.pipeline.terraform_policies import role_policies  # noqa: PLC0415

    pipelines: list[Pipeline] = []
    roles: list[RolePolicies] = []
    companions: list[CompanionPolicies] = []
    errors: list[PipelineParseError] = []
    for name in names:
        try:
            pipeline = evaluator.pipeline(name)
        except RecursionError:
            raise PipelineParseError(
                "the Terraform text nests too deeply to be read", pointer
            ) from None
        except PipelineParseError as exc:
            errors.append(exc)
            findings.append(
                shape_error(exc.pointer, f"pipeline `{name}` was not read: {exc.message}")
            )
            continue
        pipelines.append(pipeline)
        # The pipeline itself was read; the policies the file defines for it are not needed.
        with contextlib.suppress(RecursionError):
            if (policies := role_policies(evaluator, pipeline)) is not None:
                roles.append(policies)
        with contextlib.suppress(RecursionError):
            companions.append(companion_policies(evaluator, pipeline))
    if not pipelines:
        raise errors[0]
    return ParsedTemplate(
        pipelines=pipelines,
        findings=dedupe_findings(findings),
        role_policies=roles,
        companion_policies=companions,
    )


def _parse(text: str, pointer: str, budget: WorkBudget) -> Any:
    from hcl2.parser import parser  # noqa: PLC0415 - the grammar loads only when used

    if len(text) > MAX_TERRAFORM_CHARS:
        raise PipelineParseError(
            f"the Terraform text has {len(text):,} characters; at most {MAX_TERRAFORM_CHARS:,} "
            "are read (send the file that declares the aws_codepipeline resources)",
            pointer,
        )
    try:
        # Token by token, as `parses_to_tree` would parse it (with the newline it appends), so
        # that the parse, which takes seconds for a large text, stops when the budget says so.
        interactive = parser().parse_interactive(text + "\n")
        last: Any = None
        for count, token in enumerate(interactive.iter_parse(), 1):
            last = token
            if count % _TOKENS_PER_CHARGE == 0:
                budget.charge(steps=_TOKENS_PER_CHARGE, at=pointer)
        return interactive.feed_eof(last)  # type: ignore[no-untyped-call]
    except (WorkLimitExceededError, WorkCancelledError):
        raise
    except RecursionError:
        raise PipelineParseError(
            "the Terraform text nests too deeply to be read", pointer
        ) from None
    except Exception as exc:  # lark reports syntax errors with their own exception classes
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        where = f"line {line}, column {column}: " if isinstance(line, int) and line > 0 else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = re.sub(r",? at line \d+,? col(umn)? \d+\.?$", "", first)
        raise PipelineParseError(
            f"the Terraform text cannot be read: {where}{first}", pointer
        ) from None


# -- the syntax tree ------------------------------------------------------------------------------


def _is_tree(node: Any) -> bool:
    return hasattr(node, "data") and hasattr(node, "children")


def _kind(node: Any) -> str:
    return str(node.data) if _is_tree(node) else ""


def _parts(node: Any) -> list[Any]:
    """The meaningful children of a tree: sub-trees other than newlines and comments."""
    return [c for c in node.children if _is_tree(c) and c.data != "new_line_or_comment"]


def _tokens(node: Any) -> list[Any]:
    return [c for c in node.children if not _is_tree(c)]


def _line(node: Any, fallback: int | None = None) -> int | None:
    meta = getattr(node, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        line = getattr(meta, "line", None)
        return line if isinstance(line, int) else fallback
    line = getattr(node, "line", None)
    return line if isinstance(line, int) else fallback


def _name_of(node: Any) -> str:
    """The text of an identifier, keyword, literal or plain string label."""
    if not _is_tree(node):
        return str(node)
    if node.data == "string":
        return "".join(str(t) for p in _parts(node) for t in _tokens(p))
    tokens = _tokens(node)
    if tokens:
        return str(tokens[0])
    parts = _parts(node)
    return _name_of(parts[0]) if parts else ""


def _plain_reference(node: Any) -> list[str]:
    """The names of a reference made of names alone (`aws_iam_role.pipeline.arn`); empty for
    any other expression (one with an index, a call, a literal)."""
    names: list[str] = []
    current = node
    for _ in range(_MAX_DEPTH):
        kind = _kind(current)
        parts = _parts(current)
        if kind == "expr_term" and len(parts) == 1:
            current = parts[0]
        elif kind == "get_attr_expr_term" and len(parts) == 2 and parts[1].data == "get_attr":
            names.append(_name_of(_parts(parts[1])[0]))
            current = parts[0]
        elif kind == "identifier":
            names.append(_name_of(current))
            return names[::-1]
        else:
            return []
    return []


@dataclass
class _Attribute:
    name: str
    expr: Any
    line: int | None


@dataclass
class _Block:
    type: str
    labels: list[str]
    body: _Body
    line: int | None


@dataclass
class _Body:
    attributes: dict[str, _Attribute] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)

    @staticmethod
    def read(node: Any, depth: int = 0) -> _Body:
        if depth > _MAX_DEPTH:
            raise RecursionError
        body = _Body()
        for child in _parts(node):
            if child.data == "attribute":
                name_node, expr = _parts(child)[0], _parts(child)[-1]
                name = _name_of(name_node)
                body.attributes[name] = _Attribute(name, expr, _line(child))
            elif child.data == "block":
                parts = _parts(child)
                *labels, inner = parts
                body.blocks.append(
                    _Block(
                        type=_name_of(labels[0]) if labels else "",
                        labels=[_name_of(label) for label in labels[1:]],
                        body=_Body.read(inner, depth + 1),
                        line=_line(child),
                    )
                )
        return body

    def first(self, block_type: str) -> _Block | None:
        return next((b for b in self.blocks if b.type == block_type), None)


def _block_kind(block: _Block) -> str:
    """A block's type, a `dynamic "stage"` block's that of the blocks it makes."""
    return block.labels[0] if block.type == "dynamic" and block.labels else block.type


@dataclass
class _Module:
    variables: dict[str, _Block]
    locals: dict[str, _Attribute]
    resources: dict[tuple[str, str], _Block]
    data: dict[tuple[str, str], _Block]
    body: _Body = field(default_factory=_Body)

    @staticmethod
    def read(tree: Any) -> _Module:
        parts = _parts(tree)
        body = _Body.read(parts[0]) if parts else _Body()
        module = _Module({}, {}, {}, {}, body)
        for block in body.blocks:
            if block.type == "variable" and block.labels:
                module.variables[block.labels[0]] = block
            elif block.type == "locals":
                module.locals.update(block.body.attributes)
            elif block.type == "resource" and len(block.labels) >= 2:
                module.resources[(block.labels[0], block.labels[1])] = block
            elif block.type == "data" and len(block.labels) >= 2:
                module.data[(block.labels[0], block.labels[1])] = block
        return module


# -- resource attributes --------------------------------------------------------------------------


class _ResourceView:
    def __init__(
        self,
        ev: _Evaluator,
        address: str,
        block: _Block,
        at: str,
        line: int | None,
        depth: int,
        *,
        declared: bool = True,
    ) -> None:
        self.ev = ev
        self.address = address
        self.block = block
        self.at = at
        self.line = line
        self.depth = depth
        self.declared = declared
        self.partition = ev.partition
        self.catalog = ev.context.catalog

    def arg(self, key: str) -> Any:
        attribute = self.block.body.attributes.get(key)
        if attribute is None:
            return None
        return self.ev.value(attribute.expr, {}, self.at, self.line, self.depth + 1)

    def text(self, key: str) -> str | None:
        value = self.arg(key)
        if value is None:
            return None
        return scalar_text(value) or UNKNOWN

    def name(self, key: str, generated: tuple[int, bool] | None) -> str:
        value = self.text(key)
        if value is not None:
            return value
        if not self.declared:
            self.ev.note(
                self.at,
                self.line,
                f"`{self.address}` is not declared in this file; its `{key}` is not known",
                reference=self.address,
            )
            return UNKNOWN
        if generated:
            # The AWS provider names such a resource `<name_prefix><unique id>`, with the prefix
            # `terraform-` when none is given.
            prefix = self.text(f"{key}_prefix") or "terraform-"
            self.ev.note(
                self.at,
                self.line,
                f"`{self.address}` has no `{key}`; Terraform generates one starting `{prefix}`",
                reference=self.address,
            )
            return prefix + UNKNOWN
        self.ev.note(self.at, self.line, f"`{self.address}` has no `{key}`")
        return UNKNOWN

    def region(self) -> str:
        return self.ev.region(self.at, self.line)

    def account(self) -> str:
        return self.ev.account(self.at, self.line)

    def assigned(self, what: str) -> str:
        self.ev.note(
            self.at,
            self.line,
            f"the {what} of `{self.address}` is assigned when it is created",
            reference=self.address,
        )
        return UNKNOWN


def _caller_identity(v: _ResourceView, attr: str) -> str | None:
    return v.account() if attr == "account_id" else None


def _region(v: _ResourceView, attr: str) -> str | None:
    return v.region() if attr in ("name", "id", "region") else None


def _partition(v: _ResourceView, attr: str) -> str | None:
    if attr in ("partition", "id"):
        return v.partition
    if attr == "dns_suffix":
        return URL_SUFFIXES.get(v.partition)
    return None


# Data sources that are not resources: who is calling, and where.
_CONTEXT_DATA: Mapping[str, Callable[[_ResourceView, str], str | None]] = {
    "aws_caller_identity": _caller_identity,
    "aws_region": _region,
    "aws_partition": _partition,
}


def _policy_document_json(view: _ResourceView, attr: str) -> str | None:
    """The `json` of a `data "aws_iam_policy_document"` the file declares, its arguments
    evaluated at its own place."""
    if attr not in DOCUMENT_ATTRIBUTES:
        return None
    at = pointer_join(view.ev.base, "data", POLICY_DOCUMENT_DATA, *view.address.split(".")[2:])
    arguments = view.ev.body_value(view.block.body, {}, at, view.depth + 1)
    return _json_text(policy_document(arguments))


def _attribute_value(view: _ResourceView, data: bool, rtype: str, attr: str) -> str | None:
    if data and rtype in _CONTEXT_DATA:
        return _CONTEXT_DATA[rtype](view, attr)
    if data and rtype == POLICY_DOCUMENT_DATA and view.declared:
        return _policy_document_json(view, attr)
    if rtype in TERRAFORM:
        return resource_value(*TERRAFORM[rtype], attr, view)
    return None


# -- functions ------------------------------------------------------------------------------------


def _flat(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(_flat(value) if isinstance(value, list) else [value])
    return out


def _format(fmt: str, *args: Any) -> Any:
    out: list[str] = []
    position = 0
    pieces = re.split(r"(%%|%[-+ #0]*\d*(?:\.\d+)?[sdvqft])", fmt)
    for piece in pieces:
        if piece == "%%":
            out.append("%")
        elif piece.startswith("%") and len(piece) > 1:
            if position >= len(args) or piece[-1] not in "sdv":
                return UNKNOWN
            text = scalar_text(args[position])
            if text is None:
                return UNKNOWN
            out.append(text)
            position += 1
        else:
            out.append(piece)
    return "".join(out)


# JSON's escape of the unknown marker, where it is one (not an escaped backslash before `u0000`).
_ESCAPED_UNKNOWN = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _json_text(value: Any) -> str:
    """`jsonencode`: the JSON text of a value, its unknown parts kept unknown in place (a policy
    document keeps every statement it knows)."""
    if value == UNKNOWN:
        return UNKNOWN
    text = json.dumps(value, separators=(",", ":"))
    return _ESCAPED_UNKNOWN.sub(lambda m: m.group(1) + UNKNOWN, text) if "\\u0000" in text else text


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if isinstance(mapping, Mapping) and isinstance(key, str) and not is_unknown(key):
        if key in mapping:
            return mapping[key]
        return default[0] if default else UNKNOWN
    return UNKNOWN


def _element(items: Any, index: Any) -> Any:
    if isinstance(items, list) and items and isinstance(index, int):
        return items[index % len(items)]
    return UNKNOWN


def _coalesce(*values: Any) -> Any:
    for value in values:
        if is_unknown(value):
            return UNKNOWN
        if value is not None and value != "":
            return value
    return UNKNOWN


# Functions that work through unknown parts of strings (the marker survives them).
_STRING_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "join": lambda sep, *lists: sep.join(scalar_text(v) or UNKNOWN for v in _flat(list(lists))),
    "format": _format,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "trimspace": lambda s: s.strip(),
    "concat": lambda *lists: _flat([list(v) for v in lists]),
    "tostring": lambda v: scalar_text(v) if scalar_text(v) is not None else UNKNOWN,
    "tolist": list,
    "toset": lambda v: list(dict.fromkeys(v)),
    "tomap": dict,
    "lookup": _lookup,
    "element": _element,
    "merge": lambda *maps: {k: v for m in maps for k, v in m.items()},
    "coalesce": _coalesce,
    "compact": lambda items: [v for v in items if v not in (None, "")],
    "flatten": lambda items: _flat(list(items)),
    "one": lambda items: items[0] if len(items) == 1 else UNKNOWN,
    "jsonencode": _json_text,
}

# Functions that need every argument known.
_KNOWN_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "split": lambda sep, s: s.split(sep),
    "replace": lambda s, old, new: UNKNOWN if old.startswith("/") else s.replace(old, new),
    "trimprefix": lambda s, p: s.removeprefix(p),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "substr": lambda s, offset, length: s[offset : None if length < 0 else offset + length],
    "length": len,
    "keys": sorted,
    "values": lambda m: [m[k] for k in sorted(m)],
    "distinct": lambda items: list(dict.fromkeys(items)),
    "contains": lambda items, v: v in items,
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "tonumber": lambda v: int(v) if str(v).lstrip("-").isdigit() else float(v),
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=True)),
    "abs": abs,
    "min": min,
    "max": max,
}


def _result_size(name: str, args: list[Any]) -> tuple[int, int]:
    """The characters and items a function call will make, for those that can make far more than
    their arguments hold (one call must not make a string larger than the whole budget)."""
    texts = [a for a in args if isinstance(a, str)]
    if name == "replace" and len(args) == 3 and len(texts) == 3:
        text, old, new = texts
        hits = text.count(old) if old else len(text) + 1
        return len(text) + hits * max(len(new) - len(old), 0), 0
    if name == "join" and args and isinstance(args[0], str):
        members = _flat(list(args[1:]))
        pieces = sum(len(scalar_text(m) or UNKNOWN) for m in members)
        return len(args[0]) * max(len(members) - 1, 0) + pieces, len(members)
    if name == "split" and len(texts) == 2 and len(args) == 2:
        separator, text = texts
        return 0, (text.count(separator) + 1 if separator else len(text))
    if name == "format":
        return sum(len(scalar_text(a) or "") for a in args), 0
    return 0, 0


# -- the evaluator --------------------------------------------------------------------------------

_Scope = Mapping[str, Any]


class _Evaluator:
    def __init__(
        self,
        module: _Module,
        overrides: Mapping[str, str],
        context: TemplateContext,
        base: str,
        findings: list[Finding],
        budget: WorkBudget,
    ) -> None:
        self.budget = budget
        self.module = module
        self.overrides = overrides
        self.context = context
        self.partition = context.effective_partition
        self.base = base
        self.findings = findings
        self._in_progress: set[str] = set()
        self._followed: set[str] | None = None

    def note(self, at: str, line: int | None, message: str, **detail: Any) -> None:
        self.findings.append(unresolved(at, message + "; `*` stands in for it", line, **detail))

    def account(self, at: str, line: int | None) -> str:
        if self.context.account:
            return self.context.account
        self.note(at, line, "the account (give it in the context) is not known")
        return UNKNOWN

    def region(self, at: str, line: int | None) -> str:
        if self.context.region:
            return self.context.region
        self.note(at, line, "the Region (give it in the context) is not known")
        return UNKNOWN

    def _tick(self, depth: int, at: str) -> None:
        self.budget.charge(steps=1, at=at)
        if depth > _MAX_DEPTH:
            raise RecursionError

    @contextmanager
    def following(self) -> Iterator[set[str]]:
        """The addresses (`aws_iam_role.NAME`, `data.TYPE.NAME`) of the file's resources and
        data sources that the values evaluated within refer to: directly or through locals,
        not through the arguments of those resources in turn; the branch a condition decides
        only."""
        saved, self._followed = self._followed, set()
        try:
            yield self._followed
        finally:
            self._followed = saved

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """What is not known in the values evaluated within is not reported: it was where the
        pipeline uses it, if at all."""
        saved, self.findings = self.findings, []
        try:
            yield
        finally:
            self.findings = saved

    def resource_attribute(self, rtype: str, name: str, attr: str, at: str) -> Any:
        """An attribute of a resource of the file (`aws_iam_role.NAME.name`)."""
        return self._attribute(False, rtype, name, [attr], at, None, 0)

    # -- expressions ------------------------------------------------------------------------------

    def value(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int = 0) -> Any:
        """What an expression evaluates to: plain data with UNKNOWN parts."""
        self._tick(depth, at)
        result = self._value(node, scope, at, _line(node, line), depth)
        # References too: a value followed many times is produced many times over.
        charge_value(self.budget, result, at)
        return result

    def _value(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> Any:
        kind = _kind(node)
        parts = _parts(node) if kind else []
        if kind == "expr_term":
            if not parts:
                return _literal_token(_tokens(node))
            return self.value(parts[0], scope, at, line, depth + 1)
        if kind in ("int_lit", "float_lit"):
            text = str(_tokens(node)[0])
            return int(text) if kind == "int_lit" else float(text)
        if kind == "literal_value":
            return {"true": True, "false": False, "null": None}.get(str(_tokens(node)[0]))
        if kind == "string":
            return self._string(_string_parts(node), scope, at, line, depth)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return self._heredoc(
                str(_tokens(node)[0]), kind.endswith("trim"), scope, at, line, depth
            )
        if kind == "tuple":
            return [self.value(p, scope, at, line, depth + 1) for p in parts]
        if kind == "object":
            return self._object(parts, scope, at, line, depth)
        if kind == "conditional":
            return self._conditional(parts, scope, at, line, depth)
        if kind == "binary_op":
            return self._binary(node, scope, at, line, depth)
        if kind == "unary_op":
            operator = str(_tokens(node)[0])
            operand = self.value(parts[0], scope, at, line, depth + 1)
            if is_unknown(operand) or operand is None:
                return UNKNOWN
            if operator == "!":
                return not _truth(operand) if _truth(operand) is not None else UNKNOWN
            return -operand if isinstance(operand, int | float) else UNKNOWN
        if kind == "function_call":
            return self._call(node, scope, at, line, depth)
        if kind in ("identifier", "get_attr_expr_term", "index_expr_term"):
            return self._reference(node, scope, at, line, depth)
        if kind in ("for_tuple_expr", "for_object_expr"):
            return self._for(node, scope, at, line, depth)
        if kind in ("attr_splat_expr_term", "full_splat_expr_term"):
            self.note(at, line, "a splat expression is not evaluated")
            return UNKNOWN
        self.note(at, line, f"an expression of kind `{kind or node}` is not evaluated")
        return UNKNOWN

    def _string(
        self, pieces: list[Any], scope: _Scope, at: str, line: int | None, depth: int
    ) -> Any:
        from hcl2.utils import process_escape_sequences  # noqa: PLC0415 - loaded with the parser

        out: list[str] = []
        for piece in pieces:
            inner = _parts(piece)
            if not inner:
                text = "".join(str(t) for t in _tokens(piece))
                if text.startswith(("$${", "%%{")):
                    out.append(text[1:])
                else:
                    out.append(process_escape_sequences(text))
            elif inner[0].data == "interpolation":
                value = self.value(_parts(inner[0])[0], scope, at, line, depth + 1)
                out.append(_interpolated(value))
            else:
                self.note(at, line, "a template directive (`%{...}`) is not evaluated")
                return UNKNOWN
        charge_join(self.budget, "", out, at)
        return "".join(out)

    def _heredoc(
        self, raw: str, trim: bool, scope: _Scope, at: str, line: int | None, depth: int
    ) -> Any:
        lines = raw.rstrip("\n").split("\n")[1:-1]  # drop the `<<EOT` and closing marker lines
        if trim:
            indents = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
            cut = min(indents, default=0)
            lines = [x[cut:] for x in lines]
        body = "\n".join(lines) + ("\n" if lines else "")
        out: list[str] = []
        position = 0
        while position < len(body):
            start = body.find("${", position)
            if start < 0:
                out.append(body[position:])
                break
            if start > 0 and body[start - 1] == "$":
                out.append(body[position : start - 1] + "${")
                position = start + 2
                continue
            end = _closing_brace(body, start + 2)
            if end < 0:
                out.append(body[position:])
                break
            out.append(body[position:start])
            out.append(self._expression_text(body[start + 2 : end], scope, at, line, depth))
            position = end + 1
        if "%{" in body:
            self.note(at, line, "a template directive (`%{...}`) is not evaluated")
            return UNKNOWN
        charge_join(self.budget, "", out, at)
        return "".join(out)

    def _expression_text(
        self, source: str, scope: _Scope, at: str, line: int | None, depth: int
    ) -> str:
        from hcl2.api import parses_to_tree  # noqa: PLC0415 - loaded with the parser

        # Each interpolation of a heredoc is parsed on its own, at the parser's pace.
        self.budget.charge(steps=_PARSE_STEPS + len(source), at=at)
        try:
            tree = parses_to_tree(f"x = {source}\n")
            expr = _parts(_parts(_parts(tree)[0])[0])[-1]
        except Exception:  # an interpolation the grammar does not read
            self.note(at, line, f"the interpolation `${{{source}}}` cannot be read")
            return UNKNOWN
        return _interpolated(self.value(expr, scope, at, line, depth + 1))

    def _object(
        self, elements: list[Any], scope: _Scope, at: str, line: int | None, depth: int
    ) -> Any:
        out: dict[str, Any] = {}
        for element in elements:
            key_node, value_node = _parts(element)[0], _parts(element)[-1]
            key_expr = _parts(key_node)[0] if _parts(key_node) else key_node
            key = self._object_key(key_expr, scope, at, line, depth)
            out[key] = self.value(
                value_node, scope, pointer_join(at, widen(key)), _line(element, line), depth + 1
            )
        return out

    def _object_key(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> str:
        inner = _parts(node)
        if _kind(node) == "expr_term" and len(inner) == 1 and inner[0].data == "identifier":
            return _name_of(inner[0])  # a bare key is a literal name
        if _kind(node) == "keyword":
            return _name_of(node)
        return scalar_text(self.value(node, scope, at, line, depth + 1)) or UNKNOWN

    def _conditional(
        self, parts: list[Any], scope: _Scope, at: str, line: int | None, depth: int
    ) -> Any:
        condition = _truth(self.value(parts[0], scope, at, line, depth + 1))
        if condition is not None:
            return self.value(parts[1 if condition else 2], scope, at, line, depth + 1)
        self.note(at, line, "the condition of `? :` is not known; the value covers both results")
        first = self.value(parts[1], scope, at, line, depth + 1)
        second = self.value(parts[2], scope, at, line, depth + 1)
        return merge_alternatives(first, second)

    def _binary(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> Any:
        left_node, term = _parts(node)[0], _parts(node)[1]
        operator = _name_of(_parts(term)[0])
        right_node = _parts(term)[-1]
        left = self.value(left_node, scope, at, line, depth + 1)
        if operator in ("&&", "||"):
            decided = _truth(left)
            if decided is not None and decided == (operator == "||"):
                return decided
            right = _truth(self.value(right_node, scope, at, line, depth + 1))
            if right is not None and right == (operator == "||"):
                return right
            return UNKNOWN if decided is None or right is None else right
        right = self.value(right_node, scope, at, line, depth + 1)
        if is_unknown(left) or is_unknown(right):
            return UNKNOWN
        if operator == "==":
            return bool(left == right)
        if operator == "!=":
            return bool(left != right)
        numbers = [_number(left), _number(right)]
        if numbers[0] is None or numbers[1] is None:
            self.note(at, line, f"`{operator}` of values that are not numbers")
            return UNKNOWN
        a, b = numbers[0], numbers[1]
        arithmetic: Mapping[str, Callable[[float, float], Any]] = {
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
            "/": lambda x, y: x / y if y else UNKNOWN,
            "%": lambda x, y: x % y if y else UNKNOWN,
            "<": lambda x, y: x < y,
            ">": lambda x, y: x > y,
            "<=": lambda x, y: x <= y,
            ">=": lambda x, y: x >= y,
        }
        operation = arithmetic.get(operator)
        return operation(a, b) if operation else UNKNOWN

    def _call(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> Any:
        parts = _parts(node)
        names = [_name_of(p) for p in parts if p.data == "identifier"]
        name = "::".join(names)
        arguments = next((p for p in parts if p.data == "arguments"), None)
        args = [
            self.value(a, scope, at, line, depth + 1)
            for a in (_parts(arguments) if arguments else [])
        ]
        if arguments is not None and any(str(t) == "..." for t in _tokens(arguments)) and args:
            last = args.pop()
            if not isinstance(last, list):
                return UNKNOWN
            args.extend(last)
        if name == "try":
            for arg in args:
                if not is_unknown(arg):
                    return arg
            return UNKNOWN
        function = _STRING_FUNCTIONS.get(name)
        if function is None:
            function = _KNOWN_FUNCTIONS.get(name)
            if function is not None and any(is_unknown(a) for a in args):
                return UNKNOWN
        if function is None:
            self.note(at, line, f"function `{name}` is not evaluated", function=name)
            return UNKNOWN
        characters, items = _result_size(name, args)
        self.budget.charge(characters=characters, items=items, at=at)
        try:
            return function(*args)
        except Exception:  # wrong argument types or counts: what Terraform would reject
            if not any(is_unknown(a) for a in args):
                self.note(at, line, f"`{name}(...)` cannot be evaluated with these arguments")
            return UNKNOWN

    def _for(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> Any:
        parts = _parts(node)
        intro = parts[0]
        intro_parts = _parts(intro)
        names = [_name_of(p) for p in intro_parts if p.data == "identifier"]
        collection = self.value(intro_parts[-1], scope, at, line, depth + 1)
        condition = next((p for p in parts if p.data == "for_cond"), None)
        bodies = [p for p in parts[1:] if p.data != "for_cond"]
        if is_unknown(collection) or not isinstance(collection, list | Mapping):
            self.note(at, line, "the collection of a `for` expression is not known")
            return UNKNOWN
        pairs = list(
            collection.items() if isinstance(collection, Mapping) else enumerate(collection)
        )
        is_object = _kind(node) == "for_object_expr"
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for key, item in pairs[:_MAX_ITEMS]:
            inner = dict(scope)
            if len(names) == 2:
                inner[names[0]], inner[names[1]] = key, item
            elif names:
                inner[names[0]] = item
            if condition is not None:
                keep = _truth(self.value(_parts(condition)[-1], inner, at, line, depth + 1))
                if keep is False:
                    continue
            if is_object:
                out_key = scalar_text(self.value(bodies[0], inner, at, line, depth + 1))
                out_map[out_key or UNKNOWN] = self.value(bodies[1], inner, at, line, depth + 1)
            else:
                out_list.append(self.value(bodies[0], inner, at, line, depth + 1))
        return out_map if is_object else out_list

    # -- references -------------------------------------------------------------------------------

    def _reference(self, node: Any, scope: _Scope, at: str, line: int | None, depth: int) -> Any:
        steps: list[Any] = []
        attributes: list[bool] = []  # whether each step is `.name` (else an index)
        current = node
        while _kind(current) in ("get_attr_expr_term", "index_expr_term"):
            base, step = _parts(current)[0], _parts(current)[-1]
            attributes.append(step.data == "get_attr")
            if step.data == "get_attr":
                steps.append(_name_of(_parts(step)[0]))
            elif step.data == "short_index":
                steps.append(int(str(_tokens(step)[-1])))
            else:
                steps.append(self.value(_parts(step)[0], scope, at, line, depth + 1))
            current = _parts(base)[0] if _kind(base) == "expr_term" and _parts(base) else base
        steps.reverse()
        attributes.reverse()
        # A resource's or data source's instance keys (`[0]`, `["a"]`) do not matter.
        names = [s for s, named in zip(steps, attributes, strict=True) if named]
        if _kind(current) != "identifier":
            return _walk(self.value(current, scope, at, line, depth + 1), steps)
        root = _name_of(current)
        text = ".".join([root, *(str(s) for s in steps if isinstance(s, str))])
        if root in scope:
            return self._walk(scope[root], steps, text, at, line)
        if root == "var" and steps and isinstance(steps[0], str):
            return self._walk(self._variable(steps[0], at, line, depth), steps[1:], text, at, line)
        if root == "local" and steps and isinstance(steps[0], str):
            return self._walk(self._local(steps[0], at, line, depth), steps[1:], text, at, line)
        if root == "data" and len(names) >= 3 and attributes[:2] == [True, True]:
            return self._attribute(True, names[0], names[1], names[2:], at, line, depth)
        declared = (root, steps[0] if steps else None) in self.module.resources
        if names and attributes[0] and (declared or root in TERRAFORM):
            return self._attribute(False, root, names[0], names[1:], at, line, depth)
        self.note(at, line, f"`{text}` is not determined by this file", reference=text)
        return UNKNOWN

    def _walk(self, value: Any, steps: list[Any], text: str, at: str, line: int | None) -> Any:
        result = _walk(value, steps)
        if result is _MISSING:
            self.note(at, line, f"`{text}` has no such element")
            return UNKNOWN
        return result

    def _variable(self, name: str, at: str, line: int | None, depth: int) -> Any:
        block = self.module.variables.get(name)
        if name in self.overrides:
            given = self.overrides[name]
            declared = block.body.attributes.get("type") if block else None
            if declared is not None and given.strip()[:1] in ("[", "{"):
                try:
                    return json.loads(given)
                except ValueError:
                    return given
            return given
        default = block.body.attributes.get("default") if block else None
        if default is None:
            self.note(
                at,
                line,
                f"variable `{name}` has no default and no value was given",
                reference=f"var.{name}",
            )
            return UNKNOWN
        return self._guarded(f"var.{name}", default.expr, {}, at, line, depth)

    def _local(self, name: str, at: str, line: int | None, depth: int) -> Any:
        attribute = self.module.locals.get(name)
        if attribute is None:
            self.note(at, line, f"`local.{name}` is not declared in this file")
            return UNKNOWN
        return self._guarded(f"local.{name}", attribute.expr, {}, at, line, depth)

    def _guarded(
        self, key: str, expr: Any, scope: _Scope, at: str, line: int | None, depth: int
    ) -> Any:
        if key in self._in_progress:
            self.note(at, line, f"`{key}` refers back to itself")
            return UNKNOWN
        self._in_progress.add(key)
        try:
            return self.value(expr, scope, at, line, depth + 1)
        finally:
            self._in_progress.discard(key)

    def _attribute(
        self,
        data: bool,
        rtype: str,
        name: str,
        steps: list[str],
        at: str,
        line: int | None,
        depth: int,
    ) -> Any:
        table = self.module.data if data else self.module.resources
        address = f"{'data.' if data else ''}{rtype}.{name}"
        block = table.get((rtype, name))
        if not steps:
            self.note(at, line, f"`{address}` as a whole is not a value", reference=address)
            return UNKNOWN
        attr = steps[0]
        text = f"{address}.{attr}"
        declared = block is not None
        if block is None:
            if rtype not in TERRAFORM and not (data and rtype in _CONTEXT_DATA):
                self.note(at, line, f"`{text}` is not declared in this file", reference=text)
                return UNKNOWN
            block = _Block(rtype, [name], _Body(), None)
        if text in self._in_progress:
            self.note(at, line, f"`{text}` refers back to itself")
            return UNKNOWN
        if declared and self._followed is not None:
            self._followed.add(address)
        followed, self._followed = self._followed, None
        self._in_progress.add(text)
        try:
            view = _ResourceView(self, address, block, at, line, depth, declared=declared)
            # What the block itself says (a data source looked up by its ARN) comes first.
            if attr in block.body.attributes:
                result = view.arg(attr)
            else:
                result = _attribute_value(view, data, rtype, attr)
        finally:
            self._in_progress.discard(text)
            self._followed = followed
        if result is None:
            self.note(at, line, f"`{text}` is known only once it is applied", reference=text)
            return UNKNOWN
        return self._walk(result, list(steps[1:]), text, at, line)

    # -- blocks -----------------------------------------------------------------------------------

    def blocks(
        self, body: _Body, block_type: str, scope: _Scope, at: str, depth: int = 0
    ) -> Iterator[tuple[_Body, _Scope, int | None]]:
        """The `block_type` blocks of a body in order, dynamic ones expanded."""
        self._tick(depth, at)
        for block in body.blocks:
            if block.type == block_type:
                yield block.body, scope, block.line
            elif block.type == "dynamic" and block.labels and block.labels[0] == block_type:
                yield from self._dynamic(block, block_type, scope, at, depth)

    def _dynamic(
        self, block: _Block, block_type: str, scope: _Scope, at: str, depth: int
    ) -> Iterator[tuple[_Body, _Scope, int | None]]:
        content = block.body.first("content")
        for_each = block.body.attributes.get("for_each")
        if content is None or for_each is None:
            self.findings.append(
                shape_error(at, f'a `dynamic "{block_type}"` block without for_each or content')
            )
            return
        iterator_attr = block.body.attributes.get("iterator")
        iterator = _name_of(_parts(iterator_attr.expr)[0]) if iterator_attr else block_type
        items = self.value(for_each.expr, scope, at, for_each.line, depth + 1)
        if isinstance(items, Mapping):
            pairs: list[tuple[Any, Any]] = list(items.items())
        elif isinstance(items, list):
            pairs = list(enumerate(items))
        else:
            self.note(
                at,
                for_each.line,
                f'the for_each of `dynamic "{block_type}"` is not known; one {block_type} '
                "stands for all it makes",
            )
            pairs = [(UNKNOWN, UNKNOWN)]
        for key, item in pairs[:_MAX_ITEMS]:
            inner = {**scope, iterator: {"key": key, "value": item}}
            yield from self.blocks(
                _Body(blocks=[_Block(block_type, [], content.body, content.line)]),
                block_type,
                inner,
                at,
                depth + 1,
            )

    def body_value(self, body: _Body, scope: _Scope, at: str, depth: int = 0) -> dict[str, Any]:
        """A block body as data: attributes, and nested blocks as lists under their type."""
        self._tick(depth, at)
        out: dict[str, Any] = {}
        for name, attribute in body.attributes.items():
            out[name] = self.value(
                attribute.expr, scope, pointer_join(at, name), attribute.line, depth + 1
            )
        kinds = dict.fromkeys(_block_kind(b) for b in body.blocks)
        for kind in kinds:
            out[kind] = [
                self.body_value(inner, inner_scope, pointer_join(at, kind, i), depth + 1)
                for i, (inner, inner_scope, _line_no) in enumerate(
                    self.blocks(body, kind, scope, at, depth + 1)
                )
            ]
        return out

    # -- the pipeline -----------------------------------------------------------------------------

    def pipeline(self, name: str) -> Pipeline:
        block = self.module.resources[(PIPELINE_RESOURCE_TYPE, name)]
        at = pointer_join(self.base, "resource", PIPELINE_RESOURCE_TYPE, name)
        body = block.body
        scope = pipeline_scope(block)
        for meta in ("count", "for_each"):
            if meta in body.attributes:
                self.note(
                    pointer_join(at, meta),
                    body.attributes[meta].line,
                    f"the pipeline has `{meta}`; one pipeline stands for every instance",
                )
        if "role_arn" not in body.attributes:
            raise PipelineParseError("`role_arn` is required", pointer_join(at, "role_arn"))
        raw = self.body_value(
            _Body(
                attributes={k: v for k, v in body.attributes.items() if k in _PIPELINE_ARGUMENTS},
                blocks=[b for b in body.blocks if _block_kind(b) in _PIPELINE_BLOCKS],
            ),
            scope,
            at,
        )
        places: Places = {}
        writer = Writer(_SPELLING, self.findings, self.line_of)
        stores = raw.pop("artifact_store", [])
        stages = raw.pop("stage", [])
        tags = raw.pop("tags", None)
        document = writer.value(raw, at, at, places)
        document["name"] = optional_text(raw.get("name")) or name
        if not optional_text(raw.get("role_arn")):
            self.note(pointer_join(at, "role_arn"), body.attributes["role_arn"].line, "no role")
            document["roleArn"] = "*"
        document.update(self._stores(stores, at, writer, places))
        document["stages"] = [
            self._stage(stage, pointer_join(at, "stages", i), pointer_join(at, "stage", i), places)
            for i, stage in enumerate(stages)
        ]
        source_map = SourceMap(at, at, terraform_token, self.line_of)
        source_map.update(places)
        try:
            pipeline, findings = parse_pipeline_json(document, at)
        except PipelineParseError as exc:
            raise source_map.raised(exc) from None
        self.findings.extend(source_map.located(f) for f in findings)
        extras: dict[str, Any] = {"terraformAddress": f"{PIPELINE_RESOURCE_TYPE}.{name}"}
        if isinstance(tags, Mapping):
            extras["tags"] = [{"key": k, "value": widen(v)} for k, v in tags.items()]
        return replace(
            pipeline,
            role_resource=self._role_resource(body.attributes["role_arn"].expr),
            source_map=source_map,
            extras={**pipeline.extras, **extras},
        )

    def line_of(self, pointer: str) -> int | None:
        # The line reader follows this module's syntax tree, so it is imported when used.
        from app.engine.pipeline.source_lines import body_line  # noqa: PLC0415

        if not pointer.startswith(self.base):
            return None
        return body_line(self.module.body, pointer_tokens(pointer[len(self.base) :]), None)

    def _role_resource(self, expr: Any) -> TemplateResource | None:
        """The `aws_iam_role` of this file whose ARN `role_arn` is (`aws_iam_role.NAME.arn`)."""
        names = _plain_reference(expr)
        declared = len(names) == 3 and (names[0], names[1]) in self.module.resources
        if declared and names[0] == "aws_iam_role" and names[2] == "arn":
            return TemplateResource("terraform", f"{names[0]}.{names[1]}")
        return None

    def _stores(self, stores: list[Any], at: str, writer: Writer, places: Places) -> dict[str, Any]:
        """`artifact_store` blocks as the API's `artifactStore`, or `artifactStores` by Region."""
        if len(stores) == 1 and not stores[0].get("region"):
            rendered = pointer_join(at, "artifactStore")
            return {
                "artifactStore": writer.value(stores[0], rendered, f"{at}/artifact_store/0", places)
            }
        by_region: dict[str, Any] = {}
        for i, store in enumerate(stores):
            region = optional_text(store.get("region")) or "*"
            rendered = pointer_join(at, "artifactStores", region)
            source = pointer_join(at, "artifact_store", i)
            by_region[region] = writer.value(store, rendered, source, places)
        return {"artifactStores": by_region} if by_region else {}

    def _stage(self, raw: dict[str, Any], rendered: str, source: str, places: Places) -> Any:
        writer = Writer(_SPELLING, self.findings, self.line_of)
        actions = raw.pop("action", [])
        stage = writer.value(raw, rendered, source, places)
        stage["actions"] = [
            self._action(
                action,
                pointer_join(rendered, "actions", j),
                pointer_join(source, "action", j),
                writer,
                places,
            )
            for j, action in enumerate(actions)
        ]
        places[pointer_join(rendered, "actions")] = pointer_join(source, "action")
        return stage

    def _action(
        self, raw: dict[str, Any], rendered: str, source: str, writer: Writer, places: Places
    ) -> Any:
        """An action block: its type parts as `actionTypeId`, its artifacts as named objects."""
        kept = {k: v for k, v in raw.items() if k not in _TYPE_PARTS and k not in _ARTIFACTS}
        action = writer.value(kept, rendered, source, places)
        type_at = pointer_join(rendered, "actionTypeId")
        places[type_at] = source
        action["actionTypeId"] = {}
        for part in _TYPE_PARTS:
            places[pointer_join(type_at, part)] = pointer_join(source, part)
            if part in raw:
                action["actionTypeId"][part] = widen(raw[part])
        for key, name in _ARTIFACTS.items():
            if key in raw:
                action[name] = artifact_names(
                    raw[key], pointer_join(rendered, name), pointer_join(source, key), places
                )
        return action


# -- small readers --------------------------------------------------------------------------------

# The scope of a counted resource read once for all its instances: which one is not known.
EVERY_INSTANCE: Mapping[str, Any] = {
    "count": {"index": UNKNOWN},
    "each": {"key": UNKNOWN, "value": UNKNOWN},
}


def pipeline_scope(block: _Block) -> _Scope:
    """What a pipeline's arguments are evaluated in: one pipeline stands for all its instances."""
    counted = any(meta in block.body.attributes for meta in ("count", "for_each"))
    return EVERY_INSTANCE if counted else {}


_MISSING = object()
_PIPELINE_ARGUMENTS = frozenset({"name", "role_arn", "pipeline_type", "execution_mode", "tags"})
_PIPELINE_BLOCKS = frozenset({"stage", "artifact_store", "variable", "trigger"})
_TYPE_PARTS = ("category", "owner", "provider", "version")
_ARTIFACTS = {"input_artifacts": "inputArtifacts", "output_artifacts": "outputArtifacts"}
# Terraform's repeated blocks under the API's plural names; blocks it allows once, which the API
# holds as objects (not one-element lists).
_BLOCK_NAMES = {
    "stage": "stages",
    "action": "actions",
    "condition": "conditions",
    "rule": "rules",
    "variable": "variables",
    "trigger": "triggers",
}
_SPELLING = Spelling(
    name=lambda key: _BLOCK_NAMES.get(key) or _camel(key),
    single_blocks=frozenset(
        {
            "beforeEntry",
            "onSuccess",
            "onFailure",
            "ruleTypeId",
            "retryConfiguration",
            "encryptionKey",
            "gitConfiguration",
            "tags",
            "branches",
            "filePaths",
        }
    ),
)


def _string_parts(node: Any) -> list[Any]:
    return [c for c in node.children if _is_tree(c) and c.data == "string_part"]


def _literal_token(tokens: list[Any]) -> Any:
    return str(tokens[0]) if tokens else None


def _interpolated(value: Any) -> str:
    text = scalar_text(value)
    if text is not None:
        return text
    return UNKNOWN if value is None or is_unknown(value) else json.dumps(value)


def _walk(value: Any, steps: list[Any]) -> Any:
    for step in steps:
        if is_unknown(value) and not isinstance(value, Mapping | list):
            return UNKNOWN
        if isinstance(value, Mapping) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, Mapping) and is_unknown(step):
            return UNKNOWN
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(value, list) and isinstance(step, str) and step.isdigit():
            value = value[int(step)] if int(step) < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return value
    return value


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return None
    return None


def _closing_brace(text: str, start: int) -> int:
    depth, quoted, position = 1, False, start
    while position < len(text):
        char = text[position]
        if quoted:
            if char == "\\":
                position += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return -1


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)

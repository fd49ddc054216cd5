"""The identity policies a Terraform file attaches to a pipeline's service role, when the
pipeline's `role_arn` refers to an `aws_iam_role` of the same file (or names it by its ARN,
known whole):

- the role's `inline_policy` blocks (dynamic ones expanded);
- `aws_iam_role_policy` resources whose `role` refers to the role (or names it);
- `aws_iam_policy` resources attached by the role's `managed_policy_arns`, an
  `aws_iam_role_policy_attachment` (`role`) or an `aws_iam_policy_attachment` (`roles`);
  a policy attached by an ARN the file does not define is a ROLE_POLICY_NOT_READ finding.

A document is `jsonencode(...)`, JSON text (a heredoc, say) or the `json` of a
`data "aws_iam_policy_document"`; it is located at its argument, or at the data source when the
argument is a reference to its `json` (where its statements are written). A resource whose
`count` is 0 or whose `for_each` is empty is left out; one whose instances are not known stands
for all of them; each known instance is read with its `count.index` or `each`.

`Configuration` is how both this and terraform_companions look at the file: the expressions at
a place of a resource, what they refer to, the instances of a resource, its documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.model import Pipeline
from app.engine.pipeline.policy_readings import template_policy
from app.engine.pipeline.source_lines import expression_at
from app.engine.pipeline.template_values import (
    RolePolicies,
    TemplatePolicy,
    is_unknown,
    managed_policy_not_read,
    one_policy_document,
    optional_text,
    warning,
    widen,
)
from app.engine.pipeline.terraform import (
    _MAX_ITEMS,
    EVERY_INSTANCE,
    _Attribute,
    _Block,
    _block_kind,
    _kind,
    _number,
    _parts,
    _plain_reference,
    pipeline_scope,
)
from app.engine.pipeline.terraform_policy_document import (
    DATA_SOURCE,
    DOCUMENT_ATTRIBUTES,
    MERGED_ARGUMENTS,
    written_place,
)

if TYPE_CHECKING:
    from app.engine.pipeline.terraform import _Evaluator, _Scope

ROLE = "aws_iam_role"
POLICY = "aws_iam_policy"
ROLE_POLICY = "aws_iam_role_policy"
ROLE_ATTACHMENT = "aws_iam_role_policy_attachment"
POLICY_ATTACHMENT = "aws_iam_policy_attachment"

# The attributes of a role, key, alias or bucket by which the pipeline names it.
_NAMING_ATTRIBUTES = ("arn", "name", "id", "key_id", "bucket")
# The resources that attach a policy to roles, with the argument that names the roles.
_ATTACHMENTS = ((ROLE_ATTACHMENT, "role"), (POLICY_ATTACHMENT, "roles"))


def resource_type(address: str) -> str:
    """`aws_iam_role` of `aws_iam_role.NAME`, `data.TYPE` of a data source's address."""
    parts = address.split(".")
    return ".".join(parts[:2]) if parts[0] == "data" else parts[0]


@dataclass(frozen=True)
class ReadDocument:
    """A policy document as the file defines it (resolved and widened, JSON text decoded, read
    both ways), at its place, and the data sources whose merged documents
    (`source_policy_documents`, ...) are not part of it, with the argument that merges them.
    `refused` is the ERROR of a value that is not one document (text that is not JSON, a list
    of documents): it is not read, and `policy` is None."""

    policy: TemplatePolicy | None
    pointer: str
    merged: tuple[tuple[str, str], ...] = ()
    refused: Finding | None = None

    @property
    def document(self) -> Any:
        return None if self.policy is None else self.policy.document


@dataclass(frozen=True)
class Referred:
    """What an expression refers to, and its value."""

    addresses: frozenset[str]
    value: Any


class Configuration:
    """A Terraform file as the policy readers look at it, through its evaluator."""

    def __init__(self, ev: _Evaluator) -> None:
        self.ev = ev
        self._instances: dict[str, list[_Scope]] = {}

    def pointer(self, address: str, *tokens: str | int) -> str:
        parts = address.split(".")
        head = parts if parts[0] == "data" else ["resource", *parts]
        return pointer_join(self.ev.base, *head, *tokens)

    def line_of(self, pointer: str) -> int | None:
        return self.ev.line_of(pointer)

    def block(self, address: str) -> _Block | None:
        parts = address.split(".")
        if parts[0] == "data":
            return self.ev.module.data.get((parts[1], parts[2])) if len(parts) == 3 else None
        return self.ev.module.resources.get((parts[0], parts[1])) if len(parts) == 2 else None

    def argument(self, address: str, name: str) -> _Attribute | None:
        block = self.block(address)
        return block.body.attributes.get(name) if block is not None else None

    # -- instances ------------------------------------------------------------------------------

    def instances(self, address: str) -> list[_Scope]:
        """The scopes a resource's arguments are evaluated in, one per instance: none when its
        `count` is 0 or its `for_each` empty, one standing for all when they are not known."""
        if address not in self._instances:
            self._instances[address] = self._counted(address)
        scopes = self._instances[address]
        self.ev.budget.charge(items=len(scopes), at=self.pointer(address))
        return scopes

    def _counted(self, address: str) -> list[_Scope]:
        block = self.block(address)
        if block is None:
            return []
        count, for_each = (block.body.attributes.get(k) for k in ("count", "for_each"))
        if count is not None:
            number = _number(self._value(count, {}, self.pointer(address, "count")))
            if not isinstance(number, int):
                return [EVERY_INSTANCE]
            return [{"count": {"index": i}} for i in range(min(number, _MAX_ITEMS))]
        if for_each is not None:
            items = self._value(for_each, {}, self.pointer(address, "for_each"))
            if isinstance(items, Mapping):
                pairs = list(items.items())
            elif isinstance(items, list):
                pairs = [(item, item) for item in items]
            else:
                return [EVERY_INSTANCE]
            return [{"each": {"key": k, "value": v}} for k, v in pairs[:_MAX_ITEMS]]
        return [{}]

    def created(self, rtype: str) -> list[str]:
        """The file's resources of a type that may be created, in the file's order (a scan of
        them all: charged)."""
        resources = self.ev.module.resources
        self.ev.budget.charge(items=len(resources), at=pointer_join(self.ev.base, "resource"))
        return [f"{t}.{n}" for t, n in resources if t == rtype and self.instances(f"{t}.{n}")]

    # -- references -----------------------------------------------------------------------------

    def _value(self, attribute: _Attribute, scope: _Scope, at: str) -> Any:
        return self.ev.value(attribute.expr, scope, at, attribute.line)

    def refers(self, node: Any, scope: _Scope, at: str, line: int | None) -> Referred:
        with self.ev.following() as found:
            value = self.ev.value(node, scope, at, line)
        return Referred(frozenset(found), value)

    def of_types(self, addresses: Iterable[str], types: Iterable[str]) -> set[str]:
        """Those of `addresses` of one of `types` that may be created."""
        kinds = set(types)
        return {a for a in addresses if resource_type(a) in kinds and self.instances(a)}

    def argument_refers(self, address: str, name: str, types: Iterable[str]) -> set[str]:
        """The resources of `types` an argument of a resource refers to, in any instance."""
        attribute = self.argument(address, name)
        if attribute is None:
            return set()
        at = self.pointer(address, name)
        found: set[str] = set()
        for scope in self.instances(address):
            referred = self.refers(attribute.expr, scope, at, attribute.line)
            found |= self.resources_of(referred, types)
        return found

    def argument_texts(self, address: str, name: str) -> set[str]:
        """The texts an argument of a resource has, in its instances, where known whole."""
        attribute = self.argument(address, name)
        if attribute is None:
            return set()
        at = self.pointer(address, name)
        values = [self._value(attribute, scope, at) for scope in self.instances(address)]
        return {t for v in values if not is_unknown(v) and (t := optional_text(v)) is not None}

    def referred(
        self, pipeline: Pipeline, rendered: str, types: Iterable[str]
    ) -> tuple[str, set[str]]:
        """The file's place of a rendered one of the pipeline, and the resources of `types`
        its expression refers to; when it refers to none, those whose ARN it is, known whole
        (a role named in full, an action of a dynamic block over a list of ARNs)."""
        source_map = pipeline.source_map
        at = source_map.source(rendered) if source_map is not None else None
        if at is None:
            return rendered, set()
        kinds = list(types)
        found: set[str] = set()
        values: list[Any] = []
        for node, scope, line in self.expressions(at):
            referred = self.refers(node, scope, at, line)
            found |= self.resources_of(referred, kinds)
            values.append(referred.value)
        return at, found or self.with_arn(values, kinds)

    def resources_of(self, referred: Referred, types: Iterable[str]) -> set[str]:
        """The resources of `types` that may be created a value refers to: of several, those
        one of whose names or ARNs it is (or is one of, a list), when some are
        (`local.roles["deploy"]` refers to every role of the map); all of them when none is
        (an undecided condition)."""
        addresses = self.of_types(referred.addresses, types)
        if len(addresses) <= 1:
            return addresses
        value = referred.value
        values = value if isinstance(value, list) else [value]
        matching = {a for a in addresses if self._named_by(a, values)}
        return matching or addresses

    def _named_by(self, address: str, values: list[Any]) -> bool:
        rtype, name = address.split(".")
        at = self.pointer(address)
        for attribute in _NAMING_ATTRIBUTES:
            self.ev.budget.charge(items=len(values), at=at)
            if self.ev.resource_attribute(rtype, name, attribute, at) in values:
                return True
        return False

    def with_arn(self, values: Iterable[Any], types: Iterable[str]) -> set[str]:
        """The file's resources of `types` whose ARN, known whole, is one of `values`."""
        arns = {v for v in values if isinstance(v, str) and v.startswith("arn:")}
        arns -= {v for v in arns if is_unknown(v)}
        if not arns:
            return set()
        out: set[str] = set()
        for rtype in types:
            for address in self.created(rtype):
                name = address.split(".")[1]
                arn = self.ev.resource_attribute(rtype, name, "arn", self.pointer(address))
                if arn in arns:
                    out.add(address)
        return out

    def expressions(self, pointer: str) -> list[tuple[Any, _Scope, int | None]]:
        """The expression at a place of a resource (an argument, in nested blocks with dynamic
        ones expanded, a member of an object literal), with the scope it is evaluated in; the
        whole argument's where the place is inside an expression that is not a literal."""
        base = self.ev.base
        tokens = pointer_tokens(pointer[len(base) :]) if pointer.startswith(base) else []
        if len(tokens) < 3 or tokens[0] != "resource":
            return []
        address = f"{tokens[1]}.{tokens[2]}"
        block = self.block(address)
        if block is None:
            return []
        body, scope, at = block.body, pipeline_scope(block), self.pointer(address)
        rest = tokens[3:]
        while rest:
            token = rest[0]
            attribute = body.attributes.get(token)
            if attribute is not None:
                node, line, _ = expression_at(attribute.expr, rest[1:], attribute.line)
                return [(node, scope, line)]
            self.ev.budget.charge(items=len(body.blocks), at=at)
            if not any(_block_kind(b) == token for b in body.blocks):
                return []
            indexed = len(rest) > 1 and rest[1].isdigit()
            index = int(rest[1]) if indexed else 0
            expanded = islice(self.ev.blocks(body, token, scope, at), index, index + 1)
            found = next(expanded, None)
            if found is None:
                return []
            body, scope, _ = found
            at = pointer_join(at, token, index)
            rest = rest[2:] if indexed else rest[1:]
        return []

    # -- documents ------------------------------------------------------------------------------

    def document(self, attribute: _Attribute, scope: _Scope, at: str) -> ReadDocument | None:
        """The policy document an argument holds; None when it holds none (null)."""
        names = _plain_reference(attribute.expr)
        pointer, line_of = at, self.line_of
        if (
            len(names) == 4
            and names[:2] == ["data", DATA_SOURCE]
            and names[3] in DOCUMENT_ATTRIBUTES
            and (DATA_SOURCE, names[2]) in self.ev.module.data
        ):
            pointer = self.pointer(".".join(names[:3]))
            line_of = partial(self._data_source_line, pointer)
        referred = self.refers(attribute.expr, scope, at, attribute.line)
        if referred.value is None:
            return None
        refused = one_policy_document(widen(referred.value), pointer, self.line_of(pointer))
        if isinstance(refused, Finding):
            return ReadDocument(None, pointer, refused=refused)
        merged = tuple(
            (address, argument)
            for address in sorted(referred.addresses)
            if resource_type(address) == f"data.{DATA_SOURCE}"
            for argument in MERGED_ARGUMENTS
            if self._merges(address, argument)
        )
        return ReadDocument(template_policy(referred.value, pointer, line_of), pointer, merged)

    def _data_source_line(self, pointer: str, place: str) -> int | None:
        """The line of a place of the document a data source at `pointer` makes."""
        tokens = pointer_tokens(place[len(pointer) :])
        return self.line_of(pointer_join(pointer, *written_place(tokens)))

    def _merges(self, address: str, argument: str) -> bool:
        """Whether a policy document data source merges in documents by an argument (one that
        is null or empty merges none)."""
        attribute = self.argument(address, argument)
        if attribute is None:
            return False
        return self._value(attribute, {}, self.pointer(address, argument)) not in (None, [], "")

    def documents(self, address: str, name: str) -> list[ReadDocument]:
        """The distinct documents an argument of a resource holds in its instances."""
        attribute = self.argument(address, name)
        out: list[ReadDocument] = []
        if attribute is None:
            return out
        for scope in self.instances(address):
            read = self.document(attribute, scope, self.pointer(address, name))
            self.ev.budget.charge(items=len(out), at=self.pointer(address, name))
            if read is not None and read not in out:
                out.append(read)
        return out


def merged_message(address: str, argument: str) -> str:
    return (
        f"`{address}` merges in the documents of `{argument}`, which are not read; the "
        "statements they add are not part of the document read"
    )


def role_policies(ev: _Evaluator, pipeline: Pipeline) -> RolePolicies | None:
    """The identity policies the file attaches to the role a pipeline's `role_arn` refers to,
    when that role is one `aws_iam_role` of the file; read quietly (what is not known was
    reported where the pipeline uses it, if at all)."""
    configuration = Configuration(ev)
    with ev.quiet():
        _, roles = configuration.referred(
            pipeline, pointer_join(pipeline.pointer, "roleArn"), [ROLE]
        )
        if len(roles) != 1:
            return None
        reader = _RoleReader(configuration, roles.pop())
        reader.read()
    return RolePolicies(
        pipeline.pointer, reader.role, tuple(reader.documents), tuple(reader.findings)
    )


@dataclass
class _RoleReader:
    configuration: Configuration
    role: str
    documents: list[TemplatePolicy] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    attached: set[str] = field(default_factory=set)
    policy_arns: dict[str, Any] | None = None  # of the file's policies, once needed

    def read(self) -> None:
        c = self.configuration
        for scope in c.instances(self.role):
            self._inline(scope)
            self._managed(scope)
        names = c.argument_texts(self.role, "name")
        for address in c.created(ROLE_POLICY):
            if self._names_role(address, "role", names):
                self._add(c.documents(address, "policy"))
        for rtype, argument in _ATTACHMENTS:
            for address in c.created(rtype):
                if self._names_role(address, argument, names):
                    self._attach(address)
        for address in c.created(POLICY):
            if address in self.attached:
                self._add(c.documents(address, "policy"))

    def _names_role(self, address: str, argument: str, names: set[str]) -> bool:
        """Whether a resource's argument refers to the role, or names it (by a name of the
        role known whole)."""
        c = self.configuration
        attribute = c.argument(address, argument)
        if attribute is None:
            return False
        at = c.pointer(address, argument)
        for scope in c.instances(address):
            referred = c.refers(attribute.expr, scope, at, attribute.line)
            if self.role in c.resources_of(referred, [ROLE]):
                return True
            value = referred.value
            items = value if isinstance(value, list) else [value]
            if any(not is_unknown(v) and optional_text(v) in names for v in items):
                return True
        return False

    def _inline(self, scope: _Scope) -> None:
        c = self.configuration
        block = c.block(self.role)
        assert block is not None
        at = c.pointer(self.role)
        blocks = c.ev.blocks(block.body, "inline_policy", scope, at)
        for i, (body, inner, _line) in enumerate(blocks):
            attribute = body.attributes.get("policy")
            if attribute is not None:  # an empty block: the role has no inline policies
                read = c.document(attribute, inner, pointer_join(at, "inline_policy", i, "policy"))
                self._add([read] if read is not None else [])

    def _managed(self, scope: _Scope) -> None:
        c = self.configuration
        attribute = c.argument(self.role, "managed_policy_arns")
        if attribute is None:
            return
        at = c.pointer(self.role, "managed_policy_arns")
        node = attribute.expr
        while _kind(node) == "expr_term" and len(_parts(node)) == 1:
            node = _parts(node)[0]
        if _kind(node) == "tuple":  # each item alone: which one attaches what is known
            for i, item in enumerate(_parts(node)):
                self._attached_by(item, scope, pointer_join(at, i), attribute.line)
            return
        referred = c.refers(attribute.expr, scope, at, attribute.line)
        values = referred.value if isinstance(referred.value, list) else [referred.value]
        policies = c.resources_of(referred, [POLICY])
        self.attached |= policies
        for i, value in enumerate(values):
            found = self._policies_named(value)
            self.attached |= found
            if not (found or (is_unknown(value) and policies)):
                self._not_read(value, pointer_join(at, i), attribute.line)

    def _attach(self, address: str) -> None:
        c = self.configuration
        attribute = c.argument(address, "policy_arn")
        if attribute is None:
            return
        for scope in c.instances(address):
            self._attached_by(attribute.expr, scope, c.pointer(address, "policy_arn"), None)

    def _attached_by(self, node: Any, scope: _Scope, at: str, line: int | None) -> None:
        c = self.configuration
        referred = c.refers(node, scope, at, line)
        policies = c.resources_of(referred, [POLICY]) | self._policies_named(referred.value)
        if policies:
            self.attached |= policies
        else:
            self._not_read(referred.value, at, line)

    def _policies_named(self, arn: Any) -> set[str]:
        """The file's policies whose ARN is `arn` (one set by `for_each`, say), where `arn` is
        not wholly unknown."""
        if not isinstance(arn, str) or optional_text(arn) in (None, "*"):
            return set()
        c = self.configuration
        if self.policy_arns is None:
            self.policy_arns = {
                p: c.ev.resource_attribute(POLICY, p.split(".")[1], "arn", c.pointer(p))
                for p in c.created(POLICY)
            }
        c.ev.budget.charge(items=len(self.policy_arns), at=c.pointer(POLICY))
        return {p for p, known in self.policy_arns.items() if known == arn}

    def _add(self, reads: list[ReadDocument]) -> None:
        for read in reads:
            self.configuration.ev.budget.charge(items=len(self.documents), at=read.pointer)
            if read.refused is not None or read.policy is None:
                if read.refused is not None:
                    self._add_finding(read.refused)
            elif read.policy not in self.documents:
                self.documents.append(read.policy)
            for address, argument in read.merged:
                at = self.configuration.pointer(address, argument)
                message = merged_message(address, argument)
                code = "ROLE_POLICY_NOT_READ"
                self._add_finding(warning(code, at, message, self._line(at), policy=address))

    def _not_read(self, arn: Any, at: str, line: int | None) -> None:
        text = optional_text(arn) or "*"
        self._add_finding(managed_policy_not_read(text, at, line or self._line(at), "file"))

    def _line(self, at: str) -> int | None:
        return self.configuration.line_of(at)

    def _add_finding(self, finding: Finding) -> None:
        self.configuration.ev.budget.charge(items=len(self.findings), at=finding.path)
        if finding not in self.findings:
            self.findings.append(finding)

"""The schema of a permission profile document: one set of models for every use.

The shipped YAML files are checked with it when they are seeded, stored revisions when they are
loaded, and profiles written through the API are its request body (so the OpenAPI document and
`GET /v1/profiles/schema` show editors the same shape). Every model refuses unknown keys, naming
the key meant when one is near. What needs the IAM catalogue (do the actions exist, is a grant
broad) is checked in app.engine.profile_grants.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.conditions.operators import OPERATOR_NAMES, parse_operator, suggest_operator
from app.engine.pipeline.model import ActionTypeKey
from app.engine.placeholders import parse_template
from app.engine.strict_model import StrictModel, did_you_mean, located_error, located_problems

Category = Literal[
    "Source",
    "Build",
    "Test",
    "Deploy",
    "Approval",
    "Invoke",
    "Compute",
    # Stage-condition rule types (V2 pipelines); their category is always Rule.
    "Rule",
    # Parts of every pipeline that are not action types (artifact stores, action roles).
    "Pipeline",
]
Owner = Literal["AWS", "ThirdParty", "Custom"]
Behaviour = Literal["CREATE", "FAST", "LATE", "HANG", "DEGRADED", "TRANSIENT"]
ArtifactReference = Literal["name", "path"]
PrerequisiteFinding = Literal["ERROR", "WARNING"]
# The facts of a `structure` section that `cited` may give a source of their own.
StructureFact = Literal[
    "doc_page",
    "v2_only",
    "alternatives",
    "keys_documented",
    "owner_aliases",
    "reads_input_artifacts",
    "runs_commands",
    "can_skip",
]
Evidence = Literal["V", "P", "D", "I"]
VariableType = Literal["PLAINTEXT", "SECRETS_MANAGER"]
# The resource-based policies a profile's companion statements belong in.
CompanionPolicy = Literal["trust-policy", "lambda-function-policy", "sns-topic-policy"]
TITLE_MAX = 200

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Dates are written YYYY-MM-DD (YAML gives them as dates, JSON as text); nothing else
    reads as a date (no timestamps, no 20250523)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "must be a date written YYYY-MM-DD")


def _template(text: str) -> str:
    try:
        parse_template(text)
    except ProfileDefinitionError as error:
        raise PydanticCustomError("placeholder", error.message) from None
    return text


def _operator(text: str) -> str:
    if parse_operator(text) is None:
        meant = suggest_operator(text)
        hint = f"; did you mean `{meant}`?" if meant else ""
        raise PydanticCustomError("operator", f"`{text}` is not an IAM condition operator{hint}")
    return text


def _condition_values(value: Any) -> str | list[str]:
    """A string or a non-empty list of strings, each a template (one error for the value, so
    its pointer names the condition key rather than a branch of a union)."""
    texts = value if isinstance(value, list) else [value]
    if not texts or not all(isinstance(t, str) for t in texts):
        raise PydanticCustomError(
            "condition_values", "a condition value is a string or a non-empty list of strings"
        )
    for text in texts:
        _template(text)
    return texts if isinstance(value, list) else texts[0]


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Text = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]
Name = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,35}$")]
VersionName = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,9}$")]
SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
HintName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
StatementId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]+$")]
# An IAM action (`service:Action`), or a pattern; patterns need a stated reason (profile_grants).
ActionName = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$")]
TemplateText = Annotated[str, StringConstraints(min_length=1), AfterValidator(_template)]
# A configuration key of an action or rule (the API allows 1-50 characters).
ConfigKey = Annotated[str, StringConstraints(pattern=r"^\S{1,50}$")]
# A page of the CodePipeline User Guide, named as in its URL (`action-reference-CodeBuild`).
DocPage = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,100}$")]
ArtifactCount = Annotated[int, Field(ge=0, le=10)]
Operator = Annotated[
    str,
    AfterValidator(_operator),
    WithJsonSchema({"type": "string", "enum": list(OPERATOR_NAMES)}),
]
ConditionValues = Annotated[
    str | list[str],
    PlainValidator(_condition_values, json_schema_input_type=str | list[str]),
]


class ProfileActionType(StrictModel):
    """The action type key; `Rule` is the category of stage-condition rule types."""

    category: Category
    owner: Owner
    provider: Name
    version: VersionName

    @property
    def key(self) -> ActionTypeKey:
        return ActionTypeKey(self.category, self.owner, self.provider, self.version)


class ProfileCitation(StrictModel):
    title: Text
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    as_of: IsoDate | None = Field(default=None, description="when the source was read")


class ProfilePitfall(StrictModel):
    text: Text
    source: SourceId | None = Field(default=None, description="an id of `sources`")
    when: ProfileTrigger | None = Field(
        default=None, description="the pitfall is named only where this trigger may hold"
    )


class ProfileHint(StrictModel):
    description: Text
    fallback: TemplateText = Field(description="the resource used when the hint is not given")


class ProfileImpact(StrictModel):
    """What the pipeline does without the statement (the failure-messages reference)."""

    behaviour: Behaviour
    message: Text
    evidence: Evidence = "I"


def _no_null(schema: dict[str, Any]) -> None:
    """The JSON Schema of an optional key that may be left out but not given as null."""
    options = [o for o in schema.pop("anyOf", []) if o != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options
    schema.pop("default", None)


_TRIGGER_KINDS: Final = ("config", "variable_type", "pipeline_has", "all", "any", "not")
_CONFIG_TESTS: Final = ("equals", "in", "present", "matches")


class ProfileActionTypeParts(StrictModel):
    """Some parts of an action type key; the others match any value."""

    category: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, json_schema_extra=_no_null
    )
    owner: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, json_schema_extra=_no_null
    )
    provider: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, json_schema_extra=_no_null
    )
    version: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, json_schema_extra=_no_null
    )


class ProfileTrigger(StrictModel):
    """When a statement applies: `{config, equals|in|present|matches}`, `{variable_type}`,
    `{pipeline_has}`, `{all}`, `{any}` or `{not}`."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": [kind]} for kind in _TRIGGER_KINDS],
            "minProperties": 1,
        }
    )

    # Each key is optional but never null (_one_shape refuses null; the JSON Schema omits it).
    config: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, description="a configuration key of the action", json_schema_extra=_no_null
    )
    equals: str | None = Field(
        default=None, description="the value, compared without case", json_schema_extra=_no_null
    )
    in_: list[str] | None = Field(
        default=None, alias="in", min_length=1, json_schema_extra=_no_null
    )
    present: bool | None = Field(default=None, json_schema_extra=_no_null)
    matches: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None,
        description="a glob (`*`, `?`) the value matches, case-sensitive",
        json_schema_extra=_no_null,
    )
    pipeline_has: ProfileActionTypeParts | None = Field(
        default=None,
        description="the pipeline has an action of this type (for statements rendered once per "
        "pipeline, such as the artifact store's)",
        json_schema_extra=_no_null,
    )
    variable_type: VariableType | None = Field(
        default=None,
        description="an action-level environment variable of this type exists",
        json_schema_extra=_no_null,
    )
    all_: list[ProfileTrigger] | None = Field(
        default=None, alias="all", min_length=1, json_schema_extra=_no_null
    )
    any_: list[ProfileTrigger] | None = Field(
        default=None, alias="any", min_length=1, json_schema_extra=_no_null
    )
    not_: ProfileTrigger | None = Field(default=None, alias="not", json_schema_extra=_no_null)

    @model_validator(mode="after")
    def _one_shape(self) -> ProfileTrigger:
        fields = type(self).model_fields
        given = {fields[n].alias or n: getattr(self, n) for n in self.model_fields_set}
        nulls = [key for key, value in given.items() if value is None]
        if nulls:
            raise located_error(type(self), [((k,), "must not be null", None) for k in nulls])
        kinds = [key for key in given if key in _TRIGGER_KINDS]
        tests = [key for key in given if key in _CONFIG_TESTS]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "trigger",
                "a trigger has exactly one of `config`, `variable_type`, `pipeline_has`, `all`, "
                "`any`, `not`",
            )
        if kinds == ["config"] and len(tests) != 1:
            raise PydanticCustomError(
                "trigger",
                "a `config` trigger has exactly one of `equals`, `in`, `present`, `matches`",
            )
        if kinds != ["config"] and tests:
            raise located_error(
                type(self),
                [((tests[0],), f"`{tests[0]}` belongs to a `config` trigger", self)],
            )
        return self

    def as_mapping(self) -> dict[str, Any]:
        """The trigger as the engine evaluates it (app.engine.triggers)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


ProfilePitfall.model_rebuild()


class ProfileStatement(StrictModel):
    id: StatementId = Field(description="letters and digits, unique within the profile")
    description: Text = Field(description="what the permission is for (the statement's reason)")
    actions: list[ActionName] = Field(min_length=1)
    resources: list[TemplateText] = Field(min_length=1)
    condition: dict[Operator, dict[TemplateText, ConditionValues]] | None = None
    when: ProfileTrigger | None = Field(
        default=None, description="without it the statement applies"
    )
    hints: dict[HintName, ProfileHint] = Field(default_factory=dict)
    source: SourceId = Field(description="an id of `sources`")
    inferred: bool = Field(
        default=False, description="the statement, its scoping or its trigger is our deduction"
    )
    inferred_note: Text | None = Field(
        default=None, description="what was deduced and why (required when `inferred`)"
    )
    since: IsoDate | None = Field(default=None, description="when the permission became needed")
    impact: ProfileImpact | None = None
    optional: Text | None = Field(
        default=None,
        description="what works without the permission, when AWS documents it as optional (or "
        "pipelines are known to run without it); diff reports its absence apart from `missing`",
    )
    alternative: Text | None = Field(
        default=None,
        description="another policy that may grant it instead of the role's (a key policy); "
        "diff reports its absence as unverifiable",
    )
    assumes: Text | None = Field(
        default=None,
        description="what the statement's condition takes for granted (the bucket is in the "
        "pipeline's account); a grant under other values of its keys is unverifiable",
    )
    risk_reason: Text | None = Field(
        default=None,
        description="why the statement needs a grant that is refused without a reason: a "
        "wildcard action, `*` on actions that can be scoped, or a privilege-escalation action. "
        "Publishing such a statement also needs an `admin` key.",
    )

    @model_validator(mode="after")
    def _complete(self) -> ProfileStatement:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.inferred and self.inferred_note is None:
            problems.append(
                (("inferred_note",), "an inferred statement says what was deduced", None)
            )
        for where, text in self.templates():
            for hint in parse_template(text).hint_names:
                if hint not in self.hints:
                    problems.append(
                        (where, f"hint `{hint}` is used but not declared in `hints`", text)
                    )
        if problems:
            raise located_error(type(self), problems)
        return self

    def templates(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(location, text) of every template of the statement but the hint fallbacks."""
        for i, text in enumerate(self.resources):
            yield ("resources", i), text
        for operator, block in (self.condition or {}).items():
            for key, values in block.items():
                yield ("condition", operator, key), key
                for value in [values] if isinstance(values, str) else values:
                    yield ("condition", operator, key), value


class ProfileCompanion(StrictModel):
    """A statement another resource's policy must hold for an action of the type to run (the
    trust policy of a role the action hands to a service, the function policy of a function in
    another account): rendered per action, with the acting role (the action's roleArn, else the
    service role) as its principal unless `service` names a service principal."""

    id: StatementId = Field(description="letters and digits, unique within the profile")
    description: Text = Field(description="what the statement lets happen (its reason)")
    policy: CompanionPolicy = Field(description="the resource policy the statement belongs in")
    target: TemplateText = Field(
        description="the resource (an ARN) whose policy it is; its statement's Resource, except "
        "in a trust policy, which has none"
    )
    service: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+\.amazonaws\.com$")] | None = (
        Field(
            default=None,
            description="the service principal the statement names; without it, the acting role",
        )
    )
    actions: list[ActionName] = Field(min_length=1)
    when: ProfileTrigger | None = Field(
        default=None, description="without it the statement applies"
    )
    cross_account_only: bool = Field(
        default=False,
        description="needed only when the target is in another account than the acting role "
        "(in the same account the role's own policy is enough)",
    )
    source: SourceId = Field(description="an id of `sources`")
    inferred: bool = Field(default=False, description="the statement or its trigger is deduced")
    inferred_note: Text | None = Field(
        default=None, description="what was deduced and why (required when `inferred`)"
    )

    @model_validator(mode="after")
    def _complete(self) -> ProfileCompanion:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.inferred and self.inferred_note is None:
            problems.append(
                (("inferred_note",), "an inferred statement says what was deduced", None)
            )
        if parse_template(self.target).hint_names:
            problems.append((("target",), "a companion's target takes no hint", self.target))
        if problems:
            raise located_error(type(self), problems)
        return self


class ProfileSituation(StrictModel):
    """When a key becomes required: `{config: K, in: [V, ...]}` (the key holds one of the
    values, compared without case) or `{inputs_above: N}` (more than N input artifacts)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["config", "in"]}, {"required": ["inputs_above"]}]
        }
    )

    config: ConfigKey | None = Field(default=None)
    in_: list[Text] | None = Field(default=None, alias="in", min_length=1)
    inputs_above: Annotated[int, Field(ge=0)] | None = Field(default=None)

    @model_validator(mode="after")
    def _one_shape(self) -> ProfileSituation:
        by_key = self.config is not None or self.in_ is not None
        incomplete = by_key and (self.config is None or self.in_ is None)
        if by_key == (self.inputs_above is not None) or incomplete:
            raise PydanticCustomError(
                "situation", "a situation is `{config, in}` or `{inputs_above}`"
            )
        return self


class ProfileRaisedMinimum(StrictModel):
    """While the key holds one of the values, the action takes at least `min` artifacts."""

    config: ConfigKey
    in_: list[Text] = Field(alias="in", min_length=1)
    min: ArtifactCount


class ProfileArtifactCount(StrictModel):
    """How many input (or output) artifacts an action of the type takes."""

    min: ArtifactCount
    max: ArtifactCount
    min_when: list[ProfileRaisedMinimum] = Field(default_factory=list)
    source: SourceId | None = Field(
        default=None, description="an id of `sources`, when not the section's"
    )

    @model_validator(mode="after")
    def _ordered(self) -> ProfileArtifactCount:
        if self.min > self.max:
            raise located_error(type(self), [(("min",), "`min` is above `max`", self.min)])
        return self


class ProfilePrerequisite(StrictModel):
    """The key this one only makes sense with (holding one of `values`, when given)."""

    key: ConfigKey
    values: list[Text] | None = Field(default=None, min_length=1)
    finding_type: PrerequisiteFinding = Field(
        default="WARNING", description="ERROR when CodePipeline refuses the key without it"
    )


class ProfileConfigurationKey(StrictModel):
    """One configuration key of the type, as its documentation gives it (`{}`: optional)."""

    required: bool = False
    required_when: ProfileSituation | None = Field(default=None)
    newly_required: bool = Field(
        default=False,
        description="rule types: required by a newer copy of the documentation only (a WARNING "
        "when absent)",
    )
    values: list[Text] | None = Field(
        default=None,
        min_length=1,
        description="the values allowed, compared without case",
    )
    needs: ProfilePrerequisite | None = Field(default=None)
    artifact: ArtifactReference | None = Field(
        default=None,
        description="`name`: the value names one of the action's input artifacts; `path`: it is "
        "`ArtifactName::path/in/artifact`",
    )
    source: SourceId | None = Field(
        default=None, description="an id of `sources`, when not the section's"
    )

    @model_validator(mode="after")
    def _one_requirement(self) -> ProfileConfigurationKey:
        given = [
            name
            for name, on in (
                ("required", self.required),
                ("required_when", self.required_when is not None),
                ("newly_required", self.newly_required),
            )
            if on
        ]
        if len(given) > 1:
            raise located_error(
                type(self),
                [((given[1],), f"`{given[1]}` and `{given[0]}` exclude each other", None)],
            )
        return self


# Facts of action types only, and of rule types only (a rule's artifacts are not counted).
_ACTION_FACTS: Final = ("input_artifacts", "output_artifacts", "v2_only", "alternatives")
_RULE_FACTS: Final = ("reads_input_artifacts", "can_skip")


class ProfileStructure(StrictModel):
    """What a pipeline definition must hold for an action (or rule) of the type: the facts the
    structure validator checks. Every fact is cited: by its own `source` (a configuration key,
    an artifact count), by `cited`, else by the section's `source`."""

    source: SourceId = Field(description="an id of `sources`: cites every fact citing no other")
    cited: dict[StructureFact, SourceId] = Field(
        default_factory=dict, description="the source of a fact of this section, by its name"
    )
    doc_page: DocPage | None = Field(
        default=None,
        description="the User Guide page of the type, as in its URL (named in findings)",
    )
    v2_only: bool = Field(default=False, description="the action type needs a V2 pipeline")
    input_artifacts: ProfileArtifactCount | None = Field(default=None)
    output_artifacts: ProfileArtifactCount | None = Field(default=None)
    configuration: dict[ConfigKey, ProfileConfigurationKey] = Field(
        default_factory=dict, description="every configuration key the documentation lists"
    )
    alternatives: list[Annotated[list[ConfigKey], Field(min_length=1)]] = Field(
        default_factory=list, description="groups of keys, one of which must be fully present"
    )
    keys_documented: bool = Field(
        default=True,
        description="false when the documentation does not list the keys: other keys are then "
        "not reported as unknown",
    )
    owner_aliases: list[Owner] = Field(
        default_factory=list,
        description="owners other documentation gives the type: an action written with one is "
        "checked as this type",
    )
    reads_input_artifacts: bool = Field(
        default=False, description="rule types: the rule reads input artifacts"
    )
    runs_commands: bool = Field(
        default=False, description="the action or rule runs its top-level `commands` list"
    )
    can_skip: bool = Field(
        default=False,
        description="rule types: allowed in a `beforeEntry` condition whose result is SKIP",
    )

    @model_validator(mode="after")
    def _keys_declared(self) -> ProfileStructure:
        declared = self.configuration
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []

        def check(where: tuple[str | int, ...], key: str) -> None:
            if key not in declared:
                meant = did_you_mean(key, declared)
                hint = f"; did you mean `{meant}`?" if meant else ""
                problems.append((where, f"`{key}` is not a key of `configuration`{hint}", key))

        for name, entry in declared.items():
            situation = entry.required_when
            if situation is not None and situation.config is not None:
                check(("configuration", name, "required_when", "config"), situation.config)
            if entry.needs is not None:
                check(("configuration", name, "needs", "key"), entry.needs.key)
        for side in ("input_artifacts", "output_artifacts"):
            count = getattr(self, side)
            for i, raised in enumerate(count.min_when if count else ()):
                check((side, "min_when", i, "config"), raised.config)
        for i, group in enumerate(self.alternatives):
            for j, key in enumerate(group):
                check(("alternatives", i, j), key)
        if problems:
            raise located_error(type(self), problems)
        return self

    def source_ids(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(location, source id) of every citation of the section."""
        yield ("source",), self.source
        for fact, source in self.cited.items():
            yield ("cited", fact), source
        for side in ("input_artifacts", "output_artifacts"):
            count = getattr(self, side)
            if count is not None and count.source is not None:
                yield (side, "source"), count.source
        for name, entry in self.configuration.items():
            if entry.source is not None:
                yield ("configuration", name, "source"), entry.source

    def kind_problems(self, category: str) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """The facts given that do not apply to an action (or rule) type of this category."""
        rule = category == "Rule"
        for fact in _ACTION_FACTS if rule else _RULE_FACTS:
            if fact in self.model_fields_set:
                what = "action types" if rule else "rule types (category `Rule`)"
                yield (fact,), f"`{fact}` is a fact of {what}"
        if not rule:
            for name, entry in self.configuration.items():
                if entry.newly_required:
                    yield (
                        ("configuration", name, "newly_required"),
                        "`newly_required` is a fact of rule types (category `Rule`)",
                    )


class ProfileDocument(StrictModel):
    """A permission profile: how the service role's permissions for one action type follow
    from the action's configuration, what a pipeline definition must hold for an action of the
    type, and where each of them comes from.

    A document with `extends` takes every part it does not write from the profile of another
    action type (app.engine.profile_extends resolves it); without `extends` it is complete.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["extends"]}, {"required": ["sources", "statements"]}]
        }
    )

    action_type: ProfileActionType
    extends: ProfileActionType | None = Field(
        default=None,
        description="the action type whose profile this one takes `sources` (merged by id), "
        "`notes`, `pitfalls`, `statements`, `structure` and `companions` from, where it does not "
        "write them; "
        "that profile must not extend another",
    )
    title: Annotated[Text, StringConstraints(max_length=TITLE_MAX)]
    supported_since: IsoDate | None = Field(
        description="when CodePipeline added the action type; null only when no source dates it"
    )
    effective_date: IsoDate = Field(description="the date of the documentation it follows")
    sources: dict[SourceId, ProfileCitation] = Field(
        default_factory=dict,
        min_length=1,
        description="every citation of the profile, by id (required without `extends`)",
    )
    notes: list[Text] = Field(default_factory=list)
    pitfalls: list[ProfilePitfall] = Field(default_factory=list)
    statements: list[ProfileStatement] = Field(
        default_factory=list, description="required without `extends`"
    )
    structure: ProfileStructure | None = Field(
        default=None,
        description="what a pipeline definition must hold for an action (or rule) of the type; "
        "without it, only the checks of a type without a profile apply",
    )
    companions: list[ProfileCompanion] = Field(
        default_factory=list,
        description="statements other resources' policies must hold for an action of the type "
        "(a role's trust policy, a function policy across accounts)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProfileDocument:
        if self.extends is not None:
            return self._extension_consistent()
        problems: list[tuple[tuple[str | int, ...], str, Any]] = [
            ((name,), "Field required", None)
            for name in ("sources", "statements")
            if name not in self.model_fields_set
        ]
        seen: set[str] = set()
        for i, statement in enumerate(self.statements):
            if statement.id in seen:
                problems.append(
                    (("statements", i, "id"), f"statement id `{statement.id}` is used twice", None)
                )
            seen.add(statement.id)
            problems.extend(self._unknown_source(("statements", i, "source"), statement.source))
        companion_ids: set[str] = set()
        for i, companion in enumerate(self.companions):
            if companion.id in companion_ids:
                problems.append(
                    (("companions", i, "id"), f"companion id `{companion.id}` is used twice", None)
                )
            companion_ids.add(companion.id)
            problems.extend(self._unknown_source(("companions", i, "source"), companion.source))
        for i, pitfall in enumerate(self.pitfalls):
            if pitfall.source is not None:
                problems.extend(self._unknown_source(("pitfalls", i, "source"), pitfall.source))
        if self.structure is not None:
            for where, source in self.structure.source_ids():
                problems.extend(self._unknown_source(("structure", *where), source))
            problems.extend(
                (("structure", *where), message, None)
                for where, message in self.structure.kind_problems(self.action_type.category)
            )
        if problems:
            raise located_error(type(self), problems)
        return self

    def _extension_consistent(self) -> ProfileDocument:
        """What an extending document can be checked for alone (the rest is checked once it is
        resolved with its parent)."""
        assert self.extends is not None
        if self.extends == self.action_type:
            raise located_error(
                type(self), [(("extends",), "a profile cannot extend itself", None)]
            )
        return self

    def _unknown_source(
        self, where: tuple[str | int, ...], source: str
    ) -> Iterable[tuple[tuple[str | int, ...], str, Any]]:
        if source in self.sources:
            return ()
        meant = did_you_mean(source, self.sources)
        hint = f"; did you mean `{meant}`?" if meant else ""
        return ((where, f"`{source}` is not an id of `sources`{hint}", source),)


def validate_document(document: Mapping[str, Any], pointer: str = "") -> ProfileDocument:
    """The document as a ProfileDocument, or ProfileDefinitionError naming every problem."""
    try:
        return ProfileDocument.model_validate(document)
    except ValidationError as error:
        raise ProfileDefinitionError.of(located_problems(error, pointer)) from None


def stored_form(document: ProfileDocument) -> dict[str, Any]:
    """The document as JSON, with exactly the keys it was given (what a revision stores)."""
    return document.model_dump(mode="json", by_alias=True, exclude_unset=True)

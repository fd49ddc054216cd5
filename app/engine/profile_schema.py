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
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.conditions import OPERATOR_NAMES, parse_operator, suggest_operator
from app.engine.placeholders import parse_template
from app.engine.strict_model import StrictModel, did_you_mean, located_problems

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
Evidence = Literal["V", "P", "D", "I"]
VariableType = Literal["PLAINTEXT", "SECRETS_MANAGER"]
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
            raise _located(type(self), [((k,), "must not be null", None) for k in nulls])
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
            raise _located(
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
            raise _located(type(self), problems)
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


class ProfileDocument(StrictModel):
    """A permission profile: how the service role's permissions for one action type follow
    from the action's configuration, and where each statement comes from."""

    action_type: ProfileActionType
    title: Annotated[Text, StringConstraints(max_length=TITLE_MAX)]
    supported_since: IsoDate | None = Field(
        description="when CodePipeline added the action type; null only when no source dates it"
    )
    effective_date: IsoDate = Field(description="the date of the documentation it follows")
    sources: dict[SourceId, ProfileCitation] = Field(
        min_length=1, description="every citation of the profile, by id"
    )
    notes: list[Text] = Field(default_factory=list)
    pitfalls: list[ProfilePitfall] = Field(default_factory=list)
    statements: list[ProfileStatement]

    @model_validator(mode="after")
    def _consistent(self) -> ProfileDocument:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        seen: set[str] = set()
        for i, statement in enumerate(self.statements):
            if statement.id in seen:
                problems.append(
                    (("statements", i, "id"), f"statement id `{statement.id}` is used twice", None)
                )
            seen.add(statement.id)
            problems.extend(self._unknown_source(("statements", i, "source"), statement.source))
        for i, pitfall in enumerate(self.pitfalls):
            if pitfall.source is not None:
                problems.extend(self._unknown_source(("pitfalls", i, "source"), pitfall.source))
        if problems:
            raise _located(type(self), problems)
        return self

    def _unknown_source(
        self, where: tuple[str | int, ...], source: str
    ) -> Iterable[tuple[tuple[str | int, ...], str, Any]]:
        if source in self.sources:
            return ()
        meant = did_you_mean(source, self.sources)
        hint = f"; did you mean `{meant}`?" if meant else ""
        return ((where, f"`{source}` is not an id of `sources`{hint}", source),)


def _located(
    model: type[StrictModel], problems: Iterable[tuple[tuple[str | int, ...], str, Any]]
) -> ValidationError:
    """Problems found across a model's fields, each at its own place in the document."""
    return ValidationError.from_exception_data(
        model.__name__,
        [
            InitErrorDetails(type=PydanticCustomError("profile", message), loc=where, input=value)
            for where, message, value in problems
        ],
    )


def validate_document(document: Mapping[str, Any], pointer: str = "") -> ProfileDocument:
    """The document as a ProfileDocument, or ProfileDefinitionError naming every problem."""
    try:
        return ProfileDocument.model_validate(document)
    except ValidationError as error:
        raise ProfileDefinitionError.of(located_problems(error, pointer)) from None


def stored_form(document: ProfileDocument) -> dict[str, Any]:
    """The document as JSON, with exactly the keys it was given (what a revision stores)."""
    return document.model_dump(mode="json", by_alias=True, exclude_unset=True)

"""Fields of a get-pipeline document that CodePipeline does not have.

A misspelt field is ignored like any other unknown one, and only its consequence showed: a
`configuraton` left the action without configuration, so its statements fell back to `*`. A
field near a known one is named as a likely typo; any other unknown field is named as ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join

# The fields of the CodePipeline API's declarations (PipelineDeclaration, StageDeclaration,
# ActionDeclaration), as get-pipeline returns them and create-pipeline takes them.
PIPELINE_FIELDS = frozenset(
    {
        "name",
        "roleArn",
        "artifactStore",
        "artifactStores",
        "stages",
        "version",
        "executionMode",
        "pipelineType",
        "variables",
        "triggers",
        "metadata",  # beside the pipeline's own fields when the document is not wrapped
    }
)
STAGE_FIELDS = frozenset({"name", "blockers", "actions", "onFailure", "onSuccess", "beforeEntry"})
ACTION_FIELDS = frozenset(
    {
        "name",
        "actionTypeId",
        "runOrder",
        "configuration",
        "outputArtifacts",
        "inputArtifacts",
        "roleArn",
        "region",
        "namespace",
        "timeoutInMinutes",
        "environmentVariables",
        "commands",
        "outputVariables",
    }
)

# Stage conditions (BeforeEntryConditions, SuccessConditions, FailureConditions, Condition,
# RuleDeclaration, RuleTypeId).
STAGE_CONDITIONS_FIELDS = {
    "beforeEntry": frozenset({"conditions"}),
    "onSuccess": frozenset({"conditions"}),
    "onFailure": frozenset({"result", "retryConfiguration", "conditions"}),
}
CONDITION_FIELDS = frozenset({"result", "rules"})
RULE_FIELDS = frozenset(
    {
        "name",
        "ruleTypeId",
        "configuration",
        "commands",
        "inputArtifacts",
        "roleArn",
        "region",
        "timeoutInMinutes",
    }
)
RULE_TYPE_FIELDS = frozenset({"category", "owner", "provider", "version"})


def unknown_field_findings(
    body: Mapping[str, Any], known: frozenset[str], what: str, pointer: str
) -> Iterable[Finding]:
    for key in body:
        if not isinstance(key, str) or key in known:
            continue
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
        meant = f"; did you mean `{near[0]}`? It was ignored" if near else "; it was ignored"
        yield Finding(
            code="UNKNOWN_FIELD",
            # Near a known field it is most likely a typo, whose field is then missing.
            finding_type=FindingType.WARNING if near else FindingType.SUGGESTION,
            message=f"`{key}` is not a field of a CodePipeline {what}{meant}",
            path=pointer_join(pointer, key),
            detail={"field": key, "did_you_mean": near[0]} if near else {"field": key},
        )

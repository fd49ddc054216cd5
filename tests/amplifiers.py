"""Small inputs that ask for a great deal of work, as families of growing size: template
references that fan out, functions nested in functions, comprehensions nested in
comprehensions, wildcard-heavy policy statements whose pairwise containment is costly, a long
name against a long wildcard pattern, a boundary of many wildcard patterns, organisation levels
of many statements. The unit, API and hostile (real server) tests use the same generators."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.unit.engine.companions.scenario import action


def fan_out_template(levels: int, fan: int = 4) -> str:
    """Bucket i's name joins `fan` references to bucket i-1; the artifact store names the last:
    the name is fan**levels times the first one's, from a template of a few hundred bytes per
    level."""
    resources: dict[str, object] = {
        "B0": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "abcdefgh"}}
    }
    for i in range(1, levels + 1):
        resources[f"B{i}"] = {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": {"Fn::Join": ["", [{"Ref": f"B{i - 1}"}] * fan]}},
        }
    resources["P"] = {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {
            "RoleArn": "arn:aws:iam::111122223333:role/r",
            "ArtifactStore": {"Type": "S3", "Location": {"Ref": f"B{levels}"}},
            "Stages": [
                {
                    "Name": "Source",
                    "Actions": [
                        {
                            "Name": "S",
                            "ActionTypeId": {
                                "Category": "Source",
                                "Owner": "AWS",
                                "Provider": "S3",
                                "Version": "1",
                            },
                            "Configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
                            "OutputArtifacts": [{"Name": "o"}],
                        }
                    ],
                }
            ],
        },
    }
    return json.dumps({"Resources": resources})


TERRAFORM = """resource "aws_codepipeline" "p" {
  name     = "p"
  role_arn = "arn:aws:iam::111122223333:role/r"
  artifact_store {
    location = %(location)s
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "S"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["o"]
      configuration = {
        S3Bucket    = "b"
        S3ObjectKey = "k"
      }
    }
  }
}
%(extra)s"""


def nested_replace(depth: int) -> str:
    """`replace` of `replace` of ...: each level makes every `a` eight."""
    expression = '"abcdefgh"'
    for _ in range(depth):
        expression = f'replace({expression}, "a", "aaaaaaaa")'
    return TERRAFORM % {"location": expression, "extra": ""}


def nested_for(depth: int, items: int = 1_000) -> str:
    """`for` over a list of `items`, nested `depth` deep: items**depth values."""
    inner = "v0"
    for k in range(1, depth):
        inner = f"[for v{k} in local.l : {inner}]"
    body = f"[for v0 in local.l : {inner}]" if depth > 1 else "[for v0 in local.l : v0]"
    numbers = ", ".join(str(i) for i in range(items))
    extra = f"locals {{\n  l = [{numbers}]\n  m = {body}\n}}\n"
    return TERRAFORM % {"location": 'length(local.m) > 0 ? "b" : "c"', "extra": extra}


def _pattern(rng: random.Random, prefix: str, pieces: tuple[str, ...], length: int) -> str:
    return prefix + "".join(rng.choice(pieces) for _ in range(length))


_GLOB_PIECES = ("*a", "?b", "*", "a", "b", "?")


def glob_resources(count: int, seed: int = 0) -> list[str]:
    """S3 ARN patterns like `arn:aws:s3:::*a?b*a…`, whose containment in one another takes
    the automaton search to its cap."""
    rng = random.Random(seed)
    return [_pattern(rng, "arn:aws:s3:::", _GLOB_PIECES, 12) for _ in range(count)]


def glob_actions(count: int, seed: int = 0) -> list[str]:
    """S3 action patterns of the same kind."""
    rng = random.Random(seed)
    return [_pattern(rng, "s3:", (*_GLOB_PIECES, "g", "e", "t"), 10) for _ in range(count)]


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def glob_diff_request(statements: int, resources: int) -> dict[str, Any]:
    """A diff of `statements` wildcard-heavy statements against a required policy of
    `resources` wildcard-heavy resources: every requirement is a costly containment."""
    current = policy(
        *(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": glob_resources(8, seed=i)}
            for i in range(statements)
        )
    )
    required = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": glob_resources(resources, 99)}
    )
    return {"current": {"documents": [current]}, "required": {"policy": required}}


def redundancy_policy(statements: int, actions: int = 6) -> dict[str, Any]:
    """Statements of wildcard-heavy actions: the redundancy check compares them pairwise."""
    return policy(
        *(
            {"Effect": "Allow", "Action": glob_actions(actions, seed=i), "Resource": "*"}
            for i in range(statements)
        )
    )


def explained_evaluation(statements: int, requests: int) -> dict[str, Any]:
    """`requests` evaluated with explanations against `statements` conditioned statements: each
    answer lists why every statement did not apply."""
    document = policy(
        *(
            {
                "Effect": "Allow",
                "Action": f"s3:Get{i}*",
                "Resource": f"arn:aws:s3:::bucket-{i}/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"team-{i}"}},
            }
            for i in range(statements)
        )
    )
    return {
        "policy": {"documents": [document]},
        "requests": [
            {"action": "s3:GetObject", "resource": f"arn:aws:s3:::bucket-{i % 7}/key"}
            for i in range(requests)
        ],
        "explain": True,
    }


def wildcard_condition_evaluation(
    requests: int, keys: int = 30, patterns: int = 1000
) -> dict[str, Any]:
    """`requests` evaluated against one statement whose condition tests `keys` tags, each against
    `patterns` wildcard patterns that scan a 1,001-character value to its end and fail: each
    (pattern, value) pair is a long match."""
    document = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    f"aws:PrincipalTag/k{j}": [f"*a*b*{i}*" for i in range(patterns)]
                    for j in range(keys)
                }
            },
        }
    )
    context = {f"aws:PrincipalTag/k{j}": "a" * 1000 + "b" for j in range(keys)}
    return {
        "policy": {"documents": [document]},
        "explain": False,
        "requests": [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": context}]
        * requests,
    }


ALLOW_ALL = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
ACCOUNT = "111122223333"


def codebuild_pipeline(project: str, builds: int = 1, role: str = "") -> dict[str, Any]:
    """A get-pipeline document: a CodeCommit source, then `builds` CodeBuild actions building
    `project` (numbered from the second on), each as the role `role` numbered, when given."""
    source = action(
        "src", "Source", "CodeCommit", {"RepositoryName": "r", "BranchName": "m"}, outputs=["src"]
    )
    builds_of = [
        action(
            f"Build{i}",
            "Build",
            "CodeBuild",
            {"ProjectName": project + (str(i) if i else "")},
            inputs=["src"],
            role=f"{role}{i}" if role else None,
        )
        for i in range(builds)
    ]
    return {
        "pipeline": {
            "name": "web",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/web",
            "artifactStore": {"type": "S3", "location": f"codepipeline-eu-west-2-{ACCOUNT}"},
            "stages": [
                {"name": "Source", "actions": [source]},
                {"name": "Build", "actions": builds_of},
            ],
        }
    }


def long_name_against_long_deny(name_length: int, layer: str = "identity") -> dict[str, Any]:
    """A diff of a pipeline building a project named with `name_length` `a`s against a policy
    (`layer` "identity") or a permissions boundary (`layer` "boundary") that denies StartBuild
    on the projects matching `*a*a…*aZ`, twice as long: no name it builds ends in Z, and seeing
    that the name and the pattern meet nowhere is work growing with both their lengths."""
    deny = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "codebuild:StartBuild",
            "Resource": f"arn:aws:codebuild:*:{ACCOUNT}:project/" + "*a" * name_length + "Z",
        },
    )
    current: dict[str, Any] = {"documents": [deny]}
    if layer == "boundary":
        current = {"documents": [ALLOW_ALL], "authorization": {"permissions_boundary": deny}}
    return {
        "current": current,
        "required": {"pipelines": [codebuild_pipeline("a" * name_length)]},
    }


def wildcard_boundary(patterns: int) -> dict[str, Any]:
    """A diff whose permissions boundary allows everything on `patterns` wildcard ARN patterns
    (`arn:aws:*:*:*:*17*a*b*c*`): every wildcard resource the pipeline needs is searched for
    against all of them at once, each state of the search stepping every pattern."""
    boundary = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": [f"arn:aws:*:*:*:*{i}*a*b*c*" for i in range(patterns)],
        }
    )
    return {
        "current": {"documents": [ALLOW_ALL], "authorization": {"permissions_boundary": boundary}},
        "required": {"pipelines": [codebuild_pipeline("build")]},
    }


def scp_levels(levels: int, statements: int, builds: int = 1) -> dict[str, Any]:
    """A diff under `levels` levels of service control policies, each allowing everything and
    denying `statements` actions nobody asks for, of a pipeline whose `builds` CodeBuild actions
    each run as a role of their own: the will-run check weighs every statement of every level
    for each permission each role needs."""
    level = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        *({"Effect": "Deny", "Action": f"ec2:Foo{i}", "Resource": "*"} for i in range(statements)),
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/build"
    return {
        "current": {
            "documents": [ALLOW_ALL],
            "authorization": {
                "accounts": {ACCOUNT: {"scp_levels": [[level] for _ in range(levels)]}},
                "action_roles": [
                    {"role_arn": f"{role}{i}", "documents": [ALLOW_ALL]} for i in range(builds)
                ],
            },
        },
        "required": {"pipelines": [codebuild_pipeline("build", builds, role)]},
    }

"""The service roles pipelines name: what a policy snippet is attached to.

A role is known by its name (the last segment of an IAM role ARN) or by the template resource
that declares it (the pipeline came from that template), or both; where neither is known (an ARN
left partly unresolved, a role name assigned at creation outside the template), it is unknown and
a snippet asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.iam.patterns.arn import split_arn
from app.engine.pipeline.model import Pipeline, TemplateResource

# IAM role names: up to 64 of these characters (IAM API reference, CreateRole, RoleName). The
# segment after the last `/` of `role/<path>/` is the name; anything else there (a `*` left by
# an unresolved template value, a `#{variable}`) leaves the name unknown.
# The partition and account do not matter: a policy is attached to a role of its own account.
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


@dataclass(frozen=True)
class ServiceRole:
    """One service role, and the pipelines that use it."""

    name: str | None
    resource: TemplateResource | None
    pipelines: tuple[str, ...]

    @property
    def known(self) -> bool:
        return self.name is not None or self.resource is not None


def role_name(arn: str) -> str | None:
    """The role name an IAM role ARN ends with, or None when the ARN does not determine it."""
    parsed = split_arn(arn)
    if parsed is None or parsed.service != "iam" or parsed.region:
        return None
    path, _, name = parsed.resource.removeprefix("role/").rpartition("/")
    if not parsed.resource.startswith("role/") or "*" in path or "?" in path:
        return None
    return name if _ROLE_NAME.fullmatch(name) else None


def service_roles(pipelines: Sequence[Pipeline]) -> tuple[ServiceRole, ...]:
    """The distinct service roles of `pipelines`, in the order first named."""
    users: dict[tuple[str | None, TemplateResource | None], list[str]] = {}
    for pipeline in pipelines:
        key = (role_name(pipeline.role_arn), pipeline.role_resource)
        named = users.setdefault(key, [])
        if pipeline.name not in named:
            named.append(pipeline.name)
    return tuple(
        ServiceRole(name, resource, tuple(names)) for (name, resource), names in users.items()
    )

"""Values written into Terraform text: quoted strings, `jsonencode` arguments and resource
names, with Terraform's template sequences kept literal."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TERRAFORM_NAME = re.compile(r"[^a-z0-9_]+")


def hcl_string(text: str) -> str:
    """A quoted HCL string: JSON's escapes, and Terraform's template sequences (`${`, `%{`)
    doubled so IAM policy variables stay literal."""
    return hcl_template_safe(json.dumps(text, ensure_ascii=False))


def hcl_template_safe(text: str) -> str:
    return text.replace("${", "$${").replace("%{", "%%{")


def hcl_document(document: Mapping[str, Any]) -> str:
    """A policy document as the argument of `jsonencode(...)` in a resource block's body."""
    body = hcl_template_safe(json.dumps(dict(document), indent=2, ensure_ascii=False))
    return body.replace("\n", "\n  ")


def terraform_name(text: str) -> str:
    slug = _TERRAFORM_NAME.sub("_", text.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"r_{slug}"

"""Compute's answer as evaluate's authorization context: a role's session as the caller, and
the companion documents as the resource policies, by the ARN of the resource each is on."""

from __future__ import annotations

from typing import Any


def session(role: str) -> dict[str, str]:
    """A session of the role, as evaluate's `principal`."""
    name, account = role.rsplit("/", 1)[-1], role.split(":")[4]
    return {"arn": f"arn:aws:sts::{account}:assumed-role/{name}/run", "type": "assumed_role"}


def resource_policies(computed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Compute's companion documents by the ARN of their resource (a bucket's by its ARN)."""
    out = {}
    for d in computed["companions"]["documents"]:
        arn = f"arn:aws:s3:::{d['target']}" if d["kind"] == "bucket-policy" else d["target"]
        out[arn] = d["policy"]
    return out

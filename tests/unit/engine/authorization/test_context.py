"""The caller as the layers read it: the role a session ARN names, whatever the ARN holds."""

from __future__ import annotations

import pytest

from app.engine.authorization import Principal
from app.engine.authorization.context import PrincipalKind

A = "111111111111"
SESSION_ROLES: list[tuple[str, PrincipalKind, str]] = [
    (f"arn:aws:sts::{A}:assumed-role/R/s", "assumed_role", f"arn:aws:iam::{A}:role/R"),
    (f"arn:aws-cn:sts::{A}:assumed-role/R/s", "assumed_role", f"arn:aws-cn:iam::{A}:role/R"),
    (f"arn:aws:iam::{A}:role/path/R", "role", f"arn:aws:iam::{A}:role/path/R"),
    (f"arn:aws:iam::{A}:user/u", "user", ""),
    # A session ARN that names no role names no role: no exception, no made-up role.
    ("x", "assumed_role", ""),
    ("", "assumed_role", ""),
    (f"arn:aws:sts::{A}:assumed-role", "assumed_role", ""),
    (f"arn:aws:sts::{A}:assumed-role/R", "assumed_role", ""),
    (f"arn:aws:sts::{A}:assumed-role//s", "assumed_role", ""),
    (f"arn:aws:sts::{A}:federated-user/R/s", "assumed_role", ""),
    (f"arn:aws:sts::{A}", "assumed_role", ""),
]


@pytest.mark.parametrize(("arn", "kind", "role"), SESSION_ROLES)
def test_the_role_of_a_session(arn: str, kind: PrincipalKind, role: str) -> None:
    principal = Principal(arn, kind)
    assert principal.session_role_arn == role
    assert principal.is_service_linked_role is False


def test_a_session_given_its_role_keeps_the_role_s_path() -> None:
    role = f"arn:aws:iam::{A}:role/service-role/R"
    assert Principal("x", "assumed_role", role_arn=role).session_role_arn == role

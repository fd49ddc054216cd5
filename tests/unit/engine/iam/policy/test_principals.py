"""When one statement's Principal names every principal another's names."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.iam.policy.principals import names_all_of, principal_element

ROOT_A = "arn:aws:iam::111111111111:root"
ROLE_A = "arn:aws:iam::111111111111:role/x"
ROOT_B = "arn:aws:iam::222222222222:root"
CODEPIPELINE = "codepipeline.amazonaws.com"


def _p(value: Any, key: str = "Principal") -> dict[str, Any]:
    return {key: value}


@pytest.mark.parametrize(
    ("outer", "inner", "covers"),
    [
        pytest.param(_p({"AWS": ROOT_A}), _p({"AWS": ROOT_A}), True, id="same"),
        pytest.param(_p({"AWS": ROOT_A}), _p({"AWS": [ROOT_A]}), True, id="string-or-list"),
        pytest.param(_p({"AWS": [ROOT_A, ROOT_B]}), _p({"AWS": ROOT_B}), True, id="one-of-them"),
        pytest.param(_p({"AWS": ROOT_A}), _p({"AWS": [ROLE_A, ROOT_B]}), False, id="root-not-role"),
        pytest.param(_p({"AWS": ROOT_A}), _p({"AWS": ROLE_A}), False, id="root-delegates"),
        pytest.param(_p({"AWS": "111111111111"}), _p({"AWS": ROOT_A}), False, id="literal"),
        pytest.param(_p("*"), _p({"AWS": ROLE_A, "Service": CODEPIPELINE}), True, id="star"),
        pytest.param(_p({"AWS": "*"}), _p({"AWS": [ROLE_A, ROOT_B]}), True, id="aws-star"),
        pytest.param(_p({"AWS": "*"}), _p({"Service": CODEPIPELINE}), False, id="aws-star-svc"),
        pytest.param(_p({"AWS": ROLE_A}), _p("*"), False, id="not-everyone"),
        pytest.param(_p({"AWS": ROLE_A}), _p({"Service": ROLE_A}), False, id="other-type"),
        pytest.param(_p("*"), _p({"AWS": ROLE_A}, "NotPrincipal"), True, id="star-not"),
        pytest.param(
            _p({"AWS": [ROLE_A, ROOT_A]}, "NotPrincipal"),
            _p({"AWS": [ROOT_A, ROLE_A]}, "NotPrincipal"),
            True,
            id="same-not",
        ),
        pytest.param(
            _p({"AWS": ROLE_A}, "NotPrincipal"),
            _p({"AWS": [ROLE_A, ROOT_A]}, "NotPrincipal"),
            False,
            id="other-not",
        ),
        pytest.param(_p({"AWS": ROLE_A}, "NotPrincipal"), _p({"AWS": ROOT_B}), False, id="not"),
        pytest.param({}, {}, True, id="identity-policy"),
        pytest.param(_p("*"), {}, False, id="one-absent"),
        pytest.param({}, _p({"AWS": ROLE_A}), False, id="other-absent"),
    ],
)
def test_names_all_of(outer: dict[str, Any], inner: dict[str, Any], covers: bool) -> None:
    assert names_all_of(principal_element(outer), principal_element(inner)) is covers

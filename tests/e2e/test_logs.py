"""What a real server writes to its log at info level: an access line per request, with its
request id, and never an API key or a request body (policy, pipeline, error input)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from ..documents import pipeline
from ..servers import cli_key, prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`


def test_info_logs_name_requests_but_not_keys_or_bodies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    prepare_database(url)
    key = cli_key(url, "write", "log-check")
    marker = f"secret{uuid.uuid4().hex}"
    log = tmp_path / "server.log"
    with running_server(url, log, LOG_LEVEL="info") as server:
        auth = {"Authorization": f"Bearer {key}", "x-request-id": "log-check-1"}
        calls = [
            ("/v1/policies/compute", {"pipelines": [pipeline(name=f"pipe-{marker}")]}),
            (
                "/v1/policies/validate",
                {
                    "policy": {
                        "documents": [
                            {
                                "Version": "2012-10-17",
                                "Statement": [{"Sid": marker, "Effect": "Allow", "Action": "s3:*"}],
                            }
                        ]
                    }
                },
            ),
            ("/v1/policies/compute", {"pipelines": [{"not": marker}]}),  # 422
            ("/v1/profiles", {"action_type": marker}),  # the key is checked, then a 422
        ]
        statuses = [
            httpx.post(server.base + path, json=body, headers=auth, timeout=30).status_code
            for path, body in calls
        ]
        broken = httpx.post(
            server.base + "/v1/policies/validate",
            content=b'{"policy": ' + marker.encode() + b"}",
            headers={**auth, "content-type": "application/json"},
            timeout=30,
        )
    assert statuses[:3] == [200, 200, 422]
    assert statuses[3] in (400, 422)
    assert broken.status_code == 422
    text = log.read_text()
    access = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    routes = [entry.get("route") for entry in access]
    assert routes.count("/v1/policies/compute") == 2
    assert "log-check-1" in text  # requests are traceable by their id
    assert key not in text
    assert key.split("_")[-1] not in text  # not even the secret part
    assert marker not in text

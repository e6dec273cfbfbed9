"""The MAX simulator without MAX's schema (an installed sandbox has no ``shared/specs``):
it serves the operations it knows, keeps its own rules, reports no error and never needs
PyYAML. Run in a subprocess: the schema's presence is decided once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys, urllib.error, urllib.request
from simulators.max import FakeMax, spec

fake = FakeMax()
url = fake.start()

def call(verb, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path, data=data, method=verb,
        headers={"Authorization": fake.token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code

result = {
    "available": spec.available(),
    "me": call("GET", "/me"),
    "send": call("POST", f"/messages?chat_id={fake.channel_id}", {"text": "Привет"}),
    "too_long": call("POST", f"/messages?chat_id={fake.channel_id}", {"text": "я" * 4001}),
    "unknown_path": call("GET", "/nowhere"),
    "channel": [m["text"] for m in fake.channel_messages()],
    "violations": fake.violations,
    "internal_errors": fake.internal_errors,
    "yaml": "yaml" in sys.modules,
}
fake.stop()
print(json.dumps(result))
"""


def test_max_simulator_runs_without_the_schema(tmp_path: Path) -> None:
    env = {**os.environ, "GLASHATAI_MAX_SPEC": str(tmp_path / "absent.yaml")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["available"] is False
    assert (result["me"], result["send"]) == (200, 200)
    assert result["too_long"] == 400, "the fake's own rule on a text's length still holds"
    assert result["unknown_path"] == 404
    assert result["channel"] == ["Привет"]
    assert result["internal_errors"] == []
    assert result["yaml"] is False
    assert "Traceback" not in done.stderr

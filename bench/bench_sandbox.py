"""``glashatai sandbox``: from the process's start to its page answering 200, and its stop.

Each round starts a real ``glashatai sandbox --port 0`` with an empty HOME (a fresh machine:
the folder, the database and its migrations are made on the way) and once more on the
folder the previous round left (a restart), reads the address it prints, and times until
``GET /sandbox`` answers 200; then sends SIGINT and times until the process has exited
(its exit code and whether stderr holds a traceback are reported). For comparison in the
same run: the bare import of the application (``import bots.app``), which is most of the
start.

Run: python -m bench.bench_sandbox [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

GLASHATAI = str(Path(sys.executable).parent / "glashatai")
GOAL = 10.0


def empty_home(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GLASHATAI_") and k != "XDG_DATA_HOME"
    }
    env["HOME"] = str(home)
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def one(home: Path) -> dict[str, float | int | bool]:
    """Start, wait for the page's 200, SIGINT, wait for the exit; the times in seconds."""
    began = time.monotonic()
    proc = subprocess.Popen(
        [GLASHATAI, "sandbox", "--port", "0"],
        cwd=home,
        env=empty_home(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    url = ""
    while not url:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox ended: {proc.stderr.read()}")
        url = next((w for w in line.split() if w.startswith("http://")), "")
    while not answers(url):
        time.sleep(0.02)
    ready = time.monotonic() - began
    proc.send_signal(signal.SIGINT)
    asked = time.monotonic()
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - asked
    return {
        "ready": ready,
        "stop": stopped,
        "code": proc.returncode,
        "clean": "Traceback" not in err and "Task was destroyed" not in err,
    }


def import_time() -> float:
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", "import bots.app"], check=True)
    return time.monotonic() - began


def summary(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.2f} s, "
        f"min {min(values):.2f}, max {max(values):.2f} (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fresh: list[dict[str, float | int | bool]] = []
    again: list[dict[str, float | int | bool]] = []
    imports: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        for n in range(args.rounds):
            home = Path(tmp) / f"home{n}"
            home.mkdir()
            fresh.append(one(home))
            again.append(one(home))
            imports.append(import_time())
            print(f"round {n + 1}: fresh {fresh[-1]} / restart {again[-1]}", flush=True)
    print(summary("start to 200, empty HOME", [float(r["ready"]) for r in fresh]))
    print(summary("start to 200, existing folder", [float(r["ready"]) for r in again]))
    print(summary("SIGINT to exit", [float(r["stop"]) for r in fresh + again]))
    print(summary("import bots.app alone", imports))
    runs = fresh + again
    print(
        f"exit codes {sorted({int(r['code']) for r in runs})}; "
        f"clean stderr in {sum(bool(r['clean']) for r in runs)}/{len(runs)}; "
        f"goal < {GOAL:.0f} s met in {sum(float(r['ready']) < GOAL for r in runs)}/{len(runs)}"
    )


if __name__ == "__main__":
    main()

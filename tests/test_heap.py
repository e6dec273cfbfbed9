"""The start-up heap set aside: full collections no longer walk it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# In a process of its own: a frozen heap is never collected, which this test process
# (many apps, one after another) must not inherit.
PROBE = """
import asyncio, gc, time
import bots.app, web.server
from bots import heap

def full() -> float:
    began = time.perf_counter()
    gc.collect()
    return time.perf_counter() - began

before = min(full() for _ in range(3))
asyncio.run(heap.settle())
after = min(full() for _ in range(3))
print(gc.get_freeze_count(), before, after)
"""


def python(code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter in the repository."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_settle_freezes_what_start_up_made_and_full_collections_walk_less() -> None:
    frozen, before, after = python(PROBE).split()
    assert int(frozen) > 50_000  # the app's modules and what they made at import
    # Walking ~0 objects instead of all of them: an order of magnitude at the very least.
    assert float(after) * 10 < float(before)


def test_objects_made_after_settling_are_still_collected() -> None:
    probe = (
        "import asyncio, gc\nfrom bots import heap\nasyncio.run(heap.settle())\n"
        "class Cycle:\n    pass\n"
        "a = Cycle(); a.me = a\nimport weakref\nr = weakref.ref(a)\ndel a\n"
        "gc.collect()\nprint(r() is None)\n"
    )
    assert python(probe).strip() == "True"

"""The sandbox's refusals the CLI turns into one line."""

from __future__ import annotations

from pathlib import Path

from shared.storage.instance import AlreadyRunning


class SandboxRunning(AlreadyRunning):
    """Another ``glashatai sandbox`` holds this folder (its instance lock)."""

    def __init__(self, folder: Path, holder: str) -> None:
        super().__init__(holder)
        self.folder = folder

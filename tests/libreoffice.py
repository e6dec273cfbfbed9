"""Word files opened by LibreOffice: converted to PDF, so a test reads what a printer gets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")

needs_libreoffice = pytest.mark.skipif(OFFICE is None, reason="LibreOffice (soffice) not installed")


def to_pdf(data: bytes, name: str, tmp_path: Path) -> bytes:
    """``data`` saved as ``name``.docx and converted headless, with a profile of its own."""
    assert OFFICE is not None
    source = tmp_path / f"{name}.docx"
    source.write_bytes(data)
    done = subprocess.run(
        [
            OFFICE,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return (tmp_path / f"{name}.pdf").read_bytes()


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """Every page's size in points, rounded (A4 is 595 x 842; Letter would be 612 x 792)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes
    return [(round(float(width)), round(float(height))) for width, height in boxes]

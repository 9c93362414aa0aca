"""The built wheel holds the whole product: pyproject maps its packages by hand
(ingest/ → vidensbank.ingest, …), and a missed subpackage only shows on a fresh install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# source folder → the package it is installed as (pyproject's [tool.setuptools.package-dir])
SOURCES = {
    "vidensbank": "vidensbank",
    "ingest": "vidensbank/ingest",
    "search": "vidensbank/search",
    "api": "vidensbank/api",
    "web": "vidensbank/web",
}
DATA_SUFFIXES = {".html", ".css", ".js", ".svg", ".png", ".ico", ".json", ".toml", ".txt"}


def _expected_files() -> set[str]:
    """Every module and every data file of the source tree, named as inside the wheel."""
    expected: set[str] = set()
    for source, installed in SOURCES.items():
        for path in (ROOT / source).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in DATA_SUFFIXES:
                expected.add(f"{installed}/{path.relative_to(ROOT / source).as_posix()}")
    return expected


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--wheel-dir", str(out), str(ROOT)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("vidensbank-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_contains_every_module_template_and_static_file(wheel_names: set[str]) -> None:
    missing = sorted(_expected_files() - wheel_names)
    assert not missing, f"not in the wheel (add them to pyproject.toml): {missing}"


def test_wheel_contains_templates_and_static_assets(wheel_names: set[str]) -> None:
    """Guards the expectation itself: the page's own files are among those checked."""
    assert any(n.startswith("vidensbank/web/templates/") for n in wheel_names)
    assert any(n.startswith("vidensbank/web/static/") for n in wheel_names)
    assert "vidensbank/cli.py" in wheel_names

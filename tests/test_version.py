"""The version is written once, in pyproject.toml, and read from the package metadata."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import vidensbank
from vidensbank.settings import load_settings


def test_the_version_comes_from_the_package_metadata() -> None:
    assert vidensbank.__version__ == importlib.metadata.version("vidensbank")


def test_the_cli_and_the_user_agent_report_it() -> None:
    exe = Path(sys.executable).with_name("vidensbank")
    shown = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == f"vidensbank {vidensbank.__version__}"
    assert load_settings().user_agent.startswith(f"Vidensbank/{vidensbank.__version__} ")

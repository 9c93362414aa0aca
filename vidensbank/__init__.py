"""Vidensbank: Danish semantic search over the almene housing sector's publications."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vidensbank")  # single source: [project] version in pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed (pip install -e .)
    __version__ = "0+unknown"

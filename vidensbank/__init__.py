"""Vidensbank: Danish semantic search over the almene housing sector's publications."""

__version__ = "0.1.0"

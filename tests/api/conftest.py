"""Fixtures for the HTTP API tests: one read-only app over the session's seed snapshot,
and writable copies of its data dir for upload/delete/hot-swap tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.seeddata import seed_copy
from vidensbank.api.app import create_app
from vidensbank.api.holder import SnapshotHolder
from vidensbank.settings import Settings

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="session")
def read_app(seed_settings: Settings, seed_searcher) -> FastAPI:
    """The app over the seed snapshot; shares the session's loaded model. No query log:
    the shared seed store stays as ingested (query-log tests use copies of their own)."""
    holder = SnapshotHolder(seed_settings, embedder=seed_searcher.embedder)
    holder.refresh()
    return create_app(seed_settings.model_copy(update={"query_log": False}), holder=holder)


@pytest.fixture(scope="session")
def client(read_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(read_app) as test_client:
        yield test_client


@pytest.fixture
def writable(
    seed_settings: Settings, seed_searcher, tmp_path: Path
) -> Callable[..., tuple[Settings, TestClient]]:
    """Make an app over a private copy of the seed data dir (store with its embedding cache
    and snapshot), so writes never touch the session snapshot."""
    opened: list[TestClient] = []

    def make(**overrides: object) -> tuple[Settings, TestClient]:
        settings = seed_copy(
            seed_settings,
            tmp_path / f"copy-{len(opened)}",
            **{"reload_interval_s": 0.2, **overrides},
        )
        holder = SnapshotHolder(settings, embedder=seed_searcher.embedder)
        test_client = TestClient(create_app(settings, holder=holder))
        test_client.__enter__()
        opened.append(test_client)
        return settings, test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""`vidensbank search` in a terminal: results with their relevance, and an honest
"no sure answer" with the nearest topics when nothing passes the floor."""

from __future__ import annotations

import argparse

import pytest

from vidensbank.commands.search import run_search
from vidensbank.search.types import Mode


def _args(query: str, min_relevance: float | None) -> argparse.Namespace:
    return argparse.Namespace(
        query=query,
        k=3,
        offset=0,
        mode=Mode.HYBRID,
        theme=None,
        document=None,
        organisation=None,
        year=None,
        min_relevance=min_relevance,
        json=False,
    )


def test_results_show_their_relevance(seed_settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_search(_args("grønne ambassadører", 0.0), seed_settings) == 0
    out = capsys.readouterr().out
    assert "1. Grønne ambassadører  [relevance " in out


def test_nothing_above_the_floor_names_the_nearest_topics(
    seed_settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_search(_args("grønne ambassadører", 1.0), seed_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 results for 'grønne ambassadører'")
    assert "No sure answer" in out and "  - Grønne ambassadører (" in out

"""`vidensbank search` in a terminal: results with their relevance, and an honest
"no sure answer" with the nearest topics when nothing passes the floor."""

from __future__ import annotations

import argparse
import re

import pytest

from tests.conftest import ROOT
from vidensbank.commands.search import run_search
from vidensbank.search.eval import read_queries
from vidensbank.search.types import WEAK_RELEVANCE, Mode


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


def test_piped_output_has_no_terminal_codes(seed_settings, capsys) -> None:
    """Under pytest stdout is no terminal, as in `vidensbank search … | less` or `> file`."""
    assert run_search(_args("grønne ambassadører", 0.0), seed_settings) == 0
    assert "\033" not in capsys.readouterr().out


def test_only_weak_results_are_said_to_be_weak(seed_settings, seed_searcher, capsys) -> None:
    """As on the page: a seed eval question whose best result the searcher calls weak gets
    the line, with no printed relevance above WEAK_RELEVANCE; a sure one does not."""
    questions = [q.query for q in read_queries(ROOT / "eval" / "seed-natural-heldout.jsonl")]
    weak = next(q for q in questions if seed_searcher.search(q, min_relevance=0.0).weak)
    assert run_search(_args(weak, 0.0), seed_settings) == 0
    out = capsys.readouterr().out
    assert "Only weak results" in out, out
    printed = [float(r) for r in re.findall(r"\[relevance ([0-9.]+)\]", out)]
    assert printed and all(r <= WEAK_RELEVANCE for r in printed)  # printed to two decimals
    assert run_search(_args("grønne ambassadører", 0.0), seed_settings) == 0
    assert "Only weak results" not in capsys.readouterr().out


def test_nothing_above_the_floor_names_the_nearest_topics(
    seed_settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_search(_args("grønne ambassadører", 1.0), seed_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 results for 'grønne ambassadører'")
    assert "No sure answer" in out and "  - Grønne ambassadører (" in out

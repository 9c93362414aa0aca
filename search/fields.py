"""Title and heading as a BM25 field of its own.

Every passage's body is indexed with its section path as its first line (see
:mod:`.lexical`), so a heading word weighs like any body word. This field is a second, small
BM25 (bm25s, same Danish analysis) over the distinct "document title + section path" texts,
built when a snapshot is loaded (a few thousand short strings; nothing is saved). It gives:

* lexical mode's ranking score, ``(bm25 + HEADING_WEIGHT * heading) * coverage ** 2`` (a
  simple BM25F: the heading field's BM25 is added to the body's with its own weight).

On the dev halves it raised lexical MRR@10 on LibreOffice keyword questions from 0.693 to
0.759 and on natural ones from 0.268 to 0.326 (the seed, one document, is unchanged). In
hybrid's list, or as a feature of the learned model, it helped keyword questions and hurt
natural ones, so hybrid does not use it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import bm25s
import numpy as np

from .analysis import DanishAnalyzer, QueryWord
from .catalog import Catalog
from .lexical import COVERAGE_EXPONENT, LexicalScores

HEADING_WEIGHT = 2.0  # the heading field's BM25 relative to the body's in lexical mode
# The lexical list that hybrid fuses: plain body BM25, no synonyms. Both were measured in
# hybrid (in its list and as features of the learned model) and not kept: docs/BENCHMARKS.md.
HYBRID_HEADING_WEIGHT = 0.0
HYBRID_SYNONYMS = False


def heading_text(title: str, section_path: str) -> str:
    """The field's text for a passage: the document title and its section path (the title
    once, when the path already starts with it)."""
    title, path = title.strip(), section_path.strip()
    if not path or path == title:
        return title
    if not title or path.startswith(title):
        return path
    return f"{title}\n{path}"


@dataclass(frozen=True)
class HeadingField:
    """BM25 over distinct heading texts; ``owner[row]`` is the text of passage ``row``."""

    owner: np.ndarray
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, catalog: Catalog, analyzer: DanishAnalyzer) -> HeadingField:
        texts: dict[str, int] = {}
        owner = np.zeros(len(catalog.passages), dtype=np.int64)
        for p in catalog.passages:
            text = heading_text(catalog.documents[p.document_id].title, p.section_path)
            owner[p.row] = texts.setdefault(text, len(texts))
        if not texts:
            return cls(owner, None)
        bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        bm25.index([analyzer.analyze(text) for text in texts], show_progress=False)
        return cls(owner, bm25)

    def scores(self, words: list[QueryWord]) -> np.ndarray:
        """Per passage row, the BM25 of the query's terms against its title and headings."""
        out = np.zeros(len(self.owner), dtype=np.float32)
        if self.bm25 is None:
            return out
        vocab = self.bm25.vocab_dict
        ids = list(dict.fromkeys(vocab[t] for w in words for t in w.terms if t in vocab))
        if not ids:
            return out
        per_text = np.asarray(self.bm25.get_scores_from_ids(ids), dtype=np.float32)
        return per_text[self.owner]

    def add_to(self, scores: LexicalScores, weight: float | None = None) -> LexicalScores:
        """``scores`` with the heading field's BM25 and a ranking score that adds it in
        (``weight``: default :data:`HEADING_WEIGHT`)."""
        weight = HEADING_WEIGHT if weight is None else weight
        heading = self.scores(scores.words)
        ranking = (scores.bm25 + weight * heading) * scores.coverage**COVERAGE_EXPONENT
        return dataclasses.replace(scores, heading=heading, score=ranking)

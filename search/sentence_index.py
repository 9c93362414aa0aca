"""Sentence and heading vectors: finer dense views of every passage.

A passage vector averages everything the passage says, so a question about one fact in a
long passage can miss it. Each sentence of a multi-sentence passage is embedded too, and a
passage whose best sentence is closer to the query than the passage itself is lifted halfway
towards that sentence's score. (All the way, pure max-sim, lets short keyword queries match
stray short sentences: on the 1,285 LibreOffice help queries it lowered dense MRR@10 from
0.447 to 0.419, while halfway raised it to 0.459 and hybrid Recall@5 from 0.703 to 0.727.)

The heading of a passage's section is embedded on its own as well and lifts the passage the
same way: a heading names what the whole section is about in a few words ("Klimatilpasning
og biodiversitet"), which a question, or a question in English, matches better than the
body. On the LibreOffice help queries it raised dense MRR@10 from 0.459 to 0.500.

The sentence vectors also give the "best-matching sentence" shown for hits that share no
word with the query, without embedding anything at query time."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..store import Store
from ..text import PATH_SEPARATOR, embed_sha256, split_sentences
from .dense import DenseHit, DenseIndex
from .embed.base import Embedder
from .embedding import embed_with_cache

MIN_SENTENCE_CHARS = 16  # shorter fragments ("Læs mere.", "Foto: …") say too little
SENTENCE_CANDIDATES = 3  # sentence hits fetched per passage hit wanted
SENTENCE_LIFT = 0.5  # how far a better sentence lifts its passage's score (0 = not, 1 = max-sim)


def sentences_of(text: str, heading: str = "") -> list[str]:
    """The sentences of a passage's display text that are long enough to stand alone; a
    paragraph break ends a sentence (a heading line has no full stop of its own). A line
    repeating the passage's own ``heading`` is left out: the heading has its own vector."""
    return [
        s.text
        for paragraph in text.split("\n\n")
        for s in split_sentences(paragraph)
        if len(s.text) >= MIN_SENTENCE_CHARS and s.text != heading
    ]


def heading_of(section_path: str) -> str:
    """The passage's own section heading: the last step of its section path."""
    return section_path.rsplit(PATH_SEPARATOR, 1)[-1].strip()


@dataclass
class SentenceIndex:
    """Heading and sentence vectors in passage order: ``owners[i]`` is the passage row of
    entry i, ``headings[i]`` tells a heading from a sentence."""

    dense: DenseIndex
    owners: np.ndarray
    texts: list[str]
    headings: np.ndarray

    @classmethod
    def build(
        cls,
        store: Store,
        embedder: Embedder,
        passages: Sequence[str],
        headings: Sequence[str],
        *,
        exact_limit: int = 50_000,
        batch_size: int = 32,
        progress: bool = True,
    ) -> tuple[SentenceIndex, int]:
        """Embed (through the cache) each passage's section heading and the sentences of
        every multi-sentence passage. Returns the index and how many texts had to be
        embedded now.

        No vector repeats one the passage already has: a passage of one sentence gets no
        sentence vector (it would equal the passage's), a sentence that repeats the heading
        is left to the heading's vector, and a passage that is only its heading gets no
        heading vector. A heading shared by several passages is embedded once (the cache is
        keyed by text) but stored once per passage, since rankers read each passage's own
        entries as one contiguous range."""
        owners: list[int] = []
        texts: list[str] = []
        is_heading: list[bool] = []
        for row, (text, heading) in enumerate(zip(passages, headings, strict=True)):
            sentences = sentences_of(text, heading)
            # A passage that is nothing but its heading already has that vector.
            own_heading = [heading] if heading and heading != text.strip() else []
            own_sentences = sentences if len(sentences) > 1 else []
            owners.extend([row] * (len(own_heading) + len(own_sentences)))
            texts.extend(own_heading + own_sentences)
            is_heading.extend([True] * len(own_heading) + [False] * len(own_sentences))
        hashes = [embed_sha256(t) for t in texts]
        if texts:
            vectors, embedded = embed_with_cache(
                store,
                embedder,
                texts,
                hashes,
                batch_size=batch_size,
                progress=progress,
                label="Embedding headings and sentences",
            )
        else:
            vectors, embedded = np.zeros((0, embedder.dimension), dtype=np.float32), 0
        index = cls(
            DenseIndex.build(vectors, exact_limit),
            np.asarray(owners, np.int64),
            texts,
            np.asarray(is_heading, bool),
        )
        return index, embedded

    def __len__(self) -> int:
        return len(self.texts)

    def passage_scores(self, query: np.ndarray, k: int) -> dict[int, float]:
        """Best heading or sentence score per passage row, over the ``k`` nearest entries."""
        best: dict[int, float] = {}
        for hit in self.dense.search(query, k):
            row = int(self.owners[hit.row])
            if hit.score > best.get(row, -2.0):
                best[row] = hit.score
        return best

    def best_sentence(self, row: int, query: np.ndarray) -> str | None:
        """The sentence of passage ``row`` closest to the query; None if it has none stored."""
        start, end = np.searchsorted(self.owners, [row, row + 1])
        entries = [int(i) for i in range(start, end) if not self.headings[i]]
        if not entries:
            return None
        vectors = np.stack([self.dense.reconstruct(i) for i in entries])
        return self.texts[entries[int(np.argmax(vectors @ query))]]

    def save(self, directory: Path) -> None:
        directory.mkdir()
        self.dense.save(directory / "dense.faiss")
        np.save(directory / "owners.npy", self.owners)
        np.save(directory / "headings.npy", self.headings)
        (directory / "texts.json").write_text(json.dumps(self.texts, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> SentenceIndex:
        return cls(
            DenseIndex.load(directory / "dense.faiss"),
            np.load(directory / "owners.npy"),
            json.loads((directory / "texts.json").read_text()),
            np.load(directory / "headings.npy"),
        )


def lift_by_sentences(
    passage_hits: list[DenseHit],
    sentence_best: dict[int, float],
    passage_score: Callable[[int], float],
) -> list[DenseHit]:
    """Passages scored ``p + SENTENCE_LIFT * max(0, s - p)`` from their own score ``p`` and
    their best heading's or sentence's ``s``, best first. ``passage_score`` gives ``p`` for
    a passage found only through a heading or sentence."""
    scores = {hit.row: hit.score for hit in passage_hits}
    for row, sentence in sentence_best.items():
        own = scores[row] if row in scores else passage_score(row)
        scores[row] = own + SENTENCE_LIFT * max(0.0, sentence - own)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [DenseHit(row, score) for row, score in ordered]

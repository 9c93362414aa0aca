""" "More like this" for cases: one vector per case, compared by cosine similarity.

A case's vector is the mean of the dense vectors of its passages and its sub-cases'
passages (reconstructed from the FAISS index, so nothing is embedded again); a case with
no passages of its own gets its title embedded instead. Vectors are L2-normalised, so a
dot product is the cosine. ``Catalog.case_vectors`` keeps them for the snapshot's life."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .types import DocumentRef

if TYPE_CHECKING:
    from .catalog import Catalog
    from .dense import DenseIndex
    from .embed.base import Embedder
    from .searcher import Searcher


@dataclass(frozen=True)
class CaseVectors:
    ids: list[str]
    matrix: np.ndarray  # one L2-normalised row per id
    index: dict[str, int]


@dataclass(frozen=True)
class SimilarCase:
    id: str
    title: str
    theme: str | None
    document: DocumentRef
    score: float  # cosine similarity of the two cases' vectors


def build_case_vectors(catalog: Catalog, dense: DenseIndex, embedder: Embedder) -> CaseVectors:
    rows_by_case: dict[str, list[int]] = {}
    for p in catalog.passages:
        if p.case_id:
            rows_by_case.setdefault(p.case_id, []).append(p.row)
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    untitled: list[tuple[str, str]] = []  # cases without passages: (id, title)
    for case in catalog.cases.values():
        rows = [r for c in catalog.descendants(case.id) for r in rows_by_case.get(c, [])]
        if not rows:
            untitled.append((case.id, case.title))
            continue
        ids.append(case.id)
        vectors.append(np.mean([dense.reconstruct(r) for r in rows], axis=0))
    if untitled:
        ids.extend(case_id for case_id, _ in untitled)
        vectors.extend(embedder.encode_passages([title for _, title in untitled]))
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), embedder.dimension)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return CaseVectors(ids=ids, matrix=matrix / norms, index={c: i for i, c in enumerate(ids)})


def _family(catalog: Catalog, case_id: str) -> set[str]:
    """The case's whole family tree: its top-most ancestor and everything under it (the
    case itself, its parents, its sub-cases and its sibling cases)."""
    ancestors = catalog.ancestors(case_id)
    return catalog.descendants(ancestors[-1] if ancestors else case_id) | {case_id}


def similar_cases(searcher: Searcher, case_id: str, k: int = 5) -> list[SimilarCase] | None:
    """The ``k`` cases most like ``case_id``, best first; never the case itself or a case
    of its own family tree. ``None`` if the case is unknown."""
    catalog = searcher.catalog
    if case_id not in catalog.cases:
        return None
    vectors = catalog.case_vectors(searcher.snapshot.dense, searcher.embedder)
    if case_id not in vectors.index:
        return []
    scores = vectors.matrix @ vectors.matrix[vectors.index[case_id]]
    excluded = _family(catalog, case_id)
    out: list[SimilarCase] = []
    for i in np.argsort(-scores):
        case = catalog.cases[vectors.ids[int(i)]]
        if case.id in excluded:
            continue
        out.append(
            SimilarCase(
                id=case.id,
                title=case.title,
                theme=case.theme,
                document=catalog.documents[case.document_id].ref(),
                score=round(float(scores[int(i)]), 6),
            )
        )
        if len(out) >= k:
            break
    return out

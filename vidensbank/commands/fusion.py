"""`vidensbank fusion fit FILE[@DATA_DIR]…`: refit the relevance model from eval files.

Each FILE is a dev half (span or page set); ``@DATA_DIR`` names the data folder whose
current index the file's questions are asked against (default: VIDENSBANK_DATA_DIR), so
sets over different corpora are fitted together. The held-out half beside a dev file
(``x-dev.jsonl`` -> ``x-heldout.jsonl``) is never fitted on; the command prints the figures
before (the model in force) and after (the new fit) on both halves, then writes the model.
"""

from __future__ import annotations

import argparse
import datetime
from dataclasses import asdict, dataclass
from pathlib import Path

from ..search.embed.query_cache import QueryCachingEmbedder
from ..search.eval import EvalReport, evaluate_modes, format_side_by_side, read_queries
from ..search.features import EXTRA_COLUMNS, FEATURES
from ..search.relevance import DEFAULT_MODEL, RelevanceModel
from ..search.relevance_fit import (
    LabelledQuery,
    fit_model,
    floor_curve,
    floor_figures,
    label_queries,
    reliability,
)
from ..search.searcher import Searcher, Snapshot
from ..search.snapshot import SnapshotError, current_path
from ..services import query_embedder
from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fusion", help="The learned relevance model")
    commands = parser.add_subparsers(dest="fusion_command", required=True)
    fit = commands.add_parser(
        "fit",
        help="Refit the relevance model and floor from eval dev files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("files", nargs="+", metavar="FILE[@DATA_DIR]")
    fit.add_argument(
        "--out", type=Path, default=DEFAULT_MODEL, help="where to write (default: shipped model)"
    )
    fit.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    fit.add_argument(
        "--answer-only",
        action="store_true",
        help="keep the ranking (hit and lexical models) of the model in force; refit only"
        " the answerability model and the floor",
    )
    fit.set_defaults(handler=run_fit)


@dataclass
class EvalFile:
    dev: Path
    heldout: Path | None
    snapshot: Snapshot


def _files(args: argparse.Namespace, settings: Settings) -> list[EvalFile]:
    snapshots: dict[Path, Snapshot] = {}
    out = []
    for spec in args.files:
        name, _, data = spec.partition("@")
        dev, data_dir = Path(name), Path(data) if data else settings.data_dir
        if not dev.is_file():
            raise SnapshotError(f"No eval file {dev}: give paths to eval/*-dev.jsonl files")
        if data_dir not in snapshots:
            path = current_path(data_dir / "index")
            if path is None:
                raise SnapshotError(f"No index in {data_dir}: run `vidensbank ingest` there first")
            snapshots[data_dir] = Snapshot.load(path)
        heldout = dev.with_name(dev.name.replace("-dev", "-heldout"))
        out.append(
            EvalFile(
                dev, heldout if heldout != dev and heldout.is_file() else None, snapshots[data_dir]
            )
        )
    return out


def _reports(searcher: Searcher, item: EvalFile, floor: float, tag: str) -> list[EvalReport]:
    reports = []
    for path in [item.dev, *([item.heldout] if item.heldout else [])]:
        reports.append(
            evaluate_modes(
                searcher, None, read_queries(path), floor=floor, name=f"{path.stem} {tag}"
            )
        )
    return reports


def run_fit(args: argparse.Namespace, settings: Settings) -> int:
    """Label, fit, print before (the model in force, or the convex order when it is of an
    older format) and after on both halves, then write the model unless --dry-run."""
    # every question is embedded once, however many models and halves are scored
    embedder = QueryCachingEmbedder(query_embedder(settings), size=50_000)
    old, before_model = _in_force(args)
    files = _files(args, settings)
    dev: list[LabelledQuery] = []
    heldout: list[LabelledQuery] = []
    for item in files:
        searcher = Searcher(item.snapshot, embedder, model=RelevanceModel.uniform())
        print(f"Labelling candidates of {item.dev} …", flush=True)
        dev += label_queries(searcher, read_queries(item.dev), item.dev.stem)
        if item.heldout:
            heldout += label_queries(searcher, read_queries(item.heldout), item.dev.stem)
    if args.answer_only and old is None:
        raise SnapshotError("--answer-only needs a model in force to keep the ranking of")
    new = fit_model(dev, ranking=old if args.answer_only else None)
    info = _info(files, before_model, new, dev, heldout)
    new = RelevanceModel(new.hit, new.answer, new.lexical, new.floor, info, new.gate)
    for item in files:
        if before_model is not None:
            before = _reports(
                Searcher(item.snapshot, embedder, model=before_model),
                item,
                before_model.floor,
                "before",
            )
        else:
            convex = Searcher(item.snapshot, embedder, fusion="convex", model=new)
            before = _reports(convex, item, new.floor, "convex")
        after = _reports(Searcher(item.snapshot, embedder, model=new), item, new.floor, "after")
        print(f"\n{item.dev.name}\n" + format_side_by_side([*before, *after]))
    print(_summary(info))
    if not args.dry_run:
        new.save(args.out)
        print(f"\nWrote {args.out}")
    return 0


def _in_force(
    args: argparse.Namespace,
) -> tuple[RelevanceModel | None, RelevanceModel | None]:
    """The model in force (whose ranking --answer-only keeps) and the model to print the
    "before" figures of: None when the one in force reads a feature that this version no
    longer computes (a model fitted by an older version)."""
    old = RelevanceModel.load_or_none(args.out if args.out.is_file() else DEFAULT_MODEL)
    computed = {*FEATURES, *EXTRA_COLUMNS}  # FEATURES holds the lexical ones too
    if old is None or old.features() <= computed:
        return old, old
    missing = ", ".join(sorted(old.features() - computed))
    if args.answer_only and not {*old.hit.features, *old.lexical.features} <= computed:
        raise SnapshotError(
            f"The model in force ranks with features this version does not compute ({missing});"
            " refit it without --answer-only"
        )
    print(f"The model in force reads features this version does not compute ({missing}): no")
    print("before figures (--answer-only keeps its hit and lexical models).")
    return old, None


CURVE = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def _info(files, old, new, dev, heldout) -> dict:
    figures = {"after": {"dev": floor_figures(new, dev), "heldout": floor_figures(new, heldout)}}
    if old is not None:
        figures["before"] = {"dev": floor_figures(old, dev), "heldout": floor_figures(old, heldout)}
    return {
        "fitted": datetime.date.today().isoformat(),
        # a set may be asked of several corpora: each is named with its corpus's size
        "training_sets": [
            f"{f.dev} ({len(f.snapshot.catalog.passages):,} passages)" for f in files
        ],
        "heldout_sets": [str(f.heldout) for f in files if f.heldout],
        "questions": {"dev": len(dev), "heldout": len(heldout)},
        "floor_figures": figures,
        "floor_per_corpus": _per_corpus(files, new, dev, heldout),
        "floor_curve": {
            half: [asdict(p) for p in floor_curve(new, data, sorted({*CURVE, new.floor}))]
            for half, data in (("dev", dev), ("heldout", heldout))
        },
        "reliability_heldout": _reliability_json(new, heldout or dev),
    }


def _per_corpus(files, model: RelevanceModel, dev, heldout) -> dict:
    """The new model's floor figures per corpus (named by its size): the floor keeps 95% of
    each corpus's answers, which the pooled figures do not show."""
    sizes = {f.snapshot.version: len(f.snapshot.catalog.passages) for f in files}
    return {
        f"{size:,} passages": {
            half: floor_figures(model, [d for d in data if d.corpus == version])
            for half, data in (("dev", dev), ("heldout", heldout))
        }
        for version, size in sizes.items()
    }


def _reliability_json(model: RelevanceModel, data: list[LabelledQuery]) -> list[dict]:
    table = reliability(model, data)
    return [
        {
            "bin": f"{low:.1f}-{high:.1f}",
            "hits": n,
            "predicted": round(p, 3),
            "observed": round(o, 3),
        }
        for (low, high), n, p, o in zip(
            table.bins, table.count, table.predicted, table.observed, strict=True
        )
    ]


def _summary(info: dict) -> str:
    lines = ["", "Floor (answerable first relevant hit kept / no-answer questions given nothing):"]
    lines += _floor_lines(info["floor_figures"], 7)
    lines.append("Per corpus, after:")
    lines += _floor_lines(info["floor_per_corpus"], 18)
    lines.append("Floor curve (floor: answerable kept / no-answer emptied):")
    for half, points in info["floor_curve"].items():
        cells = [
            f"{p['floor']:g}: {p['answerable_kept']:.0%}/{p['no_answer_empty']:.0%}" for p in points
        ]
        lines.append(f"  {half:<9}" + "  ".join(cells))
    lines.append("Reliability (held-out top 10; predicted vs observed precision):")
    for row in info["reliability_heldout"]:
        lines.append(
            f"  {row['bin']}  {row['hits']:>6}  {row['predicted']:.3f}  {row['observed']:.3f}"
        )
    return "\n".join(lines)


def _floor_lines(figures_by: dict, width: int) -> list[str]:
    """One line per (label, half): answerable kept and no-answer emptied."""
    return [
        f"  {label:<{width}}{half:<9}kept {_pct(figures['answerable_kept'])} of"
        f" {figures['answerable']}, nothing for {_pct(figures['no_answer_empty'])} of"
        f" {figures['no_answer']}"
        for label, halves in figures_by.items()
        for half, figures in halves.items()
    ]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"

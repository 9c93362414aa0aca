"""Check the evaluation sets in eval/ and print a summary (a script, not a timed test).

    .venv/bin/python bench/check_eval_sets.py [--help-dir DIR]

DIR is the Danish LibreOffice help text folder that bench/get-libreoffice-help-da.sh prints
(``.../help/da/text``). Without it, the checks that need the pages' titles are skipped.

Checks (any failure makes the exit status 1):

* every file parses as JSON Lines; ids are unique across all sets; no query repeats;
* every query has a known ``kind``; kind ``none`` has no relevant items, every other kind has;
* page sets: every relevant page is in eval/libreoffice-sample.txt (and in DIR);
  the Egevang set's pages are in eval/egevang/;
* span sets: every span occurs inside one paragraph of the seed publication after the
  normalisation that ``vidensbank eval`` applies (search/eval.py ``normalise``);
* each set's dev/heldout halves follow the split rule that eval/README.md states (a set
  without a dev file is held out whole), and the keyword halves together are exactly
  eval/libreoffice-dev.jsonl;
* the minimum counts per kind from issue 13;
* "paraphrase" means no shared content word: a LibreOffice paraphrase question shares no
  content word with its pages' titles (``<title>`` and ``<h1>``), a seed paraphrase question
  none with the paragraph that holds its first span, an Egevang one none with the title or
  a ``##`` heading of its pages; every LibreOffice and Egevang ``natural`` question does share
  one (else it should be marked ``paraphrase``). Content words are the analyzer's
  tokens minus its stop words (Snowball's lists) and a few question and auxiliary words that
  Snowball's Danish list lacks (``QUESTION_WORDS``). Two words count as shared when they
  share a Snowball stem, when one's stem (at least 4 letters) occurs inside the other word,
  when a 3-letter stem starts or ends the other's stem, or when they share a 4-letter prefix
  or any 5 letters in a row. That is deliberately loose: "tabel" and "tabeloverskrift" count
  as shared, so a question marked paraphrase really avoids the title's words.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vidensbank.search.analysis import fold, is_stopword, stem_terms, tokenize
from vidensbank.search.eval import normalise

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval"
SAMPLE = EVAL / "libreoffice-sample.txt"
SEED_CORPUS = ROOT / "corpus" / "vaerdiskabende-gentagelser-2023.md"
EGEVANG = EVAL / "egevang"  # the invented housing organisation's web pages
KEYWORD_ORIGINAL = EVAL / "libreoffice-dev.jsonl"

# Function words of questions that Snowball's Danish stop list does not have; they say nothing
# about the topic, so sharing them with a title does not make a question less of a paraphrase.
QUESTION_WORDS = frozenset(
    [
        "hvordan",
        "hvorfor",
        "hvornår",
        "hvem",
        "hvilken",
        "hvilket",
        "hvilke",
        "kan",
        "ved",
        "få",
        "får",
        "fik",
        "gør",
        "gøre",
        "gjort",
        "må",
        "mon",
        "bare",
        "lige",
        "blandt",
        "fx",
        "osv",
    ]
)
LO_KINDS = {"natural", "paraphrase", "english", "none"}
SEED_KINDS = {"natural", "paraphrase", "english", "none"}
# Minimum counts from issue 13 / the team's brief: (kinds counted together, minimum).
LO_MINIMUMS = [(("natural", "paraphrase"), 170), (("english",), 12), (("none",), 32)]
SEED_MINIMUMS = [(("natural", "paraphrase", "english"), 40), (("english",), 4), (("none",), 12)]


@dataclass
class EvalSet:
    """One dev/heldout pair of JSON Lines files and the rule that splits them (a set with
    no dev file is held out whole)."""

    name: str
    dev: Path | None
    heldout: Path
    split: str  # "alternate" (within each kind, by id), "sha1" (parity of sha1(id)) or "none"
    pages: bool  # relevant_pages (page set) or relevant (span set)
    kinds: set[str] | None = None
    most_pages: int = 3  # relevant pages a page question may name
    dev_rows: list[dict] = field(default_factory=list)
    heldout_rows: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> list[dict]:
        return self.dev_rows + self.heldout_rows


SETS = [
    EvalSet(
        "libreoffice-natural",
        EVAL / "libreoffice-natural-dev.jsonl",
        EVAL / "libreoffice-natural-heldout.jsonl",
        "alternate",
        pages=True,
        kinds=LO_KINDS,
    ),
    EvalSet(
        "seed-natural",
        EVAL / "seed-natural-dev.jsonl",
        EVAL / "seed-natural-heldout.jsonl",
        "alternate",
        pages=False,
        kinds=SEED_KINDS,
    ),
    EvalSet(
        "egevang",
        EVAL / "egevang-dev.jsonl",
        EVAL / "egevang-heldout.jsonl",
        "alternate",
        pages=True,
        kinds=LO_KINDS,
        most_pages=4,  # its FAQ pages repeat other pages
    ),
    EvalSet(
        "libreoffice-keyword",
        EVAL / "libreoffice-keyword-dev.jsonl",
        EVAL / "libreoffice-keyword-heldout.jsonl",
        "sha1",
        pages=True,
    ),
    # No-answer questions on topics no question of the Egevang halves asks (whose no-answer
    # questions come in pairs on one topic, one in each half): held out whole.
    EvalSet(
        "egevang-new-topics",
        None,
        EVAL / "egevang-new-topics.jsonl",
        "none",
        pages=True,
        kinds={"none"},
    ),
]


class Problems(list):
    """Collected failures; printed at the end."""

    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def read_jsonl(path: Path, problems: Problems) -> list[dict]:
    rows: list[dict] = []
    if not path.is_file():
        problems.add(path.name, "missing")
        return rows
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            problems.add(f"{path.name}:{n}", f"not JSON ({error})")
    return rows


def in_dev(eval_set: EvalSet, row: dict, position: int) -> bool:
    """Whether the split rule puts this row in the dev half (position: index within its kind,
    rows of the kind ordered by id)."""
    if eval_set.split == "sha1":
        return int(hashlib.sha1(str(row["id"]).encode()).hexdigest(), 16) % 2 == 0
    return position % 2 == 0


def check_split(eval_set: EvalSet, problems: Problems) -> None:
    if eval_set.dev is None:
        return  # held out whole: nothing to split
    by_kind: dict[str, list[tuple[str, bool]]] = {}
    for half, rows in ((True, eval_set.dev_rows), (False, eval_set.heldout_rows)):
        for row in rows:
            by_kind.setdefault(str(row.get("kind") or row.get("app")), []).append(
                (str(row["id"]), half)
            )
    rows_by_id = {str(row["id"]): row for row in eval_set.rows}
    for members in by_kind.values():
        for position, (query_id, is_dev) in enumerate(sorted(members)):
            if in_dev(eval_set, rows_by_id[query_id], position) != is_dev:
                problems.add(eval_set.name, f"{query_id} is in the wrong half for the split rule")


def check_keyword_union(eval_set: EvalSet, problems: Problems) -> None:
    original = read_jsonl(KEYWORD_ORIGINAL, problems)
    if sorted(json.dumps(r, sort_keys=True) for r in original) != sorted(
        json.dumps(r, sort_keys=True) for r in eval_set.rows
    ):
        problems.add(eval_set.name, "dev + heldout differ from eval/libreoffice-dev.jsonl")


# --- content words ------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    return {
        t.text for t in tokenize(text) if not is_stopword(t.text) and t.text not in QUESTION_WORDS
    }


def _stems(word: str) -> set[str]:
    return set(stem_terms(word)) if word.isalpha() else {word}


def _common_run(a: str, b: str, length: int) -> bool:
    return any(a[i : i + length] in b for i in range(len(a) - length + 1))


def words_related(a: str, b: str) -> bool:
    """Loose match of two content words (see the module docstring)."""
    fa, fb = fold(a), fold(b)
    sa, sb = _stems(a), _stems(b)
    if fa == fb or sa & sb:
        return True
    for mine, other_word, other_stems in ((sa, fb, sb), (sb, fa, sa)):
        for stem in mine:
            if len(stem) >= 4 and stem in other_word:
                return True
            if len(stem) == 3 and any(s.startswith(stem) or s.endswith(stem) for s in other_stems):
                return True
    same_prefix = len(fa) >= 4 and len(fb) >= 4 and fa[:4] == fb[:4]
    return same_prefix or _common_run(fa, fb, 5)


def shared_words(query: str, text: str) -> list[str]:
    other = content_words(text)
    return sorted(w for w in content_words(query) if any(words_related(w, o) for o in other))


def check_kind_by_words(
    row: dict, where: str, names: list[str], what: str, problems: Problems, counts: Counter
) -> None:
    """A ``paraphrase`` question shares no content word with ``names`` (its pages' titles or
    headings), a ``natural`` one shares one; ``counts`` gets which of the two it is."""
    shared = shared_words(row["query"], " ".join(names))
    counts[f"shares a {what} word" if shared else f"shares no {what} word"] += 1
    if row["kind"] == "paraphrase" and shared:
        problems.add(where, f"paraphrase shares {shared} with the {what}s {names!r}")
    if row["kind"] == "natural" and not shared:
        problems.add(where, f"natural shares no {what} word: mark it paraphrase")


# --- LibreOffice pages --------------------------------------------------------------------


def sample_pages() -> set[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def page_titles(help_dir: Path, page: str) -> list[str]:
    """The page's <title> and <h1> texts, which is what 'the answer page's title' means."""
    raw = (help_dir / page).read_text(encoding="utf-8")
    parts = re.findall(r"<title>(.*?)</title>", raw, re.S)[:1]
    parts += re.findall(r"<h1[^>]*>(.*?)</h1>", raw, re.S)[:1]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split()) for part in parts]


def page_index_terms(help_dir: Path, page: str) -> list[str]:
    """The page's index entries (``<meta itemprop="keywords">``), split at commas."""
    raw = (help_dir / page).read_text(encoding="utf-8")
    entries = re.findall(r'itemprop="keywords" content="([^"]*)"', raw)
    return [part.strip() for entry in entries for part in html.unescape(entry).split(",")]


def copies_index_term(query: str, terms: list[str]) -> str | None:
    """An index term of two or more words that the query contains verbatim, if any."""
    text = f" {normalise(query)} "
    for term in terms:
        if len(term.split()) >= 2 and f" {normalise(term)} " in text:
            return term
    return None


def check_pages(
    eval_set: EvalSet, help_dir: Path | None, problems: Problems, sample: set[str] | None
) -> Counter:
    """Relevant pages exist (in ``sample`` when given, in the help folder when given); the
    paraphrase rule holds. Returns counts for the summary."""
    counts: Counter = Counter()
    for row in eval_set.rows:
        where = f"{eval_set.name} {row['id']}"
        for page in row["relevant_pages"]:
            if sample is not None and page not in sample:
                problems.add(where, f"{page} is not in eval/libreoffice-sample.txt")
            elif help_dir and not (help_dir / page).is_file():
                problems.add(where, f"{page} is not in the help folder")
        if help_dir is None or row.get("kind") not in ("natural", "paraphrase"):
            continue
        titles = [t for p in row["relevant_pages"] for t in page_titles(help_dir, p) if t]
        check_kind_by_words(row, where, titles, "title", problems, counts)
        if any(normalise(title) in normalise(row["query"]) for title in titles):
            problems.add(where, "the query contains the page title verbatim")
        terms = [t for p in row["relevant_pages"] for t in page_index_terms(help_dir, p)]
        copied = copies_index_term(row["query"], terms)
        if copied:
            problems.add(where, f"the query copies the index term {copied!r}")
    return counts


# --- Egevang pages -----------------------------------------------------------------------


def markdown_headings(page: Path) -> list[str]:
    """The page's title and subheadings (its ``#`` lines)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    return [line.lstrip("#").strip() for line in lines if line.startswith("#")]


def check_egevang(eval_set: EvalSet, problems: Problems) -> Counter:
    """Relevant pages exist in eval/egevang/; a paraphrase shares no content word with the
    title or a subheading of any of the pages it was written against, a natural question
    shares one (pages in ``added_in_audit``, found to answer it later, are relevant but do
    not decide its kind)."""
    counts: Counter = Counter()
    for row in eval_set.rows:
        where = f"{eval_set.name} {row['id']}"
        missing = [p for p in row["relevant_pages"] if not (EGEVANG / p).is_file()]
        for page in missing:
            problems.add(where, f"{page} is not in eval/egevang/")
        added = row.get("added_in_audit", [])
        for page in set(added) - set(row["relevant_pages"]):
            problems.add(where, f"{page} is in added_in_audit but not in relevant_pages")
        if missing or row.get("kind") not in ("natural", "paraphrase"):
            continue
        written = [p for p in row["relevant_pages"] if p not in added]
        headings = [h for p in written for h in markdown_headings(EGEVANG / p)]
        check_kind_by_words(row, where, headings, "heading", problems, counts)
    return counts


# --- seed spans ---------------------------------------------------------------------------


def paragraphs() -> list[str]:
    text = SEED_CORPUS.read_text(encoding="utf-8")
    return [normalise(p) for p in re.split(r"\n\s*\n", text) if p.strip()]


def check_spans(eval_set: EvalSet, problems: Problems) -> None:
    paras = paragraphs()
    for row in eval_set.rows:
        where = f"{eval_set.name} {row['id']}"
        homes = []
        for span in row["relevant"]:
            home = next((p for p in paras if normalise(span) in p), None)
            if home is None:
                problems.add(where, f"span {span!r} is not inside one corpus paragraph")
            homes.append(home)
        if row.get("kind") == "paraphrase" and homes and homes[0]:
            shared = shared_words(row["query"], homes[0])
            if shared:
                problems.add(where, f"paraphrase shares {shared} with its answer paragraph")


# --- rows, counts, summary ----------------------------------------------------------------


def check_rows(eval_set: EvalSet, problems: Problems) -> None:
    key = "relevant_pages" if eval_set.pages else "relevant"
    for row in eval_set.rows:
        where = f"{eval_set.name} {row.get('id')}"
        if not isinstance(row.get("id"), str) or not isinstance(row.get("query"), str):
            problems.add(where, "needs string 'id' and 'query'")
        if not isinstance(row.get(key), list):
            problems.add(where, f"needs a list {key!r}")
            continue
        if eval_set.kinds is None:
            continue
        kind = row.get("kind")
        if kind not in eval_set.kinds:
            problems.add(where, f"unknown kind {kind!r}")
        if (kind == "none") != (not row[key]):
            problems.add(where, "kind 'none' has no relevant items, other kinds have some")
        most = eval_set.most_pages
        if eval_set.pages and not 1 <= len(row[key]) <= most and kind != "none":
            problems.add(where, f"name 1-{most} relevant pages")


def check_minimums(eval_set: EvalSet, problems: Problems) -> None:
    minimums = {"libreoffice-natural": LO_MINIMUMS, "seed-natural": SEED_MINIMUMS}
    kinds = Counter(row.get("kind") for row in eval_set.rows)
    for group, minimum in minimums.get(eval_set.name, []):
        if sum(kinds[k] for k in group) < minimum:
            problems.add(eval_set.name, f"fewer than {minimum} questions of kind {'/'.join(group)}")
    danish = kinds["natural"] + kinds["paraphrase"]
    if eval_set.name == "libreoffice-natural" and 3 * kinds["paraphrase"] < danish:
        problems.add(eval_set.name, "fewer than a third of the Danish questions are paraphrases")


def check_unique(problems: Problems) -> None:
    ids: Counter = Counter()
    queries: Counter = Counter()
    for eval_set in SETS:
        ids.update(str(row.get("id")) for row in eval_set.rows)
        if eval_set.kinds is not None:
            queries.update(normalise(str(row.get("query"))) for row in eval_set.rows)
    for query_id, n in ids.items():
        if n > 1:
            problems.add("ids", f"{query_id} occurs {n} times")
    for query, n in queries.items():
        if n > 1:
            problems.add("queries", f"{query!r} occurs {n} times")


def app_of(row: dict) -> str:
    pages = row.get("relevant_pages") or []
    return pages[0].split("/")[0] if pages else "-"


def summary_line(eval_set: EvalSet) -> str:
    def kinds(rows: list[dict]) -> str:
        counts = Counter(str(r.get("kind") or r.get("app")) for r in rows)
        return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))

    return (
        f"{eval_set.name}: {len(eval_set.rows)} questions "
        f"(dev {len(eval_set.dev_rows)}: {kinds(eval_set.dev_rows)} | "
        f"heldout {len(eval_set.heldout_rows)}: {kinds(eval_set.heldout_rows)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--help-dir", type=Path, help="the .../help/da/text folder")
    args = parser.parse_args(argv)
    problems = Problems()
    for eval_set in SETS:
        eval_set.dev_rows = read_jsonl(eval_set.dev, problems) if eval_set.dev else []
        eval_set.heldout_rows = read_jsonl(eval_set.heldout, problems)
        check_rows(eval_set, problems)
        check_split(eval_set, problems)
        check_minimums(eval_set, problems)
    check_unique(problems)
    named = {eval_set.name: eval_set for eval_set in SETS}
    check_keyword_union(named["libreoffice-keyword"], problems)
    title_counts = check_pages(
        named["libreoffice-natural"], args.help_dir, problems, sample_pages()
    )
    # The keyword set was drawn from the whole help, not from the sample.
    check_pages(named["libreoffice-keyword"], args.help_dir, problems, None)
    check_spans(named["seed-natural"], problems)
    heading_counts = check_egevang(named["egevang"], problems)

    for eval_set in SETS:
        print(summary_line(eval_set))
    apps = Counter(app_of(r) for r in named["libreoffice-natural"].rows if r.get("kind") != "none")
    print("libreoffice-natural by module: " + ", ".join(f"{a} {n}" for a, n in apps.items()))
    if args.help_dir:
        print(
            "libreoffice-natural Danish vs title: "
            + ", ".join(f"{k} {n}" for k, n in sorted(title_counts.items()))
        )
    else:
        print("title checks skipped: pass --help-dir (see bench/get-libreoffice-help-da.sh)")
    print(
        "egevang vs headings: " + ", ".join(f"{k} {n}" for k, n in sorted(heading_counts.items()))
    )
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Snippets: an HTML-escaped excerpt of a passage with the matched words in <mark>."""

from __future__ import annotations

import html
from collections.abc import Sequence

MAX_CHARS = 320


def _window(text: str, spans: list[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    if len(text) <= max_chars:
        return 0, len(text)
    if not spans:
        return 0, max_chars
    # Slide a window over the spans and keep the one that covers the most of them.
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        count = sum(1 for s, e in spans[i:] if e - start <= max_chars)
        if count > best_count:
            best_start, best_count = start, count
    start = max(0, best_start - max_chars // 4)
    end = min(len(text), start + max_chars)
    start = max(0, end - max_chars)
    return start, end


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the cut points to word boundaries."""
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > end - 30 else end
    return start, end


def make_snippet(text: str, spans: Sequence[tuple[int, int]], max_chars: int = MAX_CHARS) -> str:
    """``text`` cut around the densest run of ``spans``, escaped, with spans marked."""
    spans = sorted(spans)
    start, end = _snap(text, *_window(text, spans, max_chars))
    parts: list[str] = ["… " if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if e <= cursor or s >= end:
            continue
        s = max(s, cursor)
        e = min(e, end)
        parts.append(html.escape(text[cursor:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append(" …")
    return " ".join("".join(parts).split())

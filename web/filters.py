"""Jinja2 filters and helpers of the pages: Danish number and time formats, page labels,
section paths and links. Every function returns plain text (autoescaped by Jinja2) except
``linkify``, which escapes its input itself and returns Markup."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ..text import PATH_SEPARATOR

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


LOCAL = ZoneInfo("Europe/Copenhagen")  # staff read times as Danish clocks show them
MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def danish_date(day: date) -> str:
    """``1. december 2026``."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def local_moment(moment: datetime) -> datetime:
    """``moment`` (naive = UTC, as stored) on the Danish clock."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL)


def local_time(stamp: str) -> str:
    """A stored timestamp (ISO 8601, UTC) in Danish local time: ``1. december 2026 kl. 12.07``;
    text that is no timestamp is returned as it is."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    local = local_moment(moment)
    return f"{danish_date(local.date())} kl. {local:%H.%M}"


def danish_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def danish_seconds(ms: float) -> str:
    """Two decimals; a time that would round to nothing (a repeated query is answered from
    the cache) reads "under 0,01 sek.", not "0,00 sek."."""
    if ms < 5:
        return "under 0,01 sek."
    return f"{ms / 1000:.2f}".replace(".", ",") + " sek."


def result_count(total: int, took_ms: float) -> str:
    noun = "resultat" if total == 1 else "resultater"
    return f"{danish_number(total)} {noun} ({danish_seconds(took_ms)})"


def pages_label(start: int | None, end: int | None = None) -> str | None:
    if start is None:
        return None
    if end is None or end == start:
        return f"s.\u00a0{start}"
    return f"s.\u00a0{start}–{end}"


def path_parts(section_path: str) -> list[str]:
    """A section path ("Tema › Afsnit › Case") as its steps."""
    separator = PATH_SEPARATOR.strip()
    return [part.strip() for part in section_path.split(separator) if part.strip()]


def web_url(url: str | None) -> str | None:
    """Only http(s) URLs become outside links; file paths and other schemes do not."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def short_url(url: str) -> str:
    short = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return short if len(short) <= 60 else short[:57] + "…"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn bare http(s) URLs in it into links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)»”")
        end = match.start() + len(url)
        out.append(str(escape(text[last : match.start()])))
        out.append(f'<a href="{escape(url)}" rel="external noopener noreferrer">{escape(url)}</a>')
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))

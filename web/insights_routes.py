"""``/indsigt``: what staff ask and cannot find, for the knowledge manager (admin only).

Over a chosen period (the last 7, 30 or 90 days, or from–to dates, Danish days): the most
frequent questions (with the share that had no sure answer), the questions with no sure
answer, and the results judged not useful. Data from ``vidensbank.insights``; protection
from ``web.session`` (an admin session cookie or the bearer token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from ..api.deps import SettingsDep
from ..api.errors import ApiError
from ..insights import Insights, Period, insights_for
from ..querylog import now
from .filters import LOCAL, danish_date, local_time
from .render import render
from .session import AdminPageDep

router = APIRouter(include_in_schema=False)

PERIODS = {"7": "de seneste 7 dage", "30": "de seneste 30 dage", "90": "de seneste 90 dage"}
DEFAULT_PERIOD = "30"
MAX_DAYS = 3660


@dataclass(frozen=True)
class Chosen:
    period: Period
    label: str
    days: str | None  # "7" / "30" / "90", or None for from–to dates
    first: date
    last: date


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(
            400, f"Datoen »{text[:20]}« i feltet {name} kan ikke læses. Skriv den som 2026-11-30."
        ) from None


def _dates(start: str, end: str, today: date) -> Chosen:
    last = _day(end, "til") if end.strip() else today
    first = _day(start, "fra") if start.strip() else last - timedelta(days=29)
    if first > last:
        raise ApiError(400, "Fra-datoen ligger efter til-datoen. Byt om på dem, og prøv igen.")
    if (last - first).days > MAX_DAYS:
        raise ApiError(400, "Perioden er for lang: vælg højst ti år ad gangen.")
    start_at = datetime.combine(first, datetime.min.time(), tzinfo=LOCAL)
    end_at = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL)
    label = f"{danish_date(first)} – {danish_date(last)}"
    return Chosen(Period(start_at, end_at), label, None, first, last)


def choose_period(request: Request) -> Chosen:
    """The period asked for: ``fra``/``til`` dates, else ``periode`` (7, 30 or 90 days)."""
    params = request.query_params
    moment = now()
    today = moment.astimezone(LOCAL).date()
    start, end = params.get("fra", ""), params.get("til", "")
    if start.strip() or end.strip():
        return _dates(start, end, today)
    days = params.get("periode", DEFAULT_PERIOD).strip() or DEFAULT_PERIOD
    if days not in PERIODS:
        raise ApiError(400, "Perioden kan være 7, 30 eller 90 dage, eller datoer fra–til.")
    period = Period.last_days(int(days), moment)
    first = period.start.astimezone(LOCAL).date()
    return Chosen(period, PERIODS[days], days, first, today)


def percent(share: float) -> str:
    return f"{round(share * 100)} %"


@router.get("/indsigt", response_class=HTMLResponse)
async def insights_page(request: Request, settings: SettingsDep, _: AdminPageDep) -> Response:
    chosen = choose_period(request)
    report: Insights = await run_in_threadpool(insights_for, settings.store_path, chosen.period)
    context = {
        "chosen": chosen,
        "periods": PERIODS,
        "report": report,
        "local_time": local_time,
        "percent": percent,
        "log_on": settings.query_log,
        "retention_days": settings.query_log_days,
    }
    response = render(request, "insights.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response

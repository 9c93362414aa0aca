"""``/admin/login`` and ``/admin/logout``: the admin token in, a session cookie out."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...api.deps import SettingsDep
from ...api.ratelimit import RateLimiter, client_key
from ..render import render
from ..session import (
    CSRF_FIELD,
    LOGIN_PATH,
    AdminPageDep,
    CsrfDep,
    clear_session_cookie,
    csrf_token,
    is_admin,
    login_limiter,
    safe_next,
    set_csrf_cookie,
    set_session_cookie,
    verify_csrf,
    writes_disabled,
)

router = APIRouter()

WRONG_TOKEN = (
    "Adgangsnøglen er forkert. Brug den nøgle, der er sat som VIDENSBANK_ADMIN_TOKEN på"
    " serveren, og prøv igen."
)
MISSING_TOKEN = "Skriv adgangsnøglen for at logge ind."
TOO_MANY = "For mange forkerte forsøg. Vent {seconds} sekunder, og prøv igen."
MAX_TOKEN_CHARS = 1000


def _login_page(
    request: Request, next_path: str, error: str | None = None, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "csrf": csrf_token(request),
        "next_path": next_path,
        "error": error,
    }
    response = render(request, "admin_login.html", context, status_code=status_code)
    set_csrf_cookie(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    if not settings.admin_token:
        raise writes_disabled()
    target = safe_next(next)
    if is_admin(request):
        return RedirectResponse(target, status_code=303)
    return _login_page(request, target)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
async def login(request: Request, settings: SettingsDep) -> Response:
    if not settings.admin_token:
        raise writes_disabled()
    form = await request.form(max_files=0, max_fields=10)
    target = safe_next(str(form.get("next") or ""))
    limiter, client = login_limiter(request), client_key(request)
    wait = limiter.wait(client)
    if wait:
        retry_after = RateLimiter.retry_after(wait)
        response = _login_page(request, target, TOO_MANY.format(seconds=retry_after), 429)
        response.headers["Retry-After"] = retry_after
        return response
    verify_csrf(request, form.get(CSRF_FIELD))
    token = form.get("token")
    if not isinstance(token, str) or not token.strip():
        return _login_page(request, target, MISSING_TOKEN, 400)
    given = token.strip()[:MAX_TOKEN_CHARS].encode("utf-8")
    if not secrets.compare_digest(given, settings.admin_token.encode("utf-8")):
        limiter.record(client)
        return _login_page(request, target, WRONG_TOKEN, 401)
    limiter.forget(client)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, settings)
    return response


@router.post("/admin/logout")
def logout(request: Request, _: AdminPageDep, __: CsrfDep) -> Response:
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    clear_session_cookie(request, response)
    return response

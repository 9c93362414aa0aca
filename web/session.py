"""Admin sessions for the HTML pages: login cookie, CSRF tokens and the page guard.

Contract:

- ``AdminPageDep`` guards an admin page. It passes when the request carries a valid,
  unexpired session cookie (``vidensbank_admin``) or ``Authorization: Bearer <token>``
  with the configured ``VIDENSBANK_ADMIN_TOKEN``. Otherwise it raises ``LoginRequired``
  (answered by ``api/errors.py`` with a 303 to ``/admin/login?next=<path>``). With no
  admin token configured it raises ``AdminRefused`` (a Danish 403 page).
- The session cookie is ``<issued unix time>.<random nonce>.<HMAC-SHA256>``, keyed by a
  secret derived from the admin token: it survives restarts and works across uvicorn
  workers without shared state, and changing the token logs everyone out. It is refused
  once older than ``VIDENSBANK_ADMIN_SESSION_MINUTES`` (the cookie's Max-Age is the same).
- ``csrf_token(request)`` gives the value of a form's hidden ``csrf`` field. With a
  session it is an HMAC of the session's nonce; before login (the login form) it is an
  HMAC of a random nonce kept in a second cookie (signed double submit). ``CsrfDep``
  (url-encoded forms) and ``verify_csrf`` (forms parsed by the route) refuse a POST
  without a valid token with ``AdminRefused`` (403); nothing is written. A request
  authenticated by the bearer header needs no CSRF token: a browser never adds that
  header to a forged cross-site request.
- ``safe_next`` keeps redirects on this site: only paths that start with one ``/``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Annotated

from fastapi import Depends, Request, Response

from ..api.deps import SettingsDep
from ..api.ratelimit import RateLimiter
from ..settings import Settings

SESSION_COOKIE = "vidensbank_admin"
CSRF_COOKIE = "vidensbank_csrf"
CSRF_FIELD = "csrf"
LOGIN_PATH = "/admin/login"
DEFAULT_NEXT = "/admin"
CLOCK_SKEW_S = 60  # a cookie issued by a worker whose clock runs slightly ahead is fine
MAX_NEXT_CHARS = 2000
KEY_CONTEXT = b"vidensbank admin session v1"

DISABLED_TITLE = "Administrationen er slået fra"
DISABLED_TEXT = (
    "Der kan ikke tilføjes eller fjernes publikationer, fordi serveren ikke har en"
    " adgangsnøgle. Bed driften sætte miljøvariablen VIDENSBANK_ADMIN_TOKEN (mindst 16 tegn,"
    " fx lavet med python -c 'import secrets; print(secrets.token_urlsafe(32))') og"
    " genstarte vidensbank serve."
)
CSRF_TITLE = "Formularen kunne ikke bruges"
CSRF_TEXT = (
    "Formularen er udløbet eller kom ikke fra Vidensbanken, så intet er gemt. Gå tilbage,"
    " genindlæs siden og prøv igen."
)


class LoginRequired(Exception):
    """No valid session: send the browser to the login form, then back to ``next_path``."""

    def __init__(self, next_path: str = DEFAULT_NEXT) -> None:
        super().__init__("login required")
        self.next_path = safe_next(next_path)

    @property
    def location(self) -> str:
        from urllib.parse import urlencode

        return f"{LOGIN_PATH}?{urlencode({'next': self.next_path})}"


class AdminRefused(Exception):
    """An admin request refused with a Danish page (writes off, bad CSRF token, …)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


# ------------------------------------------------------------------------------ signing


def _key(token: str) -> bytes:
    return hmac.new(token.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def _mac(key: bytes, purpose: str, payload: str) -> str:
    digest = hmac.new(key, f"{purpose}\0{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue_session(settings: Settings, now: float | None = None) -> str:
    """A new signed session value, issued at ``now`` (tests forge old ones with it)."""
    if not settings.admin_token:
        raise ValueError("no admin token configured")
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_urlsafe(18)
    payload = f"{issued}.{nonce}"
    return f"{payload}.{_mac(_key(settings.admin_token), 'session', payload)}"


def session_nonce(settings: Settings, value: str | None, now: float | None = None) -> str | None:
    """The nonce of a valid, unexpired session value; None for anything else."""
    if not value or not settings.admin_token or len(value) > 200:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    issued, nonce, mac = parts
    expected = _mac(_key(settings.admin_token), "session", f"{issued}.{nonce}")
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    age = (time.time() if now is None else now) - int(issued)
    if age > settings.admin_session_minutes * 60 or age < -CLOCK_SKEW_S:
        return None
    return nonce


def _bearer_ok(request: Request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return False
    return secrets.compare_digest(credentials.strip().encode(), token.encode())


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def is_admin(request: Request) -> bool:
    """Whether the request carries a valid session cookie or the admin bearer token."""
    settings = _settings(request)
    if not settings.admin_token:
        return False
    if _bearer_ok(request, settings.admin_token):
        return True
    return session_nonce(settings, request.cookies.get(SESSION_COOKIE)) is not None


# -------------------------------------------------------------------------------- guard


def writes_disabled() -> AdminRefused:
    return AdminRefused(403, DISABLED_TITLE, DISABLED_TEXT)


def require_admin_page(request: Request, settings: SettingsDep) -> None:
    if not settings.admin_token:
        raise writes_disabled()
    if is_admin(request):
        return
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    raise LoginRequired(DEFAULT_NEXT)  # a POST's path may have no page to return to


AdminPageDep = Annotated[None, Depends(require_admin_page)]


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site, else ``/admin`` (never an open redirect:
    ``//host``, ``/\\host``, schemes and control characters are refused)."""
    if (
        not value
        or len(value) > MAX_NEXT_CHARS
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return DEFAULT_NEXT
    return value


# --------------------------------------------------------------------------------- CSRF


def _pre_session_nonce(request: Request) -> str:
    """The login form's nonce: from its cookie, or a new one that ``set_csrf_cookie``
    sends with the response."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return nonce
    pending = getattr(request.state, "csrf_nonce", None)
    if pending is None:
        pending = secrets.token_urlsafe(24)
        request.state.csrf_nonce = pending
    return str(pending)


def csrf_token(request: Request) -> str:
    """The value for a form's hidden ``csrf`` field ("" when admin is switched off)."""
    settings = _settings(request)
    if not settings.admin_token:
        return ""
    key = _key(settings.admin_token)
    nonce = session_nonce(settings, request.cookies.get(SESSION_COOKIE))
    if nonce is not None:
        return _mac(key, "csrf", nonce)
    return _mac(key, "login-csrf", _pre_session_nonce(request))


def csrf_valid(request: Request, submitted: object) -> bool:
    settings = _settings(request)
    if not settings.admin_token:
        return False
    if _bearer_ok(request, settings.admin_token):
        return True
    if not isinstance(submitted, str) or not submitted or len(submitted) > 100:
        return False
    key = _key(settings.admin_token)
    nonce = session_nonce(settings, request.cookies.get(SESSION_COOKIE))
    if nonce is not None:
        expected = _mac(key, "csrf", nonce)
    else:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie:
            return False
        expected = _mac(key, "login-csrf", cookie)
    return hmac.compare_digest(submitted.encode(), expected.encode())


def verify_csrf(request: Request, submitted: object) -> None:
    """Refuse (403, nothing written) unless ``submitted`` is this client's CSRF token."""
    if not csrf_valid(request, submitted):
        raise AdminRefused(403, CSRF_TITLE, CSRF_TEXT)


async def check_csrf(request: Request) -> None:
    """Dependency for url-encoded admin forms: the ``csrf`` field must be valid."""
    form = await request.form()
    verify_csrf(request, form.get(CSRF_FIELD))


CsrfDep = Annotated[None, Depends(check_csrf)]


# ------------------------------------------------------------------------------ cookies


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the login form's nonce cookie when ``csrf_token`` made a new one."""
    pending = getattr(request.state, "csrf_nonce", None)
    if pending:
        response.set_cookie(
            CSRF_COOKIE,
            pending,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )


def set_session_cookie(request: Request, response: Response, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issue_session(settings),
        max_age=settings.admin_session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


# ------------------------------------------------------------------------ login attempts


LOGIN_FAILURES = 5  # per client and minute, then "try again in N seconds"


def login_limiter(request: Request) -> RateLimiter:
    """Failed logins per client, in memory only (a restart forgets them; each worker counts
    its own)."""
    state = request.app.state
    limiter = getattr(state, "login_limiter", None)
    if limiter is None:
        limiter = state.login_limiter = RateLimiter(LOGIN_FAILURES, 60.0)
    return limiter

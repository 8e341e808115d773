"""What keeps the workspace safe on a shared office network.

- Every form carries a token tied to the session (CSRF): a page elsewhere cannot make a
  signed-in clerk's browser post a decision.
- Sign-in attempts that fail 5 times in a minute for one name or one address are answered
  slowly and refused until the minute has passed (nobody guesses a password by trying).
- Every response forbids inline scripts, framing and content sniffing (a scanned page's
  text is attacker-controlled: whatever it says is shown, never run).
"""

from __future__ import annotations

import collections
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
_CSRF = "csrf"


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's form token (made at its first form)."""
    token = session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], sent: object) -> bool:
    token = session.get(_CSRF)
    return isinstance(token, str) and isinstance(sent, str) and hmac.compare_digest(token, sent)


class LoginThrottle:
    """Failed sign-ins per name and per address in the last minute (memory of one server
    process: enough for a workstation; each worker of a bigger set-up counts its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> collections.deque[float]:
        now = self._clock()
        seen = self._failures.setdefault(key, collections.deque())
        while seen and now - seen[0] > WINDOW_SECONDS:
            seen.popleft()
        return seen

    def blocked(self, *keys: str) -> bool:
        with self._lock:
            return any(len(self._recent(k)) >= MAX_FAILURES for k in keys)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(self._clock())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response

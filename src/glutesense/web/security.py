"""Passwords (argon2id via pwdlib), API tokens, CSRF tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

__all__ = ["hash_password", "verify_password", "new_token", "token_digest", "new_csrf",
           "csrf_ok", "LoginLimiter", "USERNAME_RE"]

#: Usernames: 3–64 characters of letters, digits, dot, dash, underscore.
USERNAME_RE = r"^[A-Za-z0-9._-]{3,64}$"

_hasher = None


def _ph():
    global _hasher
    if _hasher is None:
        from pwdlib import PasswordHash
        from pwdlib.hashers.argon2 import Argon2Hasher

        _hasher = PasswordHash((Argon2Hasher(),))  # argon2id, pwdlib's defaults
    return _hasher


def hash_password(password: str) -> str:
    """Argon2id hash of *password*."""
    return _ph().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Constant-time check of *password* against *hashed*."""
    try:
        return _ph().verify(password, hashed)
    except Exception:  # noqa: BLE001 - a malformed stored hash never authenticates
        return False


def new_token() -> str:
    """A fresh random API token (shown once; only its digest is stored)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf() -> str:
    """A fresh CSRF token for a browser session."""
    return secrets.token_urlsafe(24)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time CSRF comparison."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class LoginLimiter:
    """Sliding-window limit on failed logins per client address and per username.

    Parameters
    ----------
    max_failures : int
        Failures allowed within *window_s* before further attempts are refused.
    window_s : float
        Window length in seconds.
    """

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._fails[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> float:
        """Seconds to wait if any key is over the limit, else 0."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window_s - (now - q[0]) for k in keys
                     if len(q := self._prune(k, now)) >= self.max_failures]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Record a failed attempt for every key."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._prune(k, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget failures after a successful login."""
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)

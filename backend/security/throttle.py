"""Throttles against guessing: failed sign-ins per username and per source address, failed
acknowledgement-link look-ups per source address.

In memory, per process: cheap enough for the hot path (a look-up for a key that never failed is
one dict ``get``), no database round trip, and nothing to clean up. With N processes or replicas
an attacker gets N times the attempts before a lockout; docs/security.md says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int
    window_start: float
    locked_until: float = 0.0


class Throttle:
    """``limit`` failures of one key within ``window_s`` lock that key for ``lockout_s``.

    ``retry_after(key)`` is 0 for a key that may go on, else the seconds to wait; ``failure(key)``
    counts one failure (and answers ``retry_after`` after it); ``success(key)`` forgets the key.
    At most ``max_keys`` keys are remembered: past that, keys whose window and lock have run out
    are forgotten first, then the oldest (a flood of new addresses cannot exhaust memory).
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        lockout_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ):
        if limit < 1:
            raise ValueError("a throttle needs limit >= 1")
        self.limit = limit
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self.max_keys = max_keys
        self._keys: dict[str, _Entry] = {}

    def retry_after(self, key: str) -> int:
        entry = self._keys.get(key)
        if entry is None or not entry.locked_until:
            return 0
        left = entry.locked_until - self.clock()
        if left <= 0:
            del self._keys[key]
            return 0
        return max(1, math.ceil(left))

    def failure(self, key: str) -> int:
        now = self.clock()
        entry = self._keys.get(key)
        if entry is None or now - entry.window_start > self.window_s or (
            entry.locked_until and entry.locked_until <= now
        ):
            if len(self._keys) >= self.max_keys:
                self._prune(now)
            entry = self._keys[key] = _Entry(0, now)
        entry.failures += 1
        if entry.failures >= self.limit:
            entry.locked_until = max(entry.locked_until, now + self.lockout_s)
        return self.retry_after(key)

    def success(self, key: str) -> None:
        self._keys.pop(key, None)

    def __len__(self) -> int:
        return len(self._keys)

    def _prune(self, now: float) -> None:
        for key in [
            k
            for k, e in self._keys.items()
            if now - e.window_start > self.window_s and e.locked_until <= now
        ]:
            del self._keys[key]
        while len(self._keys) >= self.max_keys:  # still full: forget the oldest
            del self._keys[next(iter(self._keys))]


class LoginThrottle:
    """Sign-in: per username (``user_limit`` failures) and per source address (``address_limit``,
    higher: a bureau's staff may share one address behind NAT). A locked name or address is
    refused before the password is even checked, so guessing goes no further and costs no
    password hashing; a successful sign-in forgets the name's failures, not the address's."""

    def __init__(
        self,
        user_limit: int,
        address_limit: int,
        window_s: float,
        lockout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.users = Throttle(user_limit, window_s, lockout_s, clock)
        self.addresses = Throttle(address_limit, window_s, lockout_s, clock)

    @staticmethod
    def _name(username: str) -> str:
        return username.casefold()[:100]  # names are ≤ 64 characters; longer ones need no memory

    def retry_after(self, username: str, address: str) -> int:
        return max(self.users.retry_after(self._name(username)), self.addresses.retry_after(address))

    def failure(self, username: str, address: str) -> int:
        return max(self.users.failure(self._name(username)), self.addresses.failure(address))

    def success(self, username: str) -> None:
        self.users.success(self._name(username))

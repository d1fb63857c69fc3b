"""Access keys and one-time codes: generate, hash with argon2id off the event loop, verify."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import string
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.matching import RANKED_DICTIONARIES

from services.language import gettext

ALPHABET = string.ascii_letters + string.digits
GENERATED_LENGTH = 12
MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_LISTS = ("passwords",)
HASH_QUEUE = 32
T = TypeVar("T")


def generate_key() -> str:
    """A site-made access key: letters and digits, with at least one of each kind."""
    while True:
        key = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
        if any(c.isdigit() for c in key) and any(c.isalpha() for c in key):
            return key


def generate_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's ranked list of the 30,000 most common passwords."""
    return frozenset(word for name in COMMON_LISTS for word in RANKED_DICTIONARIES[name])


def key_problem(key: str, current: str | None = None) -> str | None:
    """Why a key chosen by a user is refused, in words for the form; None when it is fine."""
    if len(key) < MIN_LENGTH:
        return gettext("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(key) > MAX_LENGTH:
        return gettext("Use at most %(n)d characters.", n=MAX_LENGTH)
    if key.lower() in common_passwords():
        return gettext("That key is among the most common passwords; choose another.")
    if current is not None and key == current:
        return gettext("The new key must differ from the current one.")
    return None


def _lower_priority() -> None:
    """The hashing thread yields the CPU to the threads that serve pages."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class HasherBusy(Exception):
    """The hash queue of this process is full: the caller should answer 503 with Retry-After."""

    retry_after = 2


class Hasher:
    """argon2id with the configured cost, in one low-priority thread: one hash at a time per
    process, so logins never take every core from the pages. At most `queue` hashes wait or
    run at once; beyond that a flood is refused at once instead of stalling every login."""

    def __init__(self, memory_kib: int, time_cost: int, queue: int = HASH_QUEUE) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self.hasher.hash(secrets.token_hex(16))
        self._thread = ThreadPoolExecutor(1, "argon2", initializer=_lower_priority)
        self.queue = queue
        self.waiting = 0

    async def _run(self, work: Callable[[str, str], T], hashed: str, key: str) -> T:
        if self.waiting >= self.queue:
            raise HasherBusy
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, work, hashed, key)
        finally:
            self.waiting -= 1

    async def hash(self, key: str) -> str:
        return await self._run(lambda _, k: self.hasher.hash(k), "", key)

    async def verify(self, hashed: str | None, key: str) -> bool:
        """Checks the key; with no hash it checks a dummy one, so both paths take the same time."""
        if hashed is None:
            hashed = self._dummy
            key = key + "\x00unknown"
        return await self._run(self._verify, hashed, key)

    def _verify(self, hashed: str, key: str) -> bool:
        try:
            return self.hasher.verify(hashed, key)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self.hasher.check_needs_rehash(hashed)

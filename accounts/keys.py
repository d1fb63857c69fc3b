"""Access keys and one-time codes: generate, hash with argon2id off the event loop, verify."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import secrets
import string
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.language import gettext

ALPHABET = string.ascii_letters + string.digits
GENERATED_LENGTH = 12
MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's list of the 30,000 most common passwords, most common first, one a line: Dropbox's
# zxcvbn (MIT licence) ranked them from Xato's ten million leaked passwords; copied from the
# Python port zxcvbn 4.5.0 (MIT licence), so the check needs none of its strength estimator.
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
HASH_QUEUE = 32
M_ARENA_MAX = -8  # glibc's mallopt() parameter
RELEASE_AFTER = 1.0  # seconds without a hash before argon2's memory goes back to the system
T = TypeVar("T")


def generate_key() -> str:
    """A site-made access key: letters and digits, with at least one of each kind."""
    while True:
        key = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
        if any(c.isdigit() for c in key) and any(c.isalpha() for c in key):
            return key


def generate_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class Wordlist:
    """A file of one word a line, kept as its bytes (240 kB, where a set of its words takes 4 MB)
    and searched whole: a lookup takes at most about 0.1 ms, next to the 30 ms of hashing a key."""

    def __init__(self, path: Path) -> None:
        self.lines = b"\n" + path.read_bytes()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or "\n" in word:
            return False
        return f"\n{word}\n".encode(errors="surrogatepass") in self.lines

    def __len__(self) -> int:
        return self.lines.count(b"\n") - 1


@cache
def common_passwords() -> Wordlist:
    """Read at the first key a user chooses, not when the worker starts."""
    return Wordlist(COMMON_PASSWORDS)


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


def _heap_trimmer() -> Callable[[int], int] | None:
    """glibc's malloc_trim(), which gives the heap's free pages back to the system; None with
    another C library. Every thread is put on one heap (arena) first: argon2's block, freed at
    the top of its thread's own arena, would stay there for good, since trimming skips it."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(M_ARENA_MAX, 1)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


class HasherBusy(Exception):
    """The hash queue of this process is full: the caller should answer 503 with Retry-After."""

    retry_after = 2


class Hasher:
    """argon2id with the configured cost, in one low-priority thread: one hash at a time per
    process, so logins never take every core from the pages. At most `queue` hashes wait or
    run at once; beyond that a flood is refused at once instead of stalling every login.
    A hash's memory (19 MiB in production) is given back to the system once no hash has run for
    RELEASE_AFTER: back-to-back hashes reuse it, since mapping it afresh costs ~17 ms each."""

    def __init__(self, memory_kib: int, time_cost: int, queue: int = HASH_QUEUE) -> None:
        self._trim = _heap_trimmer()
        self._release: asyncio.TimerHandle | None = None
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self.hasher.hash(secrets.token_hex(16))
        self._thread = ThreadPoolExecutor(1, "argon2", initializer=_lower_priority)
        self.queue = queue
        self.waiting = 0

    async def _run(self, work: Callable[[str, str], T], hashed: str, key: str) -> T:
        if self.waiting >= self.queue:
            raise HasherBusy
        if self._release is not None:
            self._release.cancel()
        loop = asyncio.get_running_loop()
        self.waiting += 1
        try:
            return await loop.run_in_executor(self._thread, work, hashed, key)
        finally:
            self.waiting -= 1
            if not self.waiting and self._trim is not None:
                self._release = loop.call_later(RELEASE_AFTER, self._give_back, self._trim)

    def _give_back(self, trim: Callable[[int], int]) -> None:
        with contextlib.suppress(RuntimeError):  # the thread was shut down
            self._thread.submit(trim, 0)

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

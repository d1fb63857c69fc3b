"""The users' SVG tiles: a folder under DATA_DIR, or an S3 bucket."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

import anyio.to_thread

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,58}\.svg")
CONTENT_TYPE = "image/svg+xml"
CACHE_CONTROL = "public, max-age=86400"
# An upper bound on one S3 call, retries included: an outage answers in seconds.
S3_DEADLINE = 7.0


class StorageUnavailable(Exception):
    """The store could not be reached or failed; the caller may retry later."""


def valid_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def checked_name(name: str) -> str:
    if not valid_name(name):
        raise ValueError(f"not a tile name: {name!r}")
    return name


class TileStore(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def get(self, name: str) -> bytes | None: ...

    async def put(self, name: str, svg: bytes) -> None: ...

    async def delete(self, name: str) -> None: ...

    def url(self, name: str) -> str: ...


class LocalTileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def get(self, name: str) -> bytes | None:
        path = self.root / checked_name(name)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read tile {name}: {exc}") from exc

    async def put(self, name: str, svg: bytes) -> None:
        path = self.root / checked_name(name)
        try:
            await anyio.to_thread.run_sync(_write_atomically, path, svg)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write tile {name}: {exc}") from exc

    async def delete(self, name: str) -> None:
        path = self.root / checked_name(name)
        try:
            await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete tile {name}: {exc}") from exc

    def url(self, name: str) -> str:
        return f"/tiles/{checked_name(name)}"


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old tile or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The leading dot keeps a temporary file from ever being a valid tile name.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # public images, readable by a front server too
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise

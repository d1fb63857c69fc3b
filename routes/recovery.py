"""The forgotten key: ask for a one-time code, then set a new key with it."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []

"""Development only: every partial in each of its states, for designers."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []

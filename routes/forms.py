"""What every section's routes share: reading a form, and the answer to too many attempts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from accounts.checks import Throttled
from services.language import ngettext
from web.render import render

MAX_FIELD = 2048


async def form_values(request: Request, *names: str) -> dict[str, str]:
    """The named fields, bounded in length; NUL characters, which no text column holds, dropped."""
    form = await request.form(max_files=0, max_fields=50)
    return {name: str(form.get(name, "")).replace("\x00", "")[:MAX_FIELD] for name in names}


def wait_message(exc: Throttled) -> str:
    return ngettext(
        "Too many attempts. Please wait %(num)d second and try again.",
        "Too many attempts. Please wait %(num)d seconds and try again.",
        exc.retry_after,
    )


def retry_after(exc: Throttled) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


def throttled(
    request: Request,
    exc: Throttled,
    page: str,
    fragment: str,
    values: dict[str, Any],
    *,
    key: str = "error",
    message: str | None = None,
) -> Response:
    """429 with Retry-After: the form again, its `key` saying how long to wait."""
    return render(
        request,
        page,
        {**values, key: message or wait_message(exc)},
        fragment=fragment,
        status=429,
        headers=retry_after(exc),
    )

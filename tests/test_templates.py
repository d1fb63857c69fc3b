"""Templates see a small site context, never the settings object or a secret."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from jinja2 import ChainableUndefined, Environment
from starlette.applications import Starlette
from starlette.requests import Request

import settings as settings_module
from settings import Settings
from sql.sessions import CurrentUser
from web.render import context
from web.session import Session

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "SECRET_KEY": "template-test-secret-key-of-more-than-32-bytes",
    "DATABASE_URL": "postgresql://site:database-password-9f3@db.internal:5432/site",
    "SMTP_URL": "smtp://mailer:smtp-password-4c1@smtp.internal:587",
    "MAILER_URL": "https://mailer.internal",
    "MAILER_SECRET": "mailer-secret-of-more-than-32-bytes-7a2",
}
LEAKS = (
    "template-test-secret-key",
    "database-password-9f3",
    "smtp-password-4c1",
    "mailer-secret-of-more",
)
CARELESS = (
    "{{ settings.secret_key }}{{ config.secret_key }}{{ site.secret_key }}"
    "{{ request.app.state.services.settings.secret_key }}{{ request.scope }}"
)


class Anything(ChainableUndefined):
    """A value no template was given: callable and empty, so every file renders."""

    def __call__(self, *args: Any, **kwargs: Any) -> Anything:  # type: ignore[override]
        return self


@pytest.fixture(scope="module")
def site_app() -> Starlette:
    from app import create_app

    env = {
        "APP_ENV": "production",
        "BASE_URL": "https://example.com",
        "DATA_DIR": str(ROOT / ".data" / "templates-test"),
        **SECRETS,
    }
    return create_app(settings_module.load(env))


def page_context(app: Starlette) -> dict[str, Any]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "app": app,
        "session_cookie": Session(),
    }
    member = CurrentUser(7, "ada@example.com", "brave-otter-042917-teal", True, "t.svg", uuid4())
    return context(Request(scope), user=member, tile_url=lambda name: f"/tiles/{name}")


def template_names() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for folder in ("templates", "partials")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
    )


def reachable(value: Any, depth: int = 0) -> list[Any]:
    """The values in the context and what their attributes hold, a few levels down."""
    found = [value]
    if depth < 3 and is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            found += reachable(getattr(value, item.name), depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            found += reachable(item, depth + 1)
    return found


def test_every_template_renders_without_a_secret(site_app: Starlette) -> None:
    env: Environment = site_app.state.templates["en"].overlay(undefined=Anything)
    values = {**page_context(site_app), "static_url": lambda path: f"/static/{path}"}
    rendered = {name: env.get_template(name).render(values) for name in template_names()}
    assert len(rendered) > 40
    assert "https://example.com" in rendered["templates/base.html"]
    for name, text in rendered.items():
        assert not [leak for leak in LEAKS if leak in text], name


def test_careless_lookups_find_no_settings_and_no_secret(site_app: Starlette) -> None:
    env: Environment = site_app.state.templates["en"].overlay(undefined=Anything)
    values = page_context(site_app)
    assert not any(isinstance(v, Settings) for v in reachable(values))
    text = env.from_string(CARELESS).render(values)
    assert not [leak for leak in LEAKS if leak in text]

"""The fixtures every test module may ask for: PostgreSQL, the mailbox, the app and a client.

The classes and helpers they use live in tests/servers.py and tests/forms.py; test modules
import those from there, never from this file. The environment is set here, first, so the app
sees it whenever a test imports it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.servers import RUN_DIR, Mailbox, Postgres, app_env

# Before any app module is imported: app.py builds its app from the environment on import.
os.environ.update({"APP_ENV": "test", "DATA_DIR": str(RUN_DIR / "app")})

import settings as settings_module
from accounts.runtime import Clock
from sql.pool import PooledDatabase


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = Postgres(RUN_DIR / "pg")
    yield pg
    pg.server.cleanup()
    shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def database_url(postgres: Postgres) -> str:
    return postgres.create_database()


@pytest.fixture(scope="session")
async def app(database_url: str, mailbox: Mailbox) -> AsyncIterator[Any]:
    from app import create_app

    application = create_app(settings_module.load(app_env(database_url, SMTP_URL=mailbox.url)))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def db(app: Any) -> PooledDatabase:
    database: PooledDatabase = app.state.services.db
    return database


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def strict_app(postgres: Postgres, mailbox: Mailbox) -> AsyncIterator[Any]:
    """An app with the default throttle limits, on a database of its own."""
    from app import create_app

    env = app_env(postgres.create_database(), SMTP_URL=mailbox.url)
    for name in (
        "THROTTLE_SIGNUP_IP",
        "THROTTLE_LOGIN_IP",
        "THROTTLE_FORGOT_IP",
        "THROTTLE_LOGIN_CODE_IP",
    ):
        env.pop(name)
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def clock(app: Any) -> Iterator[Clock]:
    """The app's one clock, which rules read the time from: a test moves it, then it is put
    back."""
    moved: Clock = app.state.services.clock
    yield moved
    moved.offset = timedelta()

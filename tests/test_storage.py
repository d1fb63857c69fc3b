from __future__ import annotations

import asyncio
import os
import stat
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio.to_thread
import httpx
import pytest
from aiobotocore.session import get_session
from starlette.applications import Starlette

import settings
from accounts.runtime import tile_store as make_store
from routes import tiles
from services import tiles as storage
from services.s3tiles import S3TileStore
from services.tiles import LocalTileStore, StorageUnavailable, valid_name
from sql import tile_jobs
from sql.pool import PooledDatabase
from tests.servers import MotoServer

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>'
)
OTHER_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
NAME = "brave-otter-123456-teal.svg"
INVALID_NAMES = [
    "../x.svg",
    "a/b.svg",
    "x.txt",
    "",
    ".svg",
    "-x.svg",
    "X.svg",
    "x.svg\n",
    "x.svg/",
    "a" * 60 + ".svg",
]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Moto's dummy credentials, and nothing read from this machine's AWS set-up."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@asynccontextmanager
async def s3_client(endpoint_url: str) -> AsyncIterator[Any]:
    """A client of the test's own, to check what the store wrote."""
    async with get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=endpoint_url
    ) as client:
        yield client


async def new_bucket(endpoint_url: str, bucket: str | None = None) -> str:
    bucket = bucket or f"tiles-{uuid.uuid4().hex[:12]}"
    async with s3_client(endpoint_url) as client:
        await client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
async def bucket(aws_env: None, moto: MotoServer) -> str:
    return await new_bucket(moto.url)


@pytest.fixture
async def s3_store(bucket: str, moto: MotoServer) -> AsyncIterator[S3TileStore]:
    store = S3TileStore(bucket, endpoint_url=moto.url, region="us-east-1")
    await store.start()
    yield store
    await store.close()


async def test_local_store_round_trips_a_tile(tmp_path: Path) -> None:
    store = LocalTileStore(tmp_path / "tiles")
    assert await store.get(NAME) is None

    await store.put(NAME, SVG)
    assert await store.get(NAME) == SVG
    assert store.url(NAME) == f"/tiles/{NAME}"

    await store.delete(NAME)
    assert await store.get(NAME) is None
    await store.delete(NAME)


async def test_local_store_replaces_a_tile_in_one_step(tmp_path: Path) -> None:
    store = LocalTileStore(tmp_path)
    await store.put(NAME, SVG)
    await store.put(NAME, OTHER_SVG)

    assert await store.get(NAME) == OTHER_SVG
    assert os.listdir(tmp_path) == [NAME]
    assert stat.S_IMODE((tmp_path / NAME).stat().st_mode) == 0o644


async def test_local_store_keeps_the_old_tile_when_a_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalTileStore(tmp_path)
    await store.put(NAME, SVG)

    def disk_full(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", disk_full)
    with pytest.raises(StorageUnavailable):
        await store.put(NAME, OTHER_SVG)
    monkeypatch.undo()

    assert await store.get(NAME) == SVG
    assert os.listdir(tmp_path) == [NAME]


@pytest.mark.parametrize("name", INVALID_NAMES)
async def test_tile_names_that_could_escape_the_folder_are_rejected(
    tmp_path: Path, name: str
) -> None:
    store = LocalTileStore(tmp_path / "tiles")
    assert not valid_name(name)
    with pytest.raises(ValueError, match="not a tile name"):
        await store.put(name, SVG)
    with pytest.raises(ValueError, match="not a tile name"):
        await store.get(name)
    with pytest.raises(ValueError, match="not a tile name"):
        await store.delete(name)
    with pytest.raises(ValueError, match="not a tile name"):
        store.url(name)
    assert not (tmp_path / "tiles").exists()


def test_nicknames_and_the_longest_names_are_valid_tile_names() -> None:
    assert valid_name(NAME)
    assert valid_name("a.svg")
    assert valid_name("a" * 59 + ".svg")


async def test_s3_store_writes_a_tile_as_an_svg_object(
    s3_store: S3TileStore, bucket: str, moto: MotoServer
) -> None:
    await s3_store.put(NAME, SVG)

    async with s3_client(moto.url) as client:
        listing = await client.list_objects_v2(Bucket=bucket)
        keys = [item["Key"] for item in listing["Contents"]]
        stored = await client.get_object(Bucket=bucket, Key=keys[0])
        async with stored["Body"] as body:
            content = await body.read()
    assert keys == [f"tiles/{NAME}"]
    assert keys[0].endswith(".svg")
    assert stored["ContentType"] == "image/svg+xml"
    assert stored["CacheControl"] == "public, max-age=86400"
    assert content == SVG


async def test_s3_store_reads_back_then_deletes_a_tile(
    s3_store: S3TileStore, bucket: str, moto: MotoServer
) -> None:
    await s3_store.put(NAME, SVG)
    assert await s3_store.get(NAME) == SVG

    await s3_store.delete(NAME)

    assert await s3_store.get(NAME) is None
    async with s3_client(moto.url) as client:
        listing = await client.list_objects_v2(Bucket=bucket)
    assert listing["KeyCount"] == 0
    await s3_store.delete(NAME)


async def test_s3_store_finds_no_unknown_tile(s3_store: S3TileStore) -> None:
    assert await s3_store.get("never-stored.svg") is None


async def test_s3_store_reports_an_outage_promptly_then_recovers(aws_env: None) -> None:
    with MotoServer() as server:
        bucket = await new_bucket(server.url)
        store = S3TileStore(bucket, endpoint_url=server.url, region="us-east-1")
        await store.start()
        try:
            await store.put(NAME, SVG)
            await anyio.to_thread.run_sync(server.stop)

            attempts: list[Callable[[], Awaitable[object]]] = [
                lambda: store.put(NAME, OTHER_SVG),
                lambda: store.delete(NAME),
                lambda: store.get(NAME),
            ]
            for attempt in attempts:
                started = time.monotonic()
                with pytest.raises(StorageUnavailable):
                    await attempt()
                assert time.monotonic() - started < 5

            await anyio.to_thread.run_sync(server.start)
            await new_bucket(server.url, bucket)
            await store.put(NAME, OTHER_SVG)
            assert await store.get(NAME) == OTHER_SVG
        finally:
            await store.close()


async def test_s3_store_gives_up_on_a_server_that_never_answers(aws_env: None) -> None:
    requests: list[bytes] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = S3TileStore("tiles", endpoint_url=f"http://127.0.0.1:{port}", deadline=1.0)
    await store.start()
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await store.put(NAME, SVG)
        assert time.monotonic() - started < 3
    finally:
        await store.close()
        server.close()
        await server.wait_closed()
    assert requests[0].startswith(b"PUT /tiles/tiles/")
    assert b"expect:" not in requests[0].lower()


def test_s3_tile_urls_point_at_the_bucket_only_when_it_is_public() -> None:
    public = S3TileStore("b", public_base_url="https://tiles.example.com/")
    assert public.url(NAME) == f"https://tiles.example.com/tiles/{NAME}"
    assert S3TileStore("b").url(NAME) == f"/tiles/{NAME}"


def test_settings_choose_the_store(tmp_path: Path) -> None:
    env = {"APP_ENV": "test", "DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 40}
    local = make_store(settings.load(env))
    assert isinstance(local, LocalTileStore)
    assert local.root == tmp_path / "tiles"

    s3 = make_store(
        settings.load(
            {
                **env,
                "S3_BUCKET": "avatars",
                "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
                "AWS_DEFAULT_REGION": "eu-west-1",
                "TILES_BASE_URL": "https://cdn.example.com",
            }
        )
    )
    assert isinstance(s3, S3TileStore)
    assert (s3.bucket, s3.endpoint_url, s3.region) == (
        "avatars",
        "http://127.0.0.1:9000",
        "eu-west-1",
    )
    assert s3.url(NAME) == f"https://cdn.example.com/tiles/{NAME}"


class DownStore(LocalTileStore):
    async def get(self, name: str) -> bytes | None:
        raise StorageUnavailable("S3 is down")


@asynccontextmanager
async def tiles_client(
    store: storage.TileStore, db: PooledDatabase
) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=tiles.routes)
    app.state.services = SimpleNamespace(tiles=store, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_tile_route_serves_a_stored_tile_that_cannot_run_script(
    tmp_path: Path, db: PooledDatabase
) -> None:
    store = LocalTileStore(tmp_path)
    await store.put(NAME, SVG)
    async with tiles_client(store, db) as client:
        response = await client.get(f"/tiles/{NAME}")
        head = await client.head(f"/tiles/{NAME}")

    assert response.status_code == 200
    assert response.content == SVG
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert head.status_code == 200
    assert head.headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/nobody.svg",
        "/tiles/x.txt",
        "/tiles/..%2Fsecret_key",
        "/tiles/a/b.svg",
        "/tiles/X.svg",
    ],
)
async def test_tile_route_answers_404_for_unknown_and_invalid_names(
    tmp_path: Path, path: str, db: PooledDatabase
) -> None:
    (tmp_path / "secret_key").write_text("not a tile")
    (tmp_path / "x.txt").write_text("not a tile")
    async with tiles_client(LocalTileStore(tmp_path / "tiles"), db) as client:
        response = await client.get(path)
    assert response.status_code == 404


async def test_tile_route_serves_a_tile_still_waiting_for_a_store_that_is_down(
    tmp_path: Path, db: PooledDatabase
) -> None:
    name = f"tile-{uuid.uuid4().hex[:12]}.svg"
    async with tiles_client(DownStore(tmp_path), db) as client:
        assert (await client.get(f"/tiles/{name}")).status_code == 404
        await tile_jobs.add(db, "put", name, SVG.decode())
        response = await client.get(f"/tiles/{name}")
    assert response.status_code == 200 and response.content == SVG
    assert response.headers["cache-control"] == "no-store"

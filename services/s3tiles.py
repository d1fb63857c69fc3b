"""The tile store in an S3 bucket (or MinIO), through aiobotocore: imported only when used."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from services.tiles import (
    CACHE_CONTROL,
    CONTENT_TYPE,
    S3_DEADLINE,
    StorageUnavailable,
    checked_name,
)

MISSING_CODES = frozenset({"NoSuchKey", "404"})
# A read serves a request (/tiles/...): it gives up sooner, and the page falls back.
S3_READ_DEADLINE = 2.0


@contextlib.asynccontextmanager
async def _s3_call(action: str, name: str, deadline: float) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(deadline):
            yield
    except (BotoCoreError, ClientError, aiohttp.ClientError, OSError) as exc:
        # OSError covers the deadline's TimeoutError.
        raise StorageUnavailable(f"S3 {action} of tile {name} failed: {exc!r}") from exc


def _without_expect_continue(request: Any, **kwargs: Any) -> None:
    """Send a tile in one go: aiohttp starts no read timeout while it waits for a
    100 Continue, so a server that never answers would hang the upload."""
    if "Expect" in request.headers:
        del request.headers["Expect"]


class S3TileStore:
    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        public_base_url: str | None = None,
        deadline: float = S3_DEADLINE,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.deadline = deadline
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def start(self) -> None:
        if self._client is not None:
            return
        config = AioConfig(
            connect_timeout=2,
            read_timeout=5,
            retries={"max_attempts": 1, "mode": "standard"},
            # S3-compatible servers (MinIO, moto) rarely resolve bucket subdomains.
            s3={"addressing_style": "path" if self.endpoint_url else "auto"},
            # Checksums only where S3 requires them: not every S3-compatible server knows them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            warm_up_loader_caches=True,
        )
        stack = contextlib.AsyncExitStack()
        client = await stack.enter_async_context(
            get_session().create_client(
                "s3", region_name=self.region, endpoint_url=self.endpoint_url, config=config
            )
        )
        client.meta.events.register("before-sign.s3.PutObject", _without_expect_continue)
        self._stack, self._client = stack, client

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("S3TileStore.start() has not been awaited")
        return self._client

    async def get(self, name: str) -> bytes | None:
        key = self._key(name)
        async with _s3_call("get", name, min(self.deadline, S3_READ_DEADLINE)):
            try:
                response = await self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
                    return None
                raise
            async with response["Body"] as body:
                data: bytes = await body.read()
                return data

    async def put(self, name: str, svg: bytes) -> None:
        key = self._key(name)
        async with _s3_call("put", name, self.deadline):
            await self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=svg,
                ContentType=CONTENT_TYPE,
                CacheControl=CACHE_CONTROL,
            )

    async def delete(self, name: str) -> None:
        key = self._key(name)
        async with _s3_call("delete", name, self.deadline):
            await self.client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, name: str) -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/tiles/{checked_name(name)}"
        return f"/tiles/{checked_name(name)}"

    @staticmethod
    def _key(name: str) -> str:
        return f"tiles/{checked_name(name)}"

"""Keys derived from SECRET_KEY, one per purpose, and from SECRET_KEY_FALLBACKS for reading.

Everything new is sealed or signed with SECRET_KEY; what older keys made still opens, so
rotating SECRET_KEY destroys nothing: move the old key into SECRET_KEY_FALLBACKS, and drop it
once what it made has expired or been re-sealed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@cache
def derive(secret_key: str, info: bytes) -> bytes:
    """32 bytes for one purpose (`info`), from one secret key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode()
    )


class Keyring:
    """SECRET_KEY first, then its fallbacks: seal and sign with the first, open with any."""

    def __init__(self, secret_key: str, fallbacks: tuple[str, ...] = ()) -> None:
        self.keys = (secret_key, *fallbacks)

    def fernet(self, info: bytes) -> MultiFernet:
        """Encrypts with SECRET_KEY's key for `info`; decrypts with any key's."""
        return MultiFernet(
            [Fernet(base64.urlsafe_b64encode(derive(key, info))) for key in self.keys]
        )

    def mac(self, info: bytes, message: bytes) -> bytes:
        """HMAC-SHA256 of `message` under SECRET_KEY's key for `info`."""
        return hmac.new(derive(self.keys[0], info), message, hashlib.sha256).digest()

    def macs(self, info: bytes, message: bytes) -> list[bytes]:
        """The HMAC under every key, SECRET_KEY's first: what to look a stored one up by."""
        return [hmac.new(derive(key, info), message, hashlib.sha256).digest() for key in self.keys]

"""A software passkey for the HTTP tests: it answers WebAuthn options as a browser's
`credential.toJSON()` would (packed as "none" attestation, ES256, user verified), so a test can
add a passkey, sign in with it or pass the second step without a browser.

`python -m tests.softkey` records the responses in tests/data/passkeys/ once: the unit tests
read them back, so they check py_webauthn against fixed bytes rather than bytes made fresh."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

DATA = Path(__file__).parent / "data" / "passkeys"
UP, UV, AT = 0x01, 0x04, 0x40


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftKey:
    """One discoverable credential on one authenticator, for one relying party."""

    def __init__(self, rp_id: str = "testserver", origin: str = "http://testserver") -> None:
        self.rp_id, self.origin = rp_id, origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.user_handle = b""
        self.count = 0

    def public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return bytes(cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y}))

    def auth_data(self, flags: int, count: int, attested: bool = False) -> bytes:
        data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags])
        data += count.to_bytes(4, "big")
        if attested:
            data += bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
            data += self.public_key()
        return data

    def client_data(self, kind: str, challenge: str, origin: str | None = None) -> bytes:
        values = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**values, "crossOrigin": False}).encode()

    def register(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """The answer to navigator.credentials.create() with these options."""
        self.user_handle = unb64(options["user"]["id"])
        client_data = self.client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": self.auth_data(UP | UV | AT, 0, True)}
        )
        response = {
            "clientDataJSON": b64(client_data),
            "attestationObject": b64(attestation),
            "transports": ["internal"],
        }
        return self._credential(response)

    def sign(
        self,
        options: dict[str, Any],
        *,
        count: int | None = None,
        verified: bool = True,
        origin: str | None = None,
    ) -> dict[str, Any]:
        """The answer to navigator.credentials.get(); the counter goes up by one unless given."""
        if count is None:
            self.count += 1
            count = self.count
        client_data = self.client_data("webauthn.get", options["challenge"], origin)
        data = self.auth_data(UP | (UV if verified else 0), count)
        signed = data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(data),
            "signature": b64(signature),
            "userHandle": b64(self.user_handle),
        }
        return self._credential(response)

    def _credential(self, response: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def record() -> None:
    """Writes the recorded ceremonies: a registration and the assertions the unit tests use."""
    DATA.mkdir(parents=True, exist_ok=True)
    key = SoftKey()
    handle = b64(hashlib.sha256(b"recorded user handle").digest())
    made = {"challenge": b64(hashlib.sha256(b"registration challenge").digest())}
    asked = {"challenge": b64(hashlib.sha256(b"authentication challenge").digest())}
    records = {
        "registration": {
            **made,
            "user_handle": handle,
            "credential": key.register({**made, "user": {"id": handle}}),
        },
        "authentication": {**asked, "credential": key.sign(asked, count=7)},
        "authentication_synced": {**asked, "credential": key.sign(asked, count=0)},
        "authentication_unverified": {**asked, "credential": key.sign(asked, verified=False)},
        "authentication_phished": {
            **asked,
            "credential": key.sign(asked, count=8, origin="http://testserver.evil.example"),
        },
    }
    for name, value in records.items():
        (DATA / f"{name}.json").write_text(json.dumps(value, indent=2) + "\n")


if __name__ == "__main__":
    record()

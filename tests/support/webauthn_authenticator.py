"""A software security key: makes the real WebAuthn responses a browser would post, with a real P-256 key,
so the tests of security keys go through the pages with real signatures and nothing stubbed.

Registration answers with a "none" attestation (WebAuthn Level 2 §8.7): authenticator data with the RP id
hash, the flags, the signature counter and the attested credential data (AAGUID, credential id, COSE key),
CBOR-encoded. Authentication signs authenticatorData || SHA-256(clientDataJSON) with ECDSA (§6.3.3). Each
response can be bent (another origin, RP id, challenge or counter) for the tests of what must be refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

#: Authenticator data flags (§6.1): user present, user verified, attested credential data included.
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class SoftwareAuthenticator:
    """One credential on one authenticator, for the relying party `rp_id` at `origin`."""

    rp_id: str
    origin: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=_new_key)
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: The signature counter, incremented before each assertion as a real key does.
    sign_count: int = 0

    @property
    def credential_id_b64(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key (RFC 9053 §7.1.1): EC2, ES256, P-256."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def _authenticator_data(self, rp_id: str | None, flags: int, count: int, attested: bytes = b"") -> bytes:
        rp_id_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", count) + attested

    def register(
        self,
        options_json: str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> str:
        """What `navigator.credentials.create()` gives for these options, as the page's script posts it."""
        options: dict[str, Any] = json.loads(options_json)
        excluded = {descriptor["id"] for descriptor in options.get("excludeCredentials", [])}
        if self.credential_id_b64 in excluded:
            raise ValueError("InvalidStateError: this authenticator is already registered")
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attested = (
            bytes(16)  # AAGUID: none given, as with "none" attestation
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_public_key()
        )
        auth_data = self._authenticator_data(rp_id, UP | UV | AT, self.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": self.credential_id_b64,
                "rawId": self.credential_id_b64,
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["usb"],
                },
                "clientExtensionResults": {},
            }
        )

    def sign_in(
        self,
        options_json: str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
        sign_count: int | None = None,
        ignore_allowed: bool = False,
    ) -> str:
        """What `navigator.credentials.get()` gives for these options, signed with this key. A browser only
        offers a key the options allow; `ignore_allowed` plays a hostile client that posts one anyway."""
        options: dict[str, Any] = json.loads(options_json)
        allowed = {descriptor["id"] for descriptor in options.get("allowCredentials", [])}
        if not ignore_allowed and self.credential_id_b64 not in allowed:
            raise ValueError("NotAllowedError: the options do not allow this authenticator")
        if sign_count is None:
            self.sign_count += 1
            sign_count = self.sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = self._authenticator_data(rp_id, UP | UV, sign_count)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": self.credential_id_b64,
                "rawId": self.credential_id_b64,
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                },
                "clientExtensionResults": {},
            }
        )

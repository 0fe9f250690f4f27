"""The service's own key pair (EC P-256, ES256): it signs the client assertions (`private_key_jwt`) and
its public half is published at `/jwks.json`, from which govhub reads it (the client's `jwks_uri`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey

from govhub.demo_service.settings import DemoServiceSettings


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def load_key(settings: DemoServiceSettings) -> ECKey:
    """The service's sign-in key: the configured one, else the one kept in `key_file`, else a new one."""
    return key_from(settings.private_jwk.get_secret_value(), settings.key_file)


def load_subsystem_key(settings: DemoServiceSettings) -> ECKey:
    """The key of the council's exchange subsystem (its client assertions for gateway tokens), kept apart
    from the sign-in key: the platform registered it with the subsystem's membership application."""
    return key_from(settings.subsystem_private_jwk.get_secret_value(), settings.subsystem_key_file)


def key_from(configured: str, key_file: str) -> ECKey:
    """The configured key (JWK text), else the one kept in `key_file`, else a new one written there."""
    if configured:
        key = ECKey.import_key(json.loads(configured))
        key.ensure_kid()
        return key
    path = Path(key_file)
    if path.exists():
        key = ECKey.import_key(json.loads(path.read_text()))
        key.ensure_kid()
        return key
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Private key material: readable by its owner only, and never half-written.
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(key.as_dict(private=True), handle)
    temporary.replace(path)
    return key


def public_jwks(key: ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False, use="sig", alg="ES256")]}

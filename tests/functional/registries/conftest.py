"""The registries' tests call the API as GovStack's clients do, with the bare `Information-Mediator-Client`
header: from a trusted mediator's network, GovStack's own model (an X-Road security server in front). The
test client's address is 127.0.0.1 (httpx's ASGI transport), which these settings trust; the tests of the
other ways to identify, and of an untrusted address, are in `test_callers.py`."""

from __future__ import annotations

import pytest

from govhub.config import Settings
from tests.conftest import make_settings

#: Where the test client's requests come from (httpx.ASGITransport's default client address).
MEDIATOR_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url, registries_trusted_mediators=MEDIATOR_NETWORKS)

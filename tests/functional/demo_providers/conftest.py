"""The demo exchange registers the blue badge provider at a loopback address: its address is allowed
(as `make run` allows loopback for the demo providers)."""

from __future__ import annotations

import pytest

from govhub.config import Settings
from tests.conftest import make_settings
from tests.support.outbound import LOOPBACK


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url, gateway_allowed_networks=LOOPBACK)

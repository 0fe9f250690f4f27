"""The blue badge provider's settings, from `GOVHUB_DEMO_BLUE_BADGE_*` variables (or the `.env` file), and
the demo network's names for it, which `govhub demo load` registers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TRUST_NAME = "Demo Hospitals NHS Foundation Trust"
#: The trust's member code (an ODS-like code) and the subsystem and service it registers.
TRUST_CODE = "RDEMO1"
SUBSYSTEM_CODE = "blue-badge"
SERVICE_CODE = "eligibility"
#: The one endpoint the council is granted.
ELIGIBILITY_ENDPOINT = "GET /eligibility"


def service_id_of(instance: str) -> str:
    return f"{instance}/NHS/{TRUST_CODE}/{SUBSYSTEM_CODE}/{SERVICE_CODE}"


class BlueBadgeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_DEMO_BLUE_BADGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8002
    #: Where the gateway reaches this service: the base URL registered for it.
    public_url: str = "http://127.0.0.1:8002"
    #: govhub's issuer: the gateway's assertions are signed by it, its JWKS is at
    #: `/.well-known/jwks.json`.
    platform_url: str = "http://127.0.0.1:8000"
    #: This service's id in the network: the audience of the gateway's assertions.
    service_id: str = service_id_of("GOVHUB-DEV")
    #: production: only requests the gateway forwarded are answered; development: a request without the
    #: gateway's assertion is answered too (one with an assertion is still checked).
    environment: Literal["development", "production"] = "development"
    #: The trust's demo records, keyed by X-Road-UserId (written by `govhub demo load`).
    records_file: str = "var/demo-blue-badge-records.json"
    trust_name: str = TRUST_NAME

    @field_validator("public_url", "platform_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def enforce_gateway(self) -> bool:
        return self.environment == "production"

    @property
    def jwks_url(self) -> str:
        return f"{self.platform_url}/.well-known/jwks.json"

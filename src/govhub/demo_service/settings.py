"""The demo service's settings, from `GOVHUB_DEMO_SERVICE_*` variables (or the `.env` file)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from govhub.config import contrast_with_white

DEFAULT_CLIENT_ID = "demo-parking-permits"
#: The council as a member of the data exchange (class GOV) and its parking-permit subsystem, which calls
#: the NHS trust's blue badge eligibility service through the gateway.
COUNCIL_CODE = "E07000999"
SUBSYSTEM_CODE = "parking-permits"
PURPOSE = "Resident parking permit application"


def subsystem_id_of(instance: str) -> str:
    return f"{instance}/GOV/{COUNCIL_CODE}/{SUBSYSTEM_CODE}"


class DemoServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVHUB_DEMO_SERVICE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    #: govhub's issuer: its public URL, where `/.well-known/openid-configuration` is found.
    issuer_url: str = "http://127.0.0.1:8000"
    client_id: str = DEFAULT_CLIENT_ID
    #: The address people use to reach this service; redirect and logout URIs are made from it.
    public_url: str = "http://127.0.0.1:8001"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8001
    #: The service's private signing key as a JWK (JSON text). Empty: kept in `key_file`, made on first use,
    #: so the key govhub fetched from `/jwks.json` stays the same across restarts.
    private_jwk: SecretStr = SecretStr("")
    key_file: str = "var/demo-service-key.json"
    #: The gateway (govhub's own URL unless it is served apart), the council's subsystem there, its private
    #: key (a JWK; empty: kept in `subsystem_key_file`, made by `govhub demo load`, which registers its
    #: public half) and the service it calls for a blue badge check.
    gateway_url: str = "http://127.0.0.1:8000"
    subsystem_id: str = subsystem_id_of("GOVHUB-DEV")
    subsystem_private_jwk: SecretStr = SecretStr("")
    subsystem_key_file: str = "var/demo-service-subsystem-key.json"
    eligibility_service: str = "GOVHUB-DEV/NHS/RDEMO1/blue-badge/eligibility"
    council_name: Annotated[str, Field(min_length=1, max_length=80)] = "Demo Borough Council"
    service_name: str = "Apply for a resident parking permit"
    #: Header colour; white text sits on it (WCAG 2.2 AA, 4.5:1).
    brand_colour: str = "#005a30"

    @field_validator("issuer_url", "public_url", "gateway_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("brand_colour")
    @classmethod
    def _readable_on_white_text(cls, value: str) -> str:
        if contrast_with_white(value) < 4.5:
            raise ValueError(f"white header text on {value} is below WCAG 2.2 AA contrast (4.5:1)")
        return value

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.public_url}/signed-out"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{self.public_url}/backchannel-logout"

    @property
    def jwks_uri(self) -> str:
        return f"{self.public_url}/jwks.json"

    @property
    def subsystem_client_id(self) -> str:
        """The OAuth client id of the council's subsystem (its id with `.` for `/`)."""
        return self.subsystem_id.replace("/", ".")

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

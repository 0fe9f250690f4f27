"""Bodies of the relying-party admin API (`/identity/clients`), camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from govhub.identity.oidc.clients.service import ClientRegistration
from govhub.identity.oidc.models import RelyingParty


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ClientCreate(_Camel):
    name: str = Field(description="The service's name, shown to people on the consent screen.")
    organisation: str = Field(description="Who runs the service.")
    purpose: str = Field("", description="What the service uses people's data for (consent screen).")
    client_id: str | None = Field(None, description="Chosen id; a random one when left out.")
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    backchannel_logout_uri: str | None = None
    token_endpoint_auth_method: str = Field("private_key_jwt", description="Or client_secret_post.")
    jwks: dict[str, Any] | None = Field(None, description="The client's public keys, a JWK Set.")
    jwks_uri: str | None = Field(None, description="Or where to fetch them.")
    id_token_signed_response_alg: str = Field("ES256", description="ES256 or RS256.")
    sector_identifier: str | None = Field(None, description="Pairwise subjects are shared in a sector.")
    subject_type: str = Field("pairwise", description="pairwise or public.")
    grant_types: list[str] = Field(default_factory=list, max_length=3)
    allowed_scopes: list[str] = Field(default_factory=list, max_length=50)
    allowed_levels: list[str] = Field(default_factory=lambda: ["Cl", "Cl.Cm"], max_length=10)
    require_par: bool = False
    require_dpop: bool = False
    exchange_subsystem: str | None = Field(
        None,
        description="The data exchange subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM) that acts for the people "
        "signed in to this service: the gateway accepts their tokens (with the govhub:exchange-on-behalf "
        "scope) from that subsystem only.",
    )

    def registration(self) -> ClientRegistration:
        return ClientRegistration(**self.model_dump())


class ClientView(_Camel):
    client_id: str
    name: str
    organisation: str
    purpose: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None
    token_endpoint_auth_method: str
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    id_token_signed_response_alg: str
    sector_identifier: str
    subject_type: str
    grant_types: list[str]
    allowed_scopes: list[str]
    allowed_levels: list[str]
    require_par: bool
    require_dpop: bool
    created_at: datetime
    disabled_at: datetime | None
    exchange_subsystem: str | None

    @classmethod
    def of(cls, client: RelyingParty) -> ClientView:
        return cls.model_validate({name: getattr(client, name) for name in cls.model_fields})


class CreatedClient(ClientView):
    client_secret: str | None = Field(
        None, description="For client_secret_post only: shown this once, kept only as a hash."
    )

"""Identity: the OpenID Connect provider (relying parties, keys, codes, tokens, consent, logout).

Revision ID: 0007_oidc
Revises: 0006_identity_sessions
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_oidc"
down_revision: str | None = "0006_identity_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_authorization_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_uri", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("pushed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_authorization_requests")),
        sa.UniqueConstraint("request_uri", name=op.f("uq_oidc_authorization_requests_request_uri")),
    )
    with op.batch_alter_table("oidc_authorization_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_authorization_requests_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=2000), nullable=True),
        sa.Column("token_endpoint_auth_method", sa.String(length=40), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("jwks", sa.JSON(), nullable=True),
        sa.Column("jwks_uri", sa.String(length=2000), nullable=True),
        sa.Column("id_token_signed_response_alg", sa.String(length=10), nullable=False),
        sa.Column("sector_identifier", sa.String(length=200), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("allowed_scopes", sa.JSON(), nullable=False),
        sa.Column("allowed_levels", sa.JSON(), nullable=False),
        sa.Column("require_par", sa.Boolean(), nullable=False),
        sa.Column("require_dpop", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oidc_clients_client_id")),
    )
    op.create_table(
        "oidc_logout_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=False),
        sa.Column("uri", sa.String(length=2000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_logout_deliveries_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_logout_deliveries")),
    )
    with op.batch_alter_table("oidc_logout_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_logout_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False
        )
    op.create_table(
        "oidc_revoked_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_revoked_access_tokens")),
        sa.UniqueConstraint("jti", name=op.f("uq_oidc_revoked_access_tokens_jti")),
    )
    op.create_table(
        "oidc_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_jwk", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_oidc_signing_keys_kid")),
    )
    op.create_table(
        "oidc_used_jtis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_used_jtis")),
        sa.UniqueConstraint("kind", "issuer", "jti", name=op.f("uq_oidc_used_jtis_kind_issuer_jti")),
    )
    with op.batch_alter_table("oidc_used_jtis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_used_jtis_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "oidc_authorization_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("nonce", sa.String(length=500), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("vot", sa.String(length=40), nullable=False),
        sa.Column("acr", sa.String(length=200), nullable=True),
        sa.Column("requested_by_vtr", sa.Boolean(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=True),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dpop_jkt", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_authorization_codes_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_authorization_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oidc_authorization_codes_code_hash")),
    )
    op.create_table(
        "oidc_client_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_client_sessions_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_client_sessions")),
        sa.UniqueConstraint("sid", "client_id", name=op.f("uq_oidc_client_sessions_sid_client_id")),
    )
    with op.batch_alter_table("oidc_client_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_client_sessions_sid"), ["sid"], unique=False)
    op.create_table(
        "oidc_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_consents_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_consents")),
        sa.UniqueConstraint("account_id", "client_id", name=op.f("uq_oidc_consents_account_id_client_id")),
    )
    op.create_table(
        "oidc_consent_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_consent_revisions_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_consent_revisions")),
    )
    with op.batch_alter_table("oidc_consent_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oidc_consent_revisions_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "oidc_refresh_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=43), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=43), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("vot", sa.String(length=40), nullable=False),
        sa.Column("dpop_jkt", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["identity_accounts.id"],
            name=op.f("fk_oidc_refresh_tokens_account_id_identity_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oidc_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("oidc_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_refresh_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oidc_refresh_tokens_sid"), ["sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oidc_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_tokens_sid"))
        batch_op.drop_index(batch_op.f("ix_oidc_refresh_tokens_family_id"))
    op.drop_table("oidc_refresh_tokens")
    with op.batch_alter_table("oidc_consent_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_consent_revisions_account_id"))
    op.drop_table("oidc_consent_revisions")
    op.drop_table("oidc_consents")
    with op.batch_alter_table("oidc_client_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_client_sessions_sid"))
    op.drop_table("oidc_client_sessions")
    op.drop_table("oidc_authorization_codes")
    with op.batch_alter_table("oidc_used_jtis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_used_jtis_expires_at"))
    op.drop_table("oidc_used_jtis")
    op.drop_table("oidc_signing_keys")
    op.drop_table("oidc_revoked_access_tokens")
    with op.batch_alter_table("oidc_logout_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_logout_deliveries_next_attempt_at"))
    op.drop_table("oidc_logout_deliveries")
    op.drop_table("oidc_clients")
    with op.batch_alter_table("oidc_authorization_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_authorization_requests_expires_at"))
    op.drop_table("oidc_authorization_requests")

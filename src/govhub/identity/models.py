"""Every table of the identity block, registered with the metadata (`govhub.blocks.import_all_models` and
Alembic import this module): accounts and their sessions, organisations and representatives, identities
proved against a register (P2), security keys, and the OpenID Connect provider's tables. Each sub-package
owns its models; this module only imports them."""

from __future__ import annotations

from govhub.identity.accounts import models as _account_models  # noqa: F401
from govhub.identity.oidc import models as _oidc_models  # noqa: F401
from govhub.identity.organisations import models as _organisation_models  # noqa: F401
from govhub.identity.proving import models as _proving_models  # noqa: F401
from govhub.identity.security_keys import models as _security_key_models  # noqa: F401

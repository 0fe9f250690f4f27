"""The identity block's errors, each with a fixed HTTP status."""

from __future__ import annotations

from govhub.kit.errors import Conflict, GovhubError


class AccountExists(Conflict):
    slug = "account-exists"
    title = "An account with that email address exists"


class InvalidAccount(GovhubError):
    """Account details that cannot be used; `field_errors` names each one."""

    status = 422
    slug = "invalid-account"
    title = "Invalid account details"

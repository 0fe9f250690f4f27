"""Issue 14, finding 5: the ids the gateway gives providers for a person are pairwise per provider member,
under a key of their own, so no relying party's `sub` (whatever sector it registers) equals one."""

from __future__ import annotations

from govhub.config import Settings
from govhub.identity.oidc.subjects import Subjects

PERSON = "3f1c1b55-0000-4000-8000-000000000001"


def _subjects(secret: str = "a test secret key that is long enough to use") -> Subjects:  # noqa: S107 (a test key)
    return Subjects(Settings(_env_file=None, secret_key=secret))


def test_each_provider_member_gets_its_own_stable_id() -> None:
    subjects = _subjects()
    trust = subjects.exchange_user_id(provider_member="GOVHUB-DEV/NHS/RDEMO1", account_public_id=PERSON)

    assert trust == subjects.exchange_user_id(
        provider_member="GOVHUB-DEV/NHS/RDEMO1", account_public_id=PERSON
    )
    assert trust != subjects.exchange_user_id(
        provider_member="GOVHUB-DEV/NHS/RDEMO2", account_public_id=PERSON
    )
    assert trust != subjects.exchange_user_id(
        provider_member="GOVHUB-DEV/NHS/RDEMO1", account_public_id="3f1c1b55-0000-4000-8000-000000000002"
    )
    assert PERSON not in trust
    assert len(trust) == 43


def test_a_client_naming_the_member_as_its_sector_does_not_get_the_providers_id() -> None:
    subjects = _subjects()
    member = "GOVHUB-DEV/NHS/RDEMO1"

    assert subjects.exchange_user_id(provider_member=member, account_public_id=PERSON) != subjects.subject(
        subject_type="pairwise", sector_identifier=member, account_public_id=PERSON
    )


def test_the_ids_follow_the_secret_key() -> None:
    member = "GOVHUB-DEV/NHS/RDEMO1"
    first = _subjects().exchange_user_id(provider_member=member, account_public_id=PERSON)
    other = _subjects("another secret key, just as long as the first").exchange_user_id(
        provider_member=member, account_public_id=PERSON
    )
    assert first != other

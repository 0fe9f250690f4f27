"""The provider's public face: every name it exports resolves (its imports are lazy, so a name whose home
moved would otherwise fail only where another block first uses it)."""

from __future__ import annotations

import pytest

import govhub.identity.oidc as face


@pytest.mark.parametrize("name", face.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(face, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = face.no_such_name

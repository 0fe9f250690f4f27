"""Levels of assurance: `vtr` and `acr_values` parsed, checked against a client's allowed levels, and what a
session still needs (sign in, step up to two factors, prove identity)."""

from __future__ import annotations

import pytest

from govhub.identity.oidc.levels import (
    Asked,
    LevelError,
    Step,
    Vector,
    next_step,
    requested_levels,
)

ALL = ["Cl", "Cl.Cm", "Cl.Cm.P2"]


def test_vectors_are_parsed_in_any_component_order() -> None:
    assert Vector.parse("Cl.Cm.P2") == Vector("Cl.Cm", "P2")
    assert Vector.parse("P2.Cl.Cm") == Vector("Cl.Cm", "P2")
    assert Vector.parse("Cl") == Vector("Cl")
    assert Vector.parse("Cl.Cm.P0").text == "Cl.Cm.P0"


@pytest.mark.parametrize("text", ["", "Cm", "Cl.Cl", "Cl.P2", "Cl.Cm.P1.P2", "Cl.Cm.P9", "Cl..Cm", "C1"])
def test_vectors_that_mean_nothing_are_refused(text: str) -> None:
    with pytest.raises(LevelError):
        Vector.parse(text)


def test_no_level_asked_means_two_factors() -> None:
    request = requested_levels(None, None, ALL)
    assert [v.text for v in request.vectors] == ["Cl.Cm"]
    assert request.asked is Asked.DEFAULT
    assert request.by_vtr


def test_vtr_is_a_json_array_in_order_of_preference() -> None:
    request = requested_levels('["Cl.Cm.P2", "Cl.Cm"]', None, ALL)
    assert [v.text for v in request.vectors] == ["Cl.Cm.P2", "Cl.Cm"]
    assert request.by_vtr
    assert request.wants_identity


@pytest.mark.parametrize("vtr", ["Cl.Cm", "[]", '{"a": 1}', "[1]", "[not json"])
def test_vtr_that_is_not_an_array_of_vectors_is_refused(vtr: str) -> None:
    with pytest.raises(LevelError, match="vtr"):
        requested_levels(vtr, None, ALL)


def test_acr_values_are_mapped_and_remembered() -> None:
    request = requested_levels(None, "urn:acr.login.gov:verified urn:govhub:loa:cl.cm", ALL)
    assert [v.text for v in request.vectors] == ["Cl.Cm.P2", "Cl.Cm"]
    assert not request.by_vtr
    index = request.met("Cl.Cm", "P0")
    assert index == 1
    assert request.acr(index) == "urn:govhub:loa:cl.cm"
    assert request.vot(index) == "Cl.Cm"


def test_unknown_acr_values_are_named() -> None:
    with pytest.raises(LevelError, match="urn:example:gold"):
        requested_levels(None, "urn:example:gold", ALL)


def test_vtr_and_acr_values_together_are_refused() -> None:
    with pytest.raises(LevelError, match="not both"):
        requested_levels('["Cl"]', "urn:govhub:loa:cl", ALL)


def test_a_level_the_client_is_not_registered_for_is_refused() -> None:
    with pytest.raises(LevelError, match=r"not registered for the level Cl\.Cm\.P2"):
        requested_levels('["Cl.Cm.P2"]', None, ["Cl", "Cl.Cm"])
    # Weaker than an allowed level is allowed: a P2 service may also sign people in with two factors.
    assert requested_levels('["Cl.Cm"]', None, ["Cl.Cm.P2"]).vectors == (Vector("Cl.Cm"),)
    with pytest.raises(LevelError, match="default"):
        requested_levels(None, None, ["Cl"])


def test_what_a_session_needs_next() -> None:
    p2 = requested_levels('["Cl.Cm.P2"]', None, ALL)
    assert next_step(p2, None, "P0").step is Step.SIGN_IN
    assert next_step(p2, None, "P0").auth_level == "Cl.Cm"
    assert next_step(p2, "Cl", "P2").step is Step.STEP_UP
    assert next_step(p2, "Cl.Cm", "P0").step is Step.PROVE_IDENTITY
    met = next_step(p2, "Cl.Cm", "P2")
    assert met.step is None
    assert met.met == 0

    one_factor = requested_levels('["Cl"]', None, ALL)
    assert next_step(one_factor, "Cl", "P0").met == 0
    assert next_step(one_factor, None, "P0").auth_level == "Cl"


def test_the_most_preferred_vector_already_met_is_chosen() -> None:
    request = requested_levels('["Cl.Cm.P2", "Cl"]', None, ALL)
    assert next_step(request, "Cl.Cm", "P0").met == 1
    assert next_step(request, "Cl.Cm", "P2").met == 0


def test_a_level_request_survives_storage() -> None:
    from govhub.identity.oidc.levels import LevelRequest  # noqa: PLC0415

    request = requested_levels(None, "urn:govhub:loa:cl.cm.p2", ALL)
    assert LevelRequest.from_json(request.to_json()) == request

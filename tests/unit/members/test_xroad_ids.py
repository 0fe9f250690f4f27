"""The X-Road style identifiers: one parser and one formatter, strict about characters and lengths, and the
client id a subsystem authenticates as."""

from __future__ import annotations

import pytest

from govhub.members.xroad_ids import (
    InvalidIdentifier,
    MemberId,
    ServiceId,
    SubsystemId,
    parse_identifier,
    parse_member_id,
    parse_service_id,
    parse_subsystem_id,
)
from tests.support.members import subsystem_of_client_id


def test_a_member_id_is_parsed_and_formatted_back() -> None:
    member = parse_member_id("GOVHUB-DEV/GOV/1234")
    assert member == MemberId("GOVHUB-DEV", "GOV", "1234")
    assert str(member) == "GOVHUB-DEV/GOV/1234"


def test_a_subsystem_id_is_parsed_and_formatted_back() -> None:
    subsystem = parse_subsystem_id("GOVHUB-DEV/GOV/1234/parking")
    assert subsystem == SubsystemId(MemberId("GOVHUB-DEV", "GOV", "1234"), "parking")
    assert subsystem == MemberId("GOVHUB-DEV", "GOV", "1234").subsystem("parking")
    assert str(subsystem) == "GOVHUB-DEV/GOV/1234/parking"


def test_parse_identifier_tells_members_from_subsystems() -> None:
    assert isinstance(parse_identifier("GOVHUB-DEV/COM/SC123456"), MemberId)
    assert isinstance(parse_identifier("GOVHUB-DEV/COM/SC123456/orders_v2"), SubsystemId)


@pytest.mark.parametrize("member_class", ["GOV", "NHS", "COM", "ORG"])
def test_every_member_class_is_accepted(member_class: str) -> None:
    assert parse_member_id(f"EE/{member_class}/x").member_class == member_class


@pytest.mark.parametrize("member_class", ["XYZ", "gov", "identifier", "rand0mid3nt", "C" * 20])
def test_any_instance_s_member_class_parses(member_class: str) -> None:
    """Which classes an instance has is the network's business (`membership.instances`), not the form's."""
    assert parse_member_id(f"other/{member_class}/x").member_class == member_class


def test_a_subsystem_id_whose_client_id_would_be_too_long_is_refused() -> None:
    # 20 + 20 + 40 + 30 characters and three dots: longer than identity's 100-character client ids.
    with pytest.raises(InvalidIdentifier) as raised:
        MemberId("I" * 20, "C" * 20, "m" * 40).subsystem("s" * 30)
    assert "subsystem identifier is longer than 100 characters" in raised.value.detail
    assert len(MemberId("I" * 20, "C" * 6, "m" * 40).subsystem("s" * 30).client_id) == 99


def test_identifiers_are_case_sensitive_as_in_x_road() -> None:
    assert parse_member_id("I/COM/sc1") != parse_member_id("I/COM/SC1")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("GOVHUB-DEV/GOV", "it has 2 parts, not 3"),
        ("GOVHUB-DEV/GOV/1234/", "it has 4 parts, not 3"),
        ("GOVHUB-DEV/GOV/1234/a/b", "it has 5 parts, not 3"),
        ("GOVHUB-DEV//1234", "member class is empty"),
        ("GOVHUB-DEV/G.V/1234", "member class 'G.V' may use only letters"),
        ("GOVHUB-DEV/_GOV/1234", "starts with a letter or digit"),
        ("GOVHUB-DEV/" + "C" * 21 + "/1234", "member class is longer than 20 characters"),
        ("/GOV/1234", "instance is empty"),
        ("GOVHUB.DEV/GOV/1234", "instance 'GOVHUB.DEV' may use only letters"),
        ("GOVHUB-DEV/GOV/12 34", "member code '12 34' may use only"),
        ("GOVHUB-DEV/GOV/-1234", "starts with a letter or digit"),
        ("GOVHUB-DEV/GOV/12%2F4", "may use only"),
        ("GOVHUB-DEV/GOV/12\x004", "may use only"),
        ("GOVHUB-DEV/GOV/1234\n", "may use only"),
        ("GOVHUB-DEV/GOV/caf\u00e9", "may use only"),
        ("GOVHUB-DEV/GOV/" + "9" * 41, "member code is longer than 40 characters"),
        ("A" * 21 + "/GOV/1", "instance is longer than 20 characters"),
        ("I/GOV/" + "x" * 300, "at most 200 characters"),
    ],
)
def test_malformed_member_ids_are_refused_saying_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        parse_member_id(text)
    assert complaint in raised.value.detail
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("I/GOV/1/" + "s" * 31, "subsystem code is longer than 30 characters"),
        ("I/GOV/1/park.ing", "subsystem code 'park.ing' may use only"),
        ("I/GOV/1", "it has 3 parts, not 4"),
        ("I/GOV/1/", "subsystem code is empty"),
    ],
)
def test_malformed_subsystem_ids_are_refused(text: str, complaint: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        parse_subsystem_id(text)
    assert complaint in raised.value.detail


def test_several_problems_are_named_together() -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        MemberId("", "X.X", "")
    assert raised.value.detail == (
        "The instance is empty; the member class 'X.X' may use only letters A to Z, digits, '-' and '_', and "
        "starts with a letter or digit; the member code is empty."
    )


def test_a_subsystem_authenticates_as_its_id_with_dots_and_back() -> None:
    subsystem = parse_subsystem_id("GOVHUB-DEV/GOV/1234/parking")
    assert subsystem.client_id == "GOVHUB-DEV.GOV.1234.parking"
    assert subsystem_of_client_id("GOVHUB-DEV.GOV.1234.parking") == subsystem
    # The longest identifier still fits identity's client ids (at most 100 characters).
    longest = MemberId("I" * 20, "ORG", "m" * 40).subsystem("s" * 30)
    assert len(longest.client_id) == 96


@pytest.mark.parametrize("client_id", ["parking-permits", "a.b.c", "I.X~Z.1.s", "I.GOV.1.s.t", "I.GOV..s"])
def test_client_ids_that_name_no_subsystem(client_id: str) -> None:
    assert subsystem_of_client_id(client_id) is None


def test_a_service_id_is_parsed_and_formatted_back() -> None:
    service = parse_service_id("GOVHUB-DEV/GOV/1234/parking/permits_v2")
    assert service == ServiceId(SubsystemId(MemberId("GOVHUB-DEV", "GOV", "1234"), "parking"), "permits_v2")
    assert service.subsystem == parse_subsystem_id("GOVHUB-DEV/GOV/1234/parking")
    assert str(service) == "GOVHUB-DEV/GOV/1234/parking/permits_v2"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("GOVHUB-DEV/GOV/1234/parking", "it has 4 parts, not 5"),
        ("GOVHUB-DEV/GOV/1234/parking/a/b", "it has 6 parts, not 5"),
        ("GOVHUB-DEV/GOV/1234/parking/", "The service code is empty"),
        ("GOVHUB-DEV/GOV/1234/parking/per.mits", "The service code 'per.mits' may use only"),
        ("GOVHUB-DEV/GOV/1234/parking/" + "x" * 41, "longer than 40 characters"),
        ("GOVHUB-DEV/X.X/1234/parking/permits", "The member class 'X.X' may use only"),
    ],
)
def test_a_wrong_service_id_says_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(InvalidIdentifier) as raised:
        parse_service_id(text)
    assert complaint in raised.value.detail

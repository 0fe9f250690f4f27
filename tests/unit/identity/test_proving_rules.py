"""The rules of identity proving that need no database: how names and registration numbers compare, and
how the proving form is read."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from govhub.identity.proving.pages import claim_from
from govhub.identity.proving.service import IdentityClaim, normalised_name, normalised_record_key


def test_names_compare_without_accents_case_punctuation_or_spacing() -> None:
    assert normalised_name("  Zoë  O'Brien-Archer ") == normalised_name("ZOE OBRIEN ARCHER")
    assert normalised_name("O\u2019Brien") == normalised_name("obrien")
    assert normalised_name("Mary\u2013Jane") == normalised_name("mary jane")
    assert normalised_name("Zoë") != normalised_name("Zoey")
    assert normalised_name("Ann") != normalised_name("Anne")


def test_registration_numbers_compare_without_case_or_spaces() -> None:
    assert normalised_record_key(" b000 123 ") == "B000123"


def test_the_form_gives_a_claim_or_says_what_to_fix() -> None:
    form = FormData(
        {
            "given-name": "  Zoë  ",
            "family-name": "O'Brien",
            "date-of-birth-day": "14",
            "date-of-birth-month": "03",
            "date-of-birth-year": "1987",
            "registration-number": "B 100001",
        }
    )
    assert claim_from(form) == (IdentityClaim("Zoë", "O'Brien", date(1987, 3, 14), "B100001"), {})
    claim, errors = claim_from(FormData({"date-of-birth-year": "1987"}))
    assert claim is None
    assert errors == {
        "given-name": "Enter your given name",
        "family-name": "Enter your family name",
        "date-of-birth-day": "Date of birth must include a day and month",
        "registration-number": "Enter your birth registration number",
    }
    control = FormData({**dict(form), "given-name": "Zo\x07e"})
    assert claim_from(control)[1] == {
        "given-name": "Your given name must contain only letters, spaces, hyphens and apostrophes"
    }

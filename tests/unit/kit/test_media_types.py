"""Media types are parsed as RFC 9110 §8.3 writes them, not searched for a word: what decides whether a
body is JSON also decides whether a session cookie's change could have come from another site's form."""

from __future__ import annotations

import pytest

from govhub.kit.routing import is_json_media_type, parse_media_type


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json;",
        "application/json ; profile=x",
        "application/problem+json",
        "application/merge-patch+json",
        'application/json; note="a;b, c"',
    ],
)
def test_json_is_application_json_or_a_json_suffix(content_type: str) -> None:
    assert is_json_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/plain; x=json",
        "text/plain; charset=json",
        'text/plain; x="application/json"',
        "text/json",
        "application/x-www-form-urlencoded; json",
        "multipart/form-data; boundary=json",
        "application/jsonp",
        "application/json5",
        "application/+json",
        "application/json+xml",
        "application/json, text/plain",
        "text/plain, application/json",
        "application/json; charset=latin-1",
        "application/json; charset",
        "application/json x",
        "application/json; a=b c",
        'application/json; a="unterminated',
        "application / json",
        "application/json\x00",
        "json",
    ],
)
def test_anything_else_is_not_json(content_type: str) -> None:
    assert not is_json_media_type(content_type)


def test_parameters_are_parsed_with_quoted_strings_and_case() -> None:
    assert parse_media_type('Application/Merge-Patch+JSON; Charset=UTF-8; q="a\\"b;c"') == (
        "application/merge-patch+json",
        {"charset": "UTF-8", "q": 'a"b;c'},
    )
    assert parse_media_type("text/plain; x=json") == ("text/plain", {"x": "json"})
    assert parse_media_type("application/json, text/plain") is None

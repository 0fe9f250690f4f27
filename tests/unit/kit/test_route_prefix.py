"""Routes skip their regular expression for a path that does not begin with their literal text, and still
match everything they matched before (with parameters, the wrong method, under a root path)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Match

from govhub.kit.routing import ApiRoute


async def _endpoint() -> dict[str, str]:
    return {}


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path}


def test_the_literal_prefix_is_the_path_up_to_its_first_parameter() -> None:
    assert ApiRoute("/token", _endpoint).literal_prefix == "/token"
    assert ApiRoute("/data/{register}/{key}", _endpoint).literal_prefix == "/data/"


def test_matching_is_unchanged_by_the_shortcut() -> None:
    route = ApiRoute("/things/{thing_id}", _endpoint, methods=["GET"])
    assert route.matches(_scope("/things/42"))[0] is Match.FULL
    assert route.matches(_scope("/things/42"))[1]["path_params"] == {"thing_id": "42"}
    assert route.matches(_scope("/things/42", "POST"))[0] is Match.PARTIAL  # 405, as before
    assert route.matches(_scope("/other/42"))[0] is Match.NONE
    assert route.matches(_scope("/things"))[0] is Match.NONE
    # Under a root path Starlette matches the path without it; the shortcut stands aside.
    assert route.matches(_scope("/prefix/things/42", root_path="/prefix"))[0] is Match.FULL

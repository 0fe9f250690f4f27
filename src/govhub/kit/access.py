"""Who may call a route. Every route declares one of these dependencies, and a meta-test holds it to that,
so a forgotten authorization check shows up as a failing test rather than an open endpoint."""

from __future__ import annotations

from fastapi import Depends


async def _anyone() -> None:
    """Public: health checks, the home page, open documentation."""


#: Declares a route open to anyone, on purpose.
PUBLIC = Depends(_anyone)

#: The dependency functions that count as an access declaration. Blocks add theirs as they arrive.
ACCESS_DEPENDENCIES: set[object] = {_anyone}

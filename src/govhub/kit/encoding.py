"""How bytes travel in our JSON: standard base64."""

from __future__ import annotations

import base64


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

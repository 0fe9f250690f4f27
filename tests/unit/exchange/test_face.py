"""The block faces `govhub.exchange` and `govhub.registries` import their names on first use: every name in
`__all__` resolves, importing a face imports no other module of the block, and an unknown name is an
AttributeError as for any module."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

FACES = ["govhub.exchange", "govhub.registries"]


@pytest.mark.parametrize("face", FACES)
def test_every_public_name_resolves(face: str) -> None:
    module = importlib.import_module(face)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError):
        _ = module.no_such_name


@pytest.mark.parametrize("face", FACES)
def test_importing_a_face_imports_nothing_else_of_its_block(face: str) -> None:
    code = f"import sys, {face}; print(sorted(m for m in sys.modules if m.startswith('{face}.')))"
    # A fresh interpreter: this one has imported the blocks already. The command is ours, not input.
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)  # noqa: S603 (fixed arguments)
    assert loaded.stdout.strip() == "[]"

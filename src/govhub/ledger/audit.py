"""An outside auditor's check of a live ledger over its HTTP API.

It trusts nothing the server says without checking it: the checkpoint's signature against a verifier key
(pinned by the auditor, or else the one the server publishes), every entry's leaf hash against its bytes,
the root recomputed from every leaf against the checkpoint, inclusion proofs for a spread of entries, and
consistency with a checkpoint saved earlier. Each finding says where the ledger went wrong.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from govhub.ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint
from govhub.ledger.verify import (
    RootBuilder,
    VerificationError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

#: Entries whose inclusion proofs are checked: all of them in a small ledger, a spread in a large one.
_INCLUSION_SAMPLE = 256


class AuditFailed(Exception):
    """The ledger failed a check; the message says which and where."""


@dataclass
class AuditReport:
    name: str
    checkpoint: Checkpoint
    signed_by: list[str]
    entries_checked: int = 0
    inclusion_proofs_checked: int = 0
    consistent_with: int | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"ledger {self.name}: {self.checkpoint.size} entries, root {_b64(self.checkpoint.root_hash)}",
            f"  checkpoint signature verified ({', '.join(self.signed_by)})",
            f"  {self.entries_checked} entries: every leaf hash matches its bytes; recomputed root matches",
            f"  {self.inclusion_proofs_checked} inclusion proofs verified against the checkpoint root",
        ]
        if self.consistent_with is not None:
            lines.append(f"  consistent with the saved checkpoint of size {self.consistent_with}")
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as error:
        raise AuditFailed(f"{what} is not valid base64") from error


async def _get(client: httpx.AsyncClient, path: str, **params: int) -> httpx.Response:
    response = await client.get(path, params=params)
    if response.status_code != 200:
        raise AuditFailed(f"GET {path} {params or ''} answered {response.status_code}: {response.text[:300]}")
    return response


def open_ledger_checkpoint(
    signed: str, verifiers: list[NoteVerifier], origin_suffix: str
) -> tuple[Checkpoint, list[str]]:
    """A checkpoint signed by a trusted key and naming this ledger, or AuditFailed saying why not."""
    try:
        checkpoint, signers = open_checkpoint(signed, verifiers)
    except NoteError as error:
        raise AuditFailed(f"checkpoint rejected: {error}") from error
    if not checkpoint.origin.endswith(origin_suffix):
        raise AuditFailed(f"checkpoint origin {checkpoint.origin!r} is not this ledger's ({origin_suffix})")
    return checkpoint, [signer.name for signer in signers]


def _sample(size: int) -> list[int]:
    if size <= _INCLUSION_SAMPLE:
        return list(range(size))
    step = size / _INCLUSION_SAMPLE
    return sorted({int(i * step) for i in range(_INCLUSION_SAMPLE)} | {0, size - 1})


async def audit(
    client: httpx.AsyncClient,
    name: str,
    *,
    trusted_keys: list[str] | None = None,
    since: str | None = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> AuditReport:
    """Check ledger `name` end to end. `client` has the server's base URL. `since` is a signed checkpoint
    saved earlier. Raises AuditFailed at the first finding."""
    keys = trusted_keys or [(await _get(client, f"/ledgers/{name}/key")).text.strip()]
    try:
        verifiers = [NoteVerifier.from_verifier_key(key) for key in keys]
    except NoteError as error:
        raise AuditFailed(f"verifier key rejected: {error}") from error
    origin_suffix = f"/ledgers/{name}"
    signed = (await _get(client, f"/ledgers/{name}/checkpoint")).text
    checkpoint, signers = open_ledger_checkpoint(signed, verifiers, origin_suffix)
    report = AuditReport(name, checkpoint, signers)

    progress(f"reading {checkpoint.size} entries")
    sample = _sample(checkpoint.size)
    sampled_hashes: dict[int, bytes] = {}
    builder = RootBuilder()
    async for hashed in _leaf_hashes(
        client, name, size=checkpoint.size, report=report, sample=set(sample), keep=sampled_hashes
    ):
        builder.add_leaf_hash(hashed)
    computed = builder.root()
    if computed != checkpoint.root_hash:
        raise AuditFailed(
            f"root recomputed from the {checkpoint.size} entries is {_b64(computed)}, "
            f"but the signed checkpoint says {_b64(checkpoint.root_hash)}: the entries were changed"
        )

    progress("checking inclusion proofs")
    for index in sample:
        response = await _get(
            client, f"/ledgers/{name}/proof/inclusion", index=index, tree_size=checkpoint.size
        )
        body = response.json()
        path = [_unb64(node, f"inclusion proof for entry {index}") for node in body["path"]]
        try:
            verify_inclusion(sampled_hashes[index], index, checkpoint.size, path, checkpoint.root_hash)
        except VerificationError as error:
            raise AuditFailed(f"inclusion proof for entry {index} fails: {error}") from error
        report.inclusion_proofs_checked += 1

    if since is not None:
        await _check_consistency(
            client,
            name,
            since=since,
            verifiers=verifiers,
            origin_suffix=origin_suffix,
            latest=checkpoint,
            report=report,
        )
    return report


async def _leaf_hashes(
    client: httpx.AsyncClient,
    name: str,
    *,
    size: int,
    report: AuditReport,
    sample: set[int],
    keep: dict[int, bytes],
) -> AsyncIterator[bytes]:
    """Every leaf's hash in order, each computed from its bytes and checked against the stored hash; the
    hashes of sampled entries are kept for the inclusion checks."""
    start = 0
    while start < size:
        page = (await _get(client, f"/ledgers/{name}/entries", start=start, end=size - 1)).json()["entries"]
        if not page:
            raise AuditFailed(
                f"the server returned no entries from index {start}, but the checkpoint has {size}"
            )
        for entry in page:
            if entry["index"] != start:
                raise AuditFailed(f"expected entry {start}, the server returned entry {entry['index']}")
            leaf = _unb64(entry["leaf"], f"entry {start}")
            hashed = leaf_hash(leaf)
            if hashed != _unb64(entry["leaf_hash"], f"leaf hash of entry {start}"):
                raise AuditFailed(
                    f"entry {start}: the stored leaf hash is not SHA-256(0x00 || leaf); "
                    "the leaf or its hash was changed"
                )
            if start in sample:
                keep[start] = hashed
            report.entries_checked += 1
            start += 1
            yield hashed


async def _check_consistency(
    client: httpx.AsyncClient,
    name: str,
    *,
    since: str,
    verifiers: list[NoteVerifier],
    origin_suffix: str,
    latest: Checkpoint,
    report: AuditReport,
) -> None:
    earlier, _ = open_ledger_checkpoint(since, verifiers, origin_suffix)
    if earlier.origin != latest.origin:
        raise AuditFailed(f"saved checkpoint is for {earlier.origin!r}, not {latest.origin!r}")
    if earlier.size > latest.size:
        raise AuditFailed(f"the ledger shrank: it had {earlier.size} entries, now it has {latest.size}")
    if earlier.size == latest.size:
        if earlier.root_hash != latest.root_hash:
            raise AuditFailed(f"the ledger was rewritten: same size {latest.size}, different root")
    elif earlier.size > 0:
        response = await _get(
            client, f"/ledgers/{name}/proof/consistency", first=earlier.size, second=latest.size
        )
        body = response.json()
        path = [_unb64(node, "consistency proof") for node in body["path"]]
        try:
            verify_consistency(earlier.size, latest.size, earlier.root_hash, latest.root_hash, path)
        except VerificationError as error:
            raise AuditFailed(
                f"the ledger is not an extension of the saved checkpoint (size {earlier.size}): {error}"
            ) from error
    report.consistent_with = earlier.size

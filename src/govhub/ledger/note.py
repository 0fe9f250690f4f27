"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and C2SP transparency log
checkpoints (https://c2sp.org/tlog-checkpoint), compatible with golang.org/x/mod/sumdb/note.

Depends on the standard library and `cryptography` only, so auditors can reuse it outside govhub.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "MAX_CHECKPOINT_SIZE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "ed25519_key_id",
    "format_checkpoint",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
]

#: signed-note "Signature types": 0x01 is Ed25519.
_ALG_ED25519 = 0x01
_ED25519_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_KEY_ID_SIZE = 4
_SIGNATURE_PREFIX = "\N{EM DASH} "

#: signed-note "Format": verifiers must accept at least 16 signatures; golang.org/x/mod/sumdb/note stops
#: at 100, and so do we, so a hostile note cannot make us verify without bound.
MAX_SIGNATURES = 100

#: The tree size is unbounded in the spec; Go's checkpoint parsers and our BIGINT columns stop at int64.
MAX_CHECKPOINT_SIZE = 2**63 - 1

_HASH_SIZE = 32
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # signed-note "Format": no ASCII controls but newline
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL_SIZE = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, key or checkpoint is malformed, or a note's signatures do not check out."""


def _b64decode(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 §4), padded and canonical; `None` if `text` is anything else. Rejecting
    non-canonical spellings means each key and signature has exactly one accepted text form."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error and non-ASCII input are both ValueErrors
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _is_valid_name(name: str) -> bool:
    """signed-note "Format": key names are non-empty, with no Unicode spaces and no '+'. We also refuse
    ASCII controls and unencodable text, which could never appear in a well-formed note."""
    return (
        bool(name)
        and "+" not in name
        and not any(character.isspace() for character in name)
        and _CONTROL.search(name) is None
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    # A Python str can hold lone surrogates, which have no UTF-8 encoding; notes MUST be valid UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """signed-note "Ed25519 signatures": `SHA-256(key name || 0x0A || 0x01 || public key)[:4]`."""
    material = name.encode("utf-8") + b"\n" + bytes([_ALG_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def _split_key(encoded: str, fields: int) -> list[str] | None:
    """Split at the first `fields - 1` '+' signs: names cannot hold '+', base64 key data can."""
    parts = encoded.split("+", fields - 1)
    return parts if len(parts) == fields else None


def _parse_key_data(name: str, key_id_hex: str, key_data: str) -> tuple[bytes, bytes] | None:
    """The `<name>+<hex key id>+<base64(0x01 || 32 bytes)>` fields shared by both key formats:
    (stated key id, 32 key bytes), or `None` if they are malformed."""
    raw = _b64decode(key_data)
    if (
        not _is_valid_name(name)
        or _HEX_KEY_ID.fullmatch(key_id_hex) is None
        or raw is None
        or len(raw) != 1 + _ED25519_KEY_SIZE
        or raw[0] != _ALG_ED25519
    ):
        return None
    return bytes.fromhex(key_id_hex), raw[1:]


@dataclass(frozen=True)
class NoteVerifier:
    """A known Ed25519 public key, by name and key ID, that may sign notes."""

    name: str
    key_id: bytes
    public_key: bytes
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _is_valid_name(self.name):
            raise NoteError(f"key name {self.name!r} must be non-empty with no spaces, '+' or control codes")
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")
        if self.key_id != ed25519_key_id(self.name, self.public_key):
            raise NoteError(f"key ID {self.key_id.hex()} does not match key {self.name!r}")
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> NoteVerifier:
        """A verifier for a raw 32-byte Ed25519 public key, with the key ID the spec recommends."""
        if len(public_key) != _ED25519_KEY_SIZE:
            raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
        return cls(name, ed25519_key_id(name, public_key), public_key)

    @classmethod
    def from_verifier_key(cls, vkey: str) -> NoteVerifier:
        """Parse `<name>+<8 hex digits key ID>+<base64(0x01 || 32-byte public key)>`, as written by
        golang.org/x/mod/sumdb/note, checking the key ID against the name and key."""
        parts = _split_key(vkey, 3)
        parsed = _parse_key_data(*parts) if parts else None
        if parts is None or parsed is None:
            raise NoteError(
                "malformed verifier key: expected <name>+<8 hex digit key ID>+<base64 of 0x01 and a "
                "32-byte Ed25519 public key>"
            )
        key_id, public_key = parsed
        if key_id != ed25519_key_id(parts[0], public_key):
            raise NoteError(f"verifier key for {parts[0]!r}: key ID {parts[1]} does not match the key")
        return cls(parts[0], key_id, public_key)

    def verifier_key(self) -> str:
        """This key in the `<name>+<hex key id>+<base64>` verifier key format."""
        data = _b64encode(bytes([_ALG_ED25519]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{data}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` (without the key ID prefix) is this key's Ed25519 signature of `message`."""
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """An Ed25519 private key that signs notes under a key name. The repr never shows the key."""

    __slots__ = ("_private", "_public", "key_id", "name")

    name: str
    key_id: bytes

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        if not _is_valid_name(name):
            raise NoteError(f"key name {name!r} must be non-empty with no spaces, '+' or control codes")
        self.name = name
        self._private = private
        self._public = private.public_key().public_bytes_raw()
        self.key_id = ed25519_key_id(name, self._public)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A new random key named `name`."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, encoded: str) -> NoteSigner:
        """Parse `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>`, as written by
        golang.org/x/mod/sumdb/note, checking the key ID against the name and derived public key."""
        parts = _split_key(encoded, 5)
        parsed = _parse_key_data(*parts[2:]) if parts and parts[:2] == ["PRIVATE", "KEY"] else None
        if parts is None or parsed is None:
            # The message deliberately never echoes `encoded`: it is a secret.
            raise NoteError(
                "malformed private key: expected PRIVATE+KEY+<name>+<8 hex digit key ID>+<base64 of 0x01 "
                "and a 32-byte Ed25519 seed>"
            )
        key_id, seed = parsed
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != key_id:
            raise NoteError(f"private key for {parts[2]!r}: key ID {parts[3]} does not match the key")
        return signer

    def private_key(self) -> str:
        """This key in the `PRIVATE+KEY+...` format; a secret."""
        data = _b64encode(bytes([_ALG_ED25519]) + self._private.private_bytes_raw())
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{data}"

    def verifier(self) -> NoteVerifier:
        """The matching public key."""
        return NoteVerifier(self.name, self.key_id, self._public)

    def verifier_key(self) -> str:
        """The matching public key in the `<name>+<hex key id>+<base64>` verifier key format."""
        return self.verifier().verifier_key()

    def sign(self, body: str) -> str:
        """The signed note: `body`, a blank line, and this key's signature line (signed-note "Format")."""
        _check_text(body)
        signature = self._private.sign(body.encode("utf-8"))
        return f"{body}\n{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + signature)}\n"

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()!r})"


def _check_text(body: str) -> None:
    """signed-note "Format": the text is UTF-8 ending in a newline, with no ASCII controls but newline."""
    if not body.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    if _CONTROL.search(body) or not _is_utf8(body):
        raise NoteError("malformed note: the text must be UTF-8 with no control characters but newline")


def open_note(signed: str | bytes, verifiers: Sequence[NoteVerifier]) -> tuple[str, list[NoteVerifier]]:
    """Check a signed note (signed-note "Format" and "Signatures") against the known `verifiers`.

    Returns the note text and the known keys whose signatures verified, in signature order. Signatures by
    unknown keys (name and key ID not both matching a known key) are ignored, as the spec requires.
    Raises `NoteError` if the note is malformed, if any signature by a known key fails, or if no known key
    signed it.
    """
    if isinstance(signed, bytes):
        try:
            signed = signed.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note: not valid UTF-8") from None
    if _CONTROL.search(signed) or not _is_utf8(signed):
        raise NoteError("malformed note: it must be UTF-8 with no control characters but newline")
    # The text may itself hold blank lines; it ends at the last one.
    split = signed.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = signed[: split + 1], signed[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: no signature lines, or the last one does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")

    known = _index_verifiers(verifiers)
    message = text.encode("utf-8")
    verified: list[NoteVerifier] = []
    for line in lines:
        name, key_id, signature = _parse_signature_line(line)
        candidates = known.get((name, key_id))
        if not candidates:
            continue  # signed-note "Signatures": unknown keys MUST be ignored
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {name}+{key_id.hex()}: several different known keys match")
        verifier = candidates[0]
        if not verifier.verify(message, signature):
            raise NoteError(f"invalid signature for key {name}+{key_id.hex()}")
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise NoteError("note has no verifiable signatures: no known key signed it")
    return text, verified


def _index_verifiers(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], list[NoteVerifier]]:
    known: dict[tuple[str, bytes], list[NoteVerifier]] = {}
    for verifier in verifiers:
        same = known.setdefault((verifier.name, verifier.key_id), [])
        if verifier not in same:
            same.append(verifier)
    return known


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    """`— <key name> base64(key ID || signature)` (signed-note "Signatures") into its three parts."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError(f"malformed note: signature line {line[:40]!r} does not start with an em dash")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    raw = _b64decode(encoded)
    if not _is_valid_name(name) or raw is None or len(raw) <= _KEY_ID_SIZE:
        raise NoteError(f"malformed note: bad signature line {line[:40]!r}")
    return name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note body: a log's origin, tree size and RFC 9162 root hash, plus optional
    extension lines (NOT RECOMMENDED by the spec, since monitors cannot audit them)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or not _is_single_line(self.origin):
            raise NoteError("checkpoint origin must be a non-empty line of UTF-8 with no control characters")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise NoteError(f"checkpoint size must be an integer, got {type(self.size).__name__}")
        if not 0 <= self.size <= MAX_CHECKPOINT_SIZE:
            raise NoteError(f"checkpoint size must be from 0 to {MAX_CHECKPOINT_SIZE}, got {self.size}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {_HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise NoteError("checkpoint extensions must be a tuple of lines")
        for line in self.extensions:
            if not line or not _is_single_line(line):
                raise NoteError("checkpoint extension lines must be non-empty, with no control characters")


def _is_single_line(text: str) -> bool:
    return "\n" not in text and _CONTROL.search(text) is None and _is_utf8(text)


def format_checkpoint(cp: Checkpoint) -> str:
    """The tlog-checkpoint note text: origin, size, base64 root hash, then extension lines, each ending
    in a newline."""
    lines = [cp.origin, str(cp.size), _b64encode(cp.root_hash), *cp.extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a tlog-checkpoint note text strictly: at least three non-empty lines, each ending in a
    newline; a non-empty origin; the size in ASCII decimal without leading zeros; the root hash as
    canonical padded base64 of 32 bytes; then non-empty extension lines."""
    if not body.endswith("\n"):
        raise NoteError("malformed checkpoint: the text must end with a newline")
    if _CONTROL.search(body) or not _is_utf8(body):
        raise NoteError("malformed checkpoint: it must be UTF-8 with no control characters but newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(
            f"malformed checkpoint: {len(lines)} lines, but origin, size and root hash are needed"
        )
    if any(not line for line in lines):
        raise NoteError("malformed checkpoint: lines must be non-empty")
    origin, size_text, root_text, *extensions = lines
    if _DECIMAL_SIZE.fullmatch(size_text) is None:
        raise NoteError(f"malformed checkpoint: size {size_text[:30]!r} is not decimal without leading zeros")
    # Bound the text before converting: a huge digit string should fail cleanly, not cost time.
    size = int(size_text) if len(size_text) <= 19 else MAX_CHECKPOINT_SIZE + 1
    if size > MAX_CHECKPOINT_SIZE:
        raise NoteError(f"malformed checkpoint: size {size_text[:30]} is above {MAX_CHECKPOINT_SIZE}")
    root_hash = _b64decode(root_text)
    if root_hash is None or len(root_hash) != _HASH_SIZE:
        raise NoteError(f"malformed checkpoint: root hash {root_text[:60]!r} is not base64 of 32 bytes")
    return Checkpoint(origin, size, root_hash, tuple(extensions))


def open_checkpoint(
    signed: str | bytes, verifiers: Sequence[NoteVerifier]
) -> tuple[Checkpoint, list[NoteVerifier]]:
    """`open_note`, then `parse_checkpoint` on its text: the checkpoint and the keys that signed it."""
    body, signers = open_note(signed, verifiers)
    return parse_checkpoint(body), signers

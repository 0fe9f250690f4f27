"""C2SP signed notes and checkpoints, against the vectors in golang.org/x/mod/sumdb/note's note_test.go
(the PeterNeumann and EnochRoot keys and signatures, copied exactly) and the c2sp.org/tlog-checkpoint
example."""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.ledger import note
from govhub.ledger.note import (
    MAX_CHECKPOINT_SIZE,
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    format_checkpoint,
    open_checkpoint,
    open_note,
    parse_checkpoint,
)

# From golang.org/x/mod/sumdb/note/note_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "\N{EM DASH} PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\N{EM DASH} EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# From c2sp.org/tlog-checkpoint.
SPEC_ROOT = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
SPEC_CHECKPOINT = f"example.com/behind-the-sofa\n20852163\n{SPEC_ROOT}\n"

PETER = NoteVerifier.from_verifier_key(PETER_VKEY)
ENOCH = NoteVerifier.from_verifier_key(ENOCH_VKEY)
ROOT = bytes(range(32))


def test_note_depends_only_on_the_standard_library_and_cryptography() -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(Path(note.__file__).read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "base64", "hashlib", "re", "collections", "dataclasses", "cryptography"}


# --- keys ------------------------------------------------------------------------------------------------


def test_go_key_pair_loads_and_round_trips() -> None:
    signer = NoteSigner.from_private_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.private_key() == PETER_SKEY
    assert signer.verifier_key() == PETER_VKEY
    assert signer.verifier() == PETER
    assert PETER.name == "PeterNeumann"
    assert PETER.key_id == bytes.fromhex("c74f20a3")
    assert PETER.verifier_key() == PETER_VKEY
    assert ENOCH.key_id == bytes.fromhex("af0cfe78")


def test_key_id_is_the_signed_note_hash() -> None:
    public_key = base64.b64decode(PETER_VKEY.split("+")[2])[1:]
    assert note.ed25519_key_id("PeterNeumann", public_key) == bytes.fromhex("c74f20a3")
    assert NoteVerifier.from_public_key("PeterNeumann", public_key) == PETER


def test_the_private_key_never_shows_in_repr() -> None:
    signer = NoteSigner.from_private_key(PETER_SKEY)
    assert "AYEKFALV" not in repr(signer)
    assert "c74f20a3" in repr(signer)


def test_generated_keys_round_trip() -> None:
    signer = NoteSigner.generate("ledger.gov.example/registry")
    loaded = NoteSigner.from_private_key(signer.private_key())
    assert (loaded.name, loaded.key_id) == (signer.name, signer.key_id)
    verifier = NoteVerifier.from_verifier_key(signer.verifier_key())
    assert open_note(loaded.sign("hello\n"), [verifier]) == ("hello\n", [verifier])


def _manglings(key: str) -> list[str]:
    """As note_test.go does: every proper substring, and every single character incremented."""
    substrings = {key[start:end] for start in range(len(key) + 1) for end in range(start + 1, len(key) + 1)}
    substrings.discard(key)
    incremented = {key[:at] + chr(ord(key[at]) + 1) + key[at + 1 :] for at in range(len(key))}
    return sorted(substrings | incremented | {""})


def test_every_mangled_verifier_key_is_refused() -> None:
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(NoteError):
            NoteVerifier.from_verifier_key(mangled)


def test_every_mangled_private_key_is_refused() -> None:
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(NoteError):
            NoteSigner.from_private_key(mangled)


@pytest.mark.parametrize(
    "vkey",
    [
        # note_test.go: a wrong length key, with adjusted key hash; an unknown algorithm, likewise.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError, match="verifier key"):
        NoteVerifier.from_verifier_key(vkey)


def test_private_key_errors_do_not_echo_the_secret() -> None:
    with pytest.raises(NoteError) as refused:
        NoteSigner.from_private_key(PETER_SKEY[:-1])
    assert "AYEKFALV" not in str(refused.value)
    with pytest.raises(NoteError, match="PRIVATE"):
        NoteSigner.from_private_key(PETER_VKEY)


def test_go_accepts_upper_case_key_ids_and_so_do_we() -> None:
    upper = PETER_VKEY.replace("c74f20a3", "C74F20A3")
    assert NoteVerifier.from_verifier_key(upper) == PETER


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u2003b", "a\nb", "a\tb", "\x7f\ud800"])
def test_key_names_follow_the_signed_note_rules(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        NoteSigner.generate(name)


# --- signing and opening ---------------------------------------------------------------------------------


def test_sign_reproduces_the_go_signed_note_exactly() -> None:
    assert NoteSigner.from_private_key(PETER_SKEY).sign(TEXT) == TEXT + "\n" + PETER_SIG


def test_open_returns_the_text_and_the_known_signers() -> None:
    signed = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(signed, [PETER]) == (TEXT, [PETER])
    assert open_note(signed, [PETER, ENOCH]) == (TEXT, [PETER, ENOCH])
    assert open_note(signed, [ENOCH]) == (TEXT, [ENOCH])
    assert open_note(signed.encode(), [PETER]) == (TEXT, [PETER])


def test_open_refuses_a_note_no_known_key_signed() -> None:
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    stranger = NoteSigner.generate("PeterNeumann").verifier()
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(TEXT + "\n" + PETER_SIG, [stranger])


def test_open_ignores_unknown_keys_sharing_only_a_name_or_only_an_id() -> None:
    impostor = NoteSigner.generate("PeterNeumann")  # same name, another key ID
    same_id = PETER_SIG.replace("PeterNeumann", "EnochRoot")  # Peter's key ID under Enoch's name
    signed = TEXT + "\n" + PETER_SIG + impostor.sign(TEXT).split("\n\n")[1] + same_id
    assert open_note(signed, [PETER, ENOCH]) == (TEXT, [PETER])


def test_open_refuses_a_bad_signature_from_a_known_key() -> None:
    corrupt = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        open_note(TEXT + "\n" + corrupt, [PETER])
    # Even next to a good one: the spec says a known key's signature MUST be verified.
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(TEXT + "\n" + PETER_SIG + corrupt, [PETER])


def test_open_refuses_a_tampered_text() -> None:
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(TEXT.replace("answer", "ANSWER") + "\n" + PETER_SIG, [PETER])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note("extra line\n" + TEXT + "\n" + PETER_SIG, [PETER])


def test_open_drops_repeated_signatures_and_ignores_unknown_ones() -> None:
    """note_test.go: duplicated verified and unverified signatures."""
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    signed = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    assert open_note(signed, [PETER]) == (TEXT, [PETER])


def test_open_tolerates_the_same_verifier_twice_but_not_two_keys_with_one_identity() -> None:
    assert open_note(TEXT + "\n" + ENOCH_SIG, [ENOCH, PETER, ENOCH]) == (TEXT, [ENOCH])
    # A second key claiming Enoch's name and key ID: only a forged list could hold it, since the key ID
    # is checked on construction, so build one behind the dataclass's back.
    forged = object.__new__(NoteVerifier)
    for field, value in [("name", "EnochRoot"), ("key_id", ENOCH.key_id), ("public_key", bytes(32))]:
        object.__setattr__(forged, field, value)
    with pytest.raises(NoteError, match=r"ambiguous key EnochRoot\+af0cfe78"):
        open_note(TEXT + "\n" + ENOCH_SIG, [ENOCH, forged])


def test_open_limits_the_number_of_signatures() -> None:
    assert open_note(TEXT + "\n" + PETER_SIG * 100, [PETER]) == (TEXT, [PETER])
    with pytest.raises(NoteError, match="more than 100"):
        open_note(TEXT + "\n" + PETER_SIG * 101, [PETER])


@pytest.mark.parametrize(
    "signed",
    [
        # The bad messages of note_test.go.
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        (b"\xff" + (TEXT + "\n" + PETER_SIG).encode()),
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name").rstrip("\n"),
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # And more.
        TEXT + "\n" + PETER_SIG.replace("\N{EM DASH}", "-"),
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),
        TEXT + "\n" + PETER_SIG.replace("M=\n", "N=\n"),  # non-canonical base64
        TEXT + "\n" + "\N{EM DASH} PeterNeumann\n",
        TEXT + "\n" + "\N{EM DASH} PeterNeumann x08g\n",
        TEXT.replace("\n", "\r\n", 1) + "\n" + PETER_SIG,
        "\ud800" + TEXT + "\n" + PETER_SIG,
        "",
    ],
)
def test_open_refuses_malformed_notes(signed: str | bytes) -> None:
    with pytest.raises(NoteError, match="malformed note"):
        open_note(signed, [PETER])


def test_the_text_may_hold_blank_lines_and_ends_at_the_last_one() -> None:
    signer = NoteSigner.generate("example.com/poems")
    for text in ["a\n\nb\n", "\n", "a\n\n", "\N{EM DASH} looks like a signature\n\nbut is text\n"]:
        assert open_note(signer.sign(text), [signer.verifier()]) == (text, [signer.verifier()])


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "bell\a\n", "cr\r\n", "\ud800\n"])
def test_sign_refuses_text_a_note_cannot_hold(text: str) -> None:
    with pytest.raises(NoteError, match="malformed note"):
        NoteSigner.from_private_key(PETER_SKEY).sign(text)


# --- checkpoints -----------------------------------------------------------------------------------------


def test_the_spec_example_checkpoint_parses_and_formats_back() -> None:
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode(SPEC_ROOT)
    assert checkpoint.extensions == ()
    assert format_checkpoint(checkpoint) == SPEC_CHECKPOINT


def test_checkpoint_format_is_three_lines_then_extensions() -> None:
    checkpoint = Checkpoint("gov.example/ledger", 0, ROOT, ("ext one", "ext two"))
    body = format_checkpoint(checkpoint)
    assert body == f"gov.example/ledger\n0\n{base64.b64encode(ROOT).decode()}\next one\next two\n"
    assert parse_checkpoint(body) == checkpoint


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1),
    size=st.integers(min_value=0, max_value=MAX_CHECKPOINT_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1), max_size=3),
)
def test_checkpoints_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert parse_checkpoint(format_checkpoint(checkpoint)) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "",
        "example.com/log\n",
        "example.com/log\n5\n",
        SPEC_CHECKPOINT.rstrip("\n"),
        "\n" + SPEC_CHECKPOINT.split("\n", 1)[1],
        SPEC_CHECKPOINT.replace("20852163", "020852163"),
        SPEC_CHECKPOINT.replace("20852163", "00"),
        SPEC_CHECKPOINT.replace("20852163", "-1"),
        SPEC_CHECKPOINT.replace("20852163", "+5"),
        SPEC_CHECKPOINT.replace("20852163", " 5"),
        SPEC_CHECKPOINT.replace("20852163", "5 "),
        SPEC_CHECKPOINT.replace("20852163", "1_000"),
        SPEC_CHECKPOINT.replace("20852163", "\u0665"),  # ARABIC-INDIC DIGIT FIVE: int() would take it
        SPEC_CHECKPOINT.replace("20852163", "0x10"),
        SPEC_CHECKPOINT.replace("20852163", ""),
        SPEC_CHECKPOINT.replace("20852163", str(2**63)),
        SPEC_CHECKPOINT.replace("20852163", "9" * 5000),
        SPEC_CHECKPOINT.replace(SPEC_ROOT, SPEC_ROOT.rstrip("=")),
        SPEC_CHECKPOINT.replace(SPEC_ROOT, SPEC_ROOT.replace("I=", "J=")),  # non-canonical
        SPEC_CHECKPOINT.replace(SPEC_ROOT, SPEC_ROOT.replace("/", "_")),  # URL-safe alphabet
        SPEC_CHECKPOINT.replace(SPEC_ROOT, base64.b64encode(bytes(31)).decode()),
        SPEC_CHECKPOINT.replace(SPEC_ROOT, base64.b64encode(bytes(48)).decode()),
        SPEC_CHECKPOINT + "\n",
        SPEC_CHECKPOINT + "extension\n\n",
        SPEC_CHECKPOINT + "\nextension\n",
        SPEC_CHECKPOINT.replace("\n", "\r\n"),
        SPEC_CHECKPOINT.replace("behind", "behind\tthe"),
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError, match="malformed checkpoint"):
        parse_checkpoint(body)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", 1, ROOT), "origin"),
        (("a\nb", 1, ROOT), "origin"),
        (("log", -1, ROOT), "size"),
        (("log", MAX_CHECKPOINT_SIZE + 1, ROOT), "size"),
        (("log", True, ROOT), "size"),
        (("log", 1, ROOT[:31]), "root hash"),
        (("log", 1, ROOT, ("",)), "extension"),
        (("log", 1, ROOT, ("a\nb",)), "extension"),
    ],
)
def test_checkpoints_that_cannot_be_written_are_refused(fields: tuple[object, ...], message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Checkpoint(*fields)  # type: ignore[arg-type]


def test_signed_checkpoints_open() -> None:
    signer = NoteSigner.generate("gov.example/ledger")
    checkpoint = Checkpoint("gov.example/ledger", 42, ROOT)
    signed = signer.sign(format_checkpoint(checkpoint))
    assert open_checkpoint(signed, [signer.verifier()]) == (checkpoint, [signer.verifier()])
    with pytest.raises(NoteError, match="malformed checkpoint"):
        open_checkpoint(signer.sign("just a note\n"), [signer.verifier()])
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(signed.replace("\n42\n", "\n43\n"), [signer.verifier()])

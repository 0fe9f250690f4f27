"""Pure helpers for records: canonical bytes, schema validation with every failing path, text to search,
the `uuid` a new record is given, the ordering of a search."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from govhub.kit.errors import FieldError


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8. What hashes and ledger leaves commit to."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(content: Mapping[str, Any] | None) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Why `schema` is not a usable JSON Schema (draft 2020-12) for records; empty when it is."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [f"the schema is not valid JSON Schema: {error.message}"]
    if schema.get("type", "object") != "object":
        return ["a record schema must describe an object (type: object)"]
    return _index_problems(schema)


#: Property keywords (JSON Schema lets a schema carry its own): search on this field through an index,
#: and no two current records share its value (which needs the index too).
INDEXED = "x-govhub-indexed"
UNIQUE = "x-govhub-unique"
#: An index for every field of every register would make writes pay for searches nobody runs.
MAX_INDEXED_FIELDS = 8
#: Names an index's SQL can hold as a literal on both backends (JSON path on SQLite, `->>` on PostgreSQL).
INDEXABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")


def indexed_fields(schema: Mapping[str, Any]) -> dict[str, bool]:
    """The top-level fields the schema marks for an index, each with whether it is unique."""
    fields: dict[str, bool] = {}
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, Mapping) and (spec.get(INDEXED) is True or spec.get(UNIQUE) is True):
            fields[name] = spec.get(UNIQUE) is True
    return fields


#: The longest value an indexed field may hold, in characters: an index entry is at most about 2,700 bytes
#: on PostgreSQL, and a character takes up to four.
MAX_INDEXED_VALUE = 500


def indexed_value_errors(
    fields: Mapping[str, bool], content: Mapping[str, Any], pointer_prefix: str
) -> list[FieldError]:
    """Values too long for their field's index, each with its JSON Pointer."""
    errors = []
    for field in fields:
        value = content.get(field)
        spelt = value if isinstance(value, str) else json.dumps(value)
        if value is not None and len(spelt) > MAX_INDEXED_VALUE:
            pointer = f"{pointer_prefix}/{field.replace('~', '~0').replace('/', '~1')}"
            detail = f"an indexed field holds at most {MAX_INDEXED_VALUE} characters"
            errors.append(FieldError(location="body", name=pointer, detail=detail))
    return errors


def _index_problems(schema: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties", {})
    specs = properties.items() if isinstance(properties, Mapping) else ()
    problems = [
        f"{keyword} of {name!r} must be true or false"
        for name, spec in specs
        for keyword in (INDEXED, UNIQUE)
        if isinstance(spec, Mapping) and keyword in spec and not isinstance(spec[keyword], bool)
    ]
    fields = indexed_fields(schema)
    problems += [
        f"field {name!r} cannot be indexed: indexed field names hold up to 63 letters, digits, "
        "underscores and hyphens, starting with a letter or underscore"
        for name in fields
        if not INDEXABLE_NAME.match(name)
    ]
    if len(fields) > MAX_INDEXED_FIELDS:
        problems.append(f"at most {MAX_INDEXED_FIELDS} fields may be indexed, not {len(fields)}")
    return problems


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema_rs.Validator:
    # The Rust implementation validates a record in a few microseconds, a tenth of what the pure-Python
    # one takes: it is the bulk of a bulk load otherwise. Schemas themselves are checked by `jsonschema`
    # above, whose messages are clearer.
    return jsonschema_rs.validator_for(json.loads(schema_json), validate_formats=True)


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _nul_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if "\x00" in str(key):
                yield (*path, key)
            yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, (*path, index))


def _holds_nul(value: Any) -> bool:
    """Whether any text in `value` (keys included) holds NUL: the quick test before `_nul_paths`."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any("\x00" in str(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class RecordChecker:
    """Checks records against one schema. Made once for many records (a bulk load): finding the compiled
    validator costs the schema's JSON, several times what checking a record against it costs."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.validator = _validator(json.dumps(schema, sort_keys=True))

    def errors(self, content: Any, pointer_prefix: str) -> list[FieldError]:
        """Every way `content` breaks the schema, each with the JSON Pointer of the failing value; and text
        holding the NUL character, which no register stores (PostgreSQL cannot read it out of JSON)."""
        errors = (
            [
                FieldError("body", pointer_prefix + _pointer(path), "text may not contain the NUL character")
                for path in _nul_paths(content)
            ]
            if _holds_nul(content)
            else []
        )
        if self.validator.is_valid(content):
            return errors
        failures = sorted(
            self.validator.iter_errors(content), key=lambda e: [str(part) for part in e.instance_path]
        )
        errors += [
            FieldError(
                location="body", name=pointer_prefix + _pointer(error.instance_path), detail=error.message
            )
            for error in failures
        ]
        return errors


def record_errors(schema: Mapping[str, Any], content: Any, pointer_prefix: str) -> list[FieldError]:
    """`RecordChecker.errors` for one record."""
    return RecordChecker(schema).errors(content, pointer_prefix)


def _values(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    elif value is not None:
        yield str(value)


def search_text(content: Mapping[str, Any]) -> str:
    """Every value in `content`, nested ones too, as text, lower-cased: what the text index reads."""
    # `_values(content)`, with a record's usual top-level strings and numbers taken without a generator each.
    parts: list[str] = []
    for value in content.values():
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, (int, float)):
            parts.append(str(value))
        elif value is not None:
            parts += _values(value)
    # NUL cannot be stored in a PostgreSQL text column, and no search can ask for it.
    return " ".join(parts).lower().replace("\x00", "")


#: A word, as both backends' text indexes cut text into words: a run of letters and digits.
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of a search, lower-cased: what `search` with `filter` looks for in the one field."""
    return _WORD.findall(text.lower())


def with_uuid(record_schema: Mapping[str, Any], content: Mapping[str, Any]) -> dict[str, Any]:
    """The record to create, with a new `uuid` if its register's schema has that field and the record came
    without one: GovStack's `{uuid}` paths address records by it, and its clients create records without."""
    if "uuid" in record_schema.get("properties", {}) and content.get("uuid") in (None, ""):
        return {**content, "uuid": str(uuid.uuid4())}
    return dict(content)


def search_ordering(ordering: str | None) -> tuple[str | None, bool]:
    """`descending`/`ascending` order by key; a field name orders by it, `-field` in reverse."""
    if not ordering or ordering.lower() in {"ascending", "asc"}:
        return None, False
    if ordering.lower() in {"descending", "desc"}:
        return None, True
    return ordering.removeprefix("-"), ordering.startswith("-")


def unique_errors(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))


def describe_errors(errors: list[FieldError]) -> str:
    return f"The record breaks the register's schema in {len(unique_errors(errors))} place(s); see errors."

"""All SQL of the registries. Reads of records go through `readable_register`, the one chokepoint that
decides whether a caller may see a register at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    column,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import FEW_ROWS, copy_table_rows, insert_rows, unnest_insert
from govhub.kit.clock import utcnow
from govhub.registries.models import (
    FIELD_INDEX_NAME,
    PersonalDataUse,
    Register,
    RegisterVersion,
    RegistryEntry,
    RegistryGrant,
    RegistryRecord,
    RegistryValueCount,
)
from govhub.registries.records import INDEXABLE_NAME, search_words


def _field_equals(field_text: ColumnElement[str], value: Any) -> ColumnElement[bool] | None:
    """A SQL pre-filter for a record's top-level `field` equal to `value`: the field's text compared with
    the value's, which both backends can do without casts that fail on other types. Callers re-check the
    exact JSON value in Python. None where text comparison cannot help (booleans, floats, objects)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    if "\x00" in text:  # no stored text holds NUL (PostgreSQL cannot), so nothing matches
        return false()
    return field_text == text


def same_json_value(content: Mapping[str, Any], field: str, value: Any) -> bool:
    """JSON equality: `True` is not `1`, as Python's `==` would have it."""
    found = content.get(field, _MISSING)
    return found is not _MISSING and type(found) is type(value) and found == value


_MISSING = object()


def _in_register(register_id: int, *, use_index: bool = True) -> ColumnElement[bool]:
    """The register as a literal: a field index is partial (`WHERE register_id = N`), and a planner uses
    it only for a query that says the same N, which a bound parameter does not. Without `use_index`,
    SQLite's unary `+` keeps the planner off the indexes that begin with the register."""
    column = "+registry_records.register_id" if not use_index else "registry_records.register_id"
    return literal_column(column) == literal_column(str(int(register_id)))


_RECORDS_TABLE = cast("Table", RegistryRecord.__table__)
#: SQLite's FTS5 index of the records' `search_text`, its rowid the record's id (migration 0020).
_SEARCH_TABLE = table("registry_records_search", column("rowid", Integer))
#: PostgreSQL's text index expression, as migration 0020 spells it (so the planner uses the index).
_TSVECTOR = "to_tsvector('simple'::regconfig, registry_records.search_text)"
_ENTRIES_TABLE = cast("Table", RegistryEntry.__table__)
_COUNTS_TABLE = cast("Table", RegistryValueCount.__table__)


def _count_rows(register_id: int, changes: Mapping[tuple[str, str], int]) -> list[dict[str, Any]]:
    return [
        {"register_id": register_id, "field": field, "value": value, "records": step}
        for (field, value), step in sorted(changes.items())
    ]


def _postgres_add_counts(rows: Sequence[Mapping[str, Any]], prefix: str = "c") -> tuple[str, dict[str, Any]]:
    """`add_counts` on PostgreSQL: one statement for any number of (field, value) moves, each distinct."""
    insert_counts, arguments = unnest_insert(_COUNTS_TABLE, rows, prefix)
    statement = (
        f"{insert_counts} ON CONFLICT (register_id, field, value) "
        "DO UPDATE SET records = registry_value_counts.records + excluded.records"
    )
    return statement, arguments


#: `lock_for_entries_and_keys` on PostgreSQL: the register's row locked and its count, beside each of the
#: keys that has a record (one row of NULL when none has).
_POSTGRES_LOCK_AND_KEYS = (
    "WITH locked AS (UPDATE registry_registers SET entry_count = entry_count WHERE id = %(register_id)s "
    "RETURNING entry_count) SELECT locked.entry_count, found.record_key FROM locked LEFT JOIN "
    "registry_records AS found ON found.register_id = %(register_id)s "
    "AND found.record_key = ANY(%(keys)s::varchar[])"
)


#: Keys per IN list: well inside both backends' limits on bound parameters.
_KEYS_PER_QUERY = 500


def field_index_name(register_id: int, field: str, *, unique: bool) -> str:
    digest = hashlib.sha256(field.encode()).hexdigest()[:12]
    return f"{'uq' if unique else 'ix'}_registry_records_r{register_id}_{digest}"


def _field_sql(dialect: str, field: str, *, qualified: bool) -> str:
    """A record's top-level `field` as text, spelt exactly as its index spells it, so the planner matches
    the two (a JSON path sent as a bound parameter would not match). Only for INDEXABLE_NAME fields."""
    column = "registry_records.content" if qualified else "content"
    if dialect == "postgresql":
        return f"({column} ->> '{field}')"
    return f"CAST(json_extract({column}, '$.\"{field}\"') AS VARCHAR)"


class RegistriesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def field_text(self, field: str) -> ColumnElement[str]:
        """A record's top-level `field` as text: in its index's own spelling where it can have one."""
        if INDEXABLE_NAME.match(field):
            return literal_column(_field_sql(self.dialect, field, qualified=True), String)
        as_text: ColumnElement[str] = RegistryRecord.content[field].as_string()
        return as_text

    # --- field indexes --------------------------------------------------------------------------------

    async def field_indexes(self, register_id: int) -> set[str]:
        if self.dialect == "postgresql":
            names = await self.session.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'registry_records'")
            )
        else:
            names = await self.session.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'registry_records'")
            )
        found = set()
        for name in names:
            match = FIELD_INDEX_NAME.match(name)
            if match and int(match[2]) == register_id:
                found.add(name)
        return found

    async def create_field_index(self, register_id: int, field: str, *, unique: bool) -> None:
        """An index of one register's records by `field`. A plain one also holds the key, so a filtered
        page comes out of it in key order; a unique one is on the value alone."""
        expression = _field_sql(self.dialect, field, qualified=False)
        columns = expression if unique else f"{expression}, record_key"
        name = field_index_name(register_id, field, unique=unique)
        await self.session.execute(
            text(
                f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} "
                f"ON registry_records ({columns}) WHERE register_id = {int(register_id)}"
            )
        )

    # --- counts -------------------------------------------------------------------------------------

    async def json_value_text(self, value: Any) -> str | None:
        """How this backend spells a JSON value as text (`field_text`), asked of the backend itself."""
        document = json.dumps({"v": value})
        if self.dialect == "postgresql":
            spelt = await self.session.scalar(text("SELECT CAST(:d AS json) ->> 'v'"), {"d": document})
        else:
            spelt = await self.session.scalar(
                text("SELECT CAST(json_extract(:d, '$.v') AS VARCHAR)"), {"d": document}
            )
        return None if spelt is None else str(spelt)

    async def add_counts(self, register_id: int, changes: Mapping[tuple[str, str], int]) -> None:
        if not changes:
            return
        rows = _count_rows(register_id, changes)
        if self.dialect == "postgresql":
            add_counts, arguments = _postgres_add_counts(rows)
            connection = await self.session.connection()
            await connection.exec_driver_sql(add_counts, arguments)
            return
        upsert = sqlite_insert(RegistryValueCount)
        await self.session.execute(
            upsert.on_conflict_do_update(
                index_elements=["register_id", "field", "value"],
                set_={"records": RegistryValueCount.records + upsert.excluded.records},
            ),
            rows,
        )

    async def counted(self, register_id: int, field: str, value: str) -> int:
        found = await self.session.scalar(
            select(RegistryValueCount.records).where(
                RegistryValueCount.register_id == register_id,
                RegistryValueCount.field == field,
                RegistryValueCount.value == value,
            )
        )
        return int(found or 0)

    async def count_field_values(self, register_id: int, field: str) -> None:
        """Count the register's current records by `field` afresh (when its index is made)."""
        await self.drop_field_counts(register_id, field)
        spelt = self.field_text(field)
        counts = (
            select(
                RegistryRecord.register_id,
                literal(field, String),
                spelt,
                func.count(),
            )
            .where(_in_register(register_id), spelt.is_not(None))
            .group_by(RegistryRecord.register_id, spelt)
        )
        columns = ["register_id", "field", "value", "records"]
        await self.session.execute(insert(RegistryValueCount).from_select(columns, counts))

    async def drop_field_counts(self, register_id: int, field: str) -> None:
        await self.session.execute(
            delete(RegistryValueCount).where(
                RegistryValueCount.register_id == register_id, RegistryValueCount.field == field
            )
        )

    async def drop_field_index(self, name: str) -> None:
        if not FIELD_INDEX_NAME.match(name):
            raise ValueError(f"{name!r} is not a field index")
        await self.session.execute(text(f"DROP INDEX IF EXISTS {name}"))

    # --- registers and versions -------------------------------------------------------------------

    async def registers(self) -> list[Register]:
        return list(await self.session.scalars(select(Register).order_by(Register.name)))

    async def register(self, name: str) -> Register | None:
        return await self.session.scalar(select(Register).where(Register.name == name))

    async def register_by_code(self, code: str) -> list[Register]:
        return list(await self.session.scalars(select(Register).where(Register.database_code == code)))

    async def version(self, register_id: int, version: str) -> RegisterVersion | None:
        return await self.session.scalar(
            select(RegisterVersion).where(
                RegisterVersion.register_id == register_id, RegisterVersion.version == version
            )
        )

    async def versions(self, register_id: int) -> list[RegisterVersion]:
        return list(
            await self.session.scalars(
                select(RegisterVersion)
                .where(RegisterVersion.register_id == register_id)
                .order_by(RegisterVersion.id)
            )
        )

    async def register_and_version(self, name: str, version: str) -> tuple[Register, RegisterVersion] | None:
        """Both in one round trip: every request to the data API starts here."""
        row = (
            await self.session.execute(
                select(Register, RegisterVersion)
                .join(RegisterVersion, RegisterVersion.register_id == Register.id)
                .where(Register.name == name, RegisterVersion.version == version)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def version_with_register(self, version_id: int) -> tuple[RegisterVersion, Register] | None:
        row = (
            await self.session.execute(
                select(RegisterVersion, Register)
                .join(Register, Register.id == RegisterVersion.register_id)
                .where(RegisterVersion.id == version_id)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def version_by_database_id(self, database_id: int) -> tuple[RegisterVersion, Register] | None:
        """The version the Database API shows as `database_id`, with its register."""
        row = (
            await self.session.execute(
                select(RegisterVersion, Register)
                .join(Register, Register.id == RegisterVersion.register_id)
                .where(RegisterVersion.database_id == database_id)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def next_database_id(self) -> int:
        """One more than the highest database id shown so far."""
        highest = await self.session.scalar(select(func.max(RegisterVersion.database_id)))
        return int(highest or 0) + 1

    async def set_database_id(self, version: RegisterVersion, database_id: int) -> None:
        version.database_id = database_id
        await self.session.flush()

    async def versions_in_use(self, version_id: int) -> int:
        """How many entries were written with this version: a version in use is history, never deleted."""
        count = await self.session.scalar(
            select(func.count()).select_from(RegistryEntry).where(RegistryEntry.version_id == version_id)
        )
        return int(count or 0)

    async def delete_version(self, version: RegisterVersion) -> None:
        await self.session.execute(delete(RegisterVersion).where(RegisterVersion.id == version.id))

    async def add_register(self, register: Register) -> Register:
        self.session.add(register)
        await self.session.flush()
        return register

    async def add_version(self, version: RegisterVersion) -> RegisterVersion:
        self.session.add(version)
        await self.session.flush()
        return version

    async def lock_for_entries_and_keys(
        self, register_id: int, keys: Collection[str]
    ) -> tuple[int, set[str] | None]:
        """`lock_for_entries`, and on PostgreSQL which of `keys` have a record, in the same statement (one
        round trip under the lock instead of two); None on SQLite, whose statements cost no round trip.

        The keys are read in the statement's snapshot, which predates the lock when the statement waited
        for it: a record another unit of work made meanwhile under the lock may be missing. It can only be
        one with the same key made at the same moment through another app node; creating it again is then
        refused by the (register, key) unique index, which the caller handles like any clash."""
        if self.dialect != "postgresql" or not keys:
            return await self.lock_for_entries(register_id), None
        connection = await self.session.connection()
        result = await connection.exec_driver_sql(
            _POSTGRES_LOCK_AND_KEYS, {"register_id": register_id, "keys": list(keys)}
        )
        rows = cast("list[tuple[int, str | None]]", result.all())
        if not rows:
            raise LookupError(f"register {register_id} vanished")
        return int(rows[0][0]), {key for _, key in rows if key is not None}

    async def lock_for_entries(self, register_id: int) -> int:
        """Take the register's write lock (row lock on PostgreSQL, write lock on SQLite) before reading
        anything, and return how many entries it has."""
        count = await self.session.scalar(
            update(Register)
            .where(Register.id == register_id)
            .values(entry_count=Register.entry_count)
            .returning(Register.entry_count)
        )
        if count is None:
            raise LookupError(f"register {register_id} vanished")
        return int(count)

    # --- records ---------------------------------------------------------------------------------

    async def matching(
        self, register_id: int, query: Mapping[str, Any], *, key_field: str
    ) -> list[RegistryRecord]:
        """Current records whose top-level fields equal every value in `query`. A value for the key field
        is looked up in the (register, key) index rather than inside every record's JSON."""
        if any("\x00" in field for field in query):
            return []  # no stored field name holds NUL, and PostgreSQL cannot be asked for one
        tests = [_in_register(register_id)]
        key = query.get(key_field)
        if isinstance(key, (str, int)) and not isinstance(key, bool):
            tests.append(RegistryRecord.record_key == str(key))
        for field, value in query.items():
            test = _field_equals(self.field_text(field), value)
            if test is not None:
                tests.append(test)
        rows = await self.session.scalars(select(RegistryRecord).where(*tests).order_by(RegistryRecord.id))
        return [row for row in rows if all(same_json_value(row.content, f, v) for f, v in query.items())]

    async def by_key(self, register_id: int, key: str) -> RegistryRecord | None:
        return await self.session.scalar(
            select(RegistryRecord).where(
                RegistryRecord.register_id == register_id, RegistryRecord.record_key == key
            )
        )

    async def by_identifier(
        self, register_id: int, identifier: str, fields: Sequence[str]
    ) -> list[RegistryRecord]:
        """Records whose key, or one of `fields`, equals `identifier`: GovStack addresses records by a
        `uuid` or a person's `id` as well as by key."""
        if "\x00" in identifier:
            return []
        tests = [RegistryRecord.record_key == identifier]
        tests += [self.field_text(field) == identifier for field in fields]
        rows = await self.session.scalars(
            select(RegistryRecord).where(RegistryRecord.register_id == register_id, or_(*tests)).limit(2)
        )
        return list(rows)

    async def search(
        self,
        register_id: int,
        *,
        known_count: int | None,
        text: str | None,
        text_field: str | None,
        equals: Mapping[str, str],
        key_field: str,
        order_field: str | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[RegistryRecord]]:
        conditions: list[ColumnElement[bool]] = []
        if text:
            conditions.append(self._text_match(text))
            if text_field:
                # The index finds the records holding the words anywhere; the field must hold them too.
                field_text = func.lower(self.field_text(text_field))
                words = search_words(text) or [text.lower()]
                conditions += [field_text.contains(word, autoescape=True) for word in words]
        for field, value in equals.items():
            if field == key_field:
                conditions.append(RegistryRecord.record_key == value)
            else:
                conditions.append(self.field_text(field) == value)
        # SQLite plans a text search from the register's key index, running the text query once per
        # record, unless the register test cannot use an index: then the matches drive the query.
        from_matches = bool(text) and self.dialect == "sqlite"
        count = known_count
        if count is None:
            register = _in_register(register_id, use_index=not from_matches)
            counting = select(func.count()).select_from(_RECORDS_TABLE).where(register, *conditions)
            count = await self.session.scalar(counting) or 0
        if from_matches and order_field is None:
            # Many matches: walk the register in key order and stop at the page (a page of a word every
            # record holds costs as little as any page); few: read them all and sort them.
            total = await self.counted(register_id, "", "")
            from_matches = count * count <= (offset + limit) * total
        order = self.field_text(order_field) if order_field else RegistryRecord.record_key
        statement = (
            select(RegistryRecord)
            .where(_in_register(register_id, use_index=not from_matches), *conditions)
            .order_by(order.desc() if descending else order.asc(), RegistryRecord.id)
        )
        rows = await self.session.scalars(statement.offset(offset).limit(limit))
        return count, list(rows)

    def _text_match(self, text: str) -> ColumnElement[bool]:
        """The test for records holding every word of `text`, through the text index (migration 0020).
        PostgreSQL cuts `text` into words as it cut the records' text; SQLite's FTS5 cuts each
        whitespace-separated part of it so (each quoted: a phrase, never query syntax)."""
        if self.dialect == "postgresql":
            query = func.plainto_tsquery(literal_column("'simple'::regconfig"), text)
            return literal_column(_TSVECTOR).op("@@")(query)
        phrases = " ".join('"' + part.replace('"', '""') + '"' for part in text.split())
        matches = literal_column(_SEARCH_TABLE.name).op("MATCH")(phrases or '""')
        return RegistryRecord.id.in_(select(_SEARCH_TABLE.c.rowid).where(matches))

    async def records_by_keys(self, register_id: int, keys: Iterable[str]) -> dict[str, RegistryRecord]:
        found: dict[str, RegistryRecord] = {}
        for some in self._key_tests(keys):
            rows = await self.session.scalars(
                select(RegistryRecord).where(RegistryRecord.register_id == register_id, some)
            )
            found.update({row.record_key: row for row in rows})
        return found

    async def existing_keys(self, register_id: int, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for some in self._key_tests(keys):
            found.update(
                await self.session.scalars(
                    select(RegistryRecord.record_key).where(RegistryRecord.register_id == register_id, some)
                )
            )
        return found

    def _key_tests(self, keys: Iterable[str]) -> list[ColumnElement[bool]]:
        """Tests of `record_key` against `keys`, one per query: on PostgreSQL one array parameter for them
        all (`= ANY`), elsewhere IN lists of up to _KEYS_PER_QUERY bound parameters."""
        wanted = list(keys)
        if not wanted:
            return []
        if self.dialect == "postgresql":
            array = bindparam("keys", wanted, type_=postgresql.ARRAY(String))
            return [RegistryRecord.record_key == any_(array)]
        return [
            RegistryRecord.record_key.in_(wanted[start : start + _KEYS_PER_QUERY])
            for start in range(0, len(wanted), _KEYS_PER_QUERY)
        ]

    async def insert_record_rows(
        self, rows: Sequence[Mapping[str, Any]], register_id: int, counts: Mapping[tuple[str, str], int]
    ) -> None:
        """New current records, and the moves of their register's value counts (`add_counts`)."""
        if self.dialect == "postgresql" and 0 < len(rows) < FEW_ROWS and counts:
            # A group commit's few records and their counts in one statement: one round trip under the lock.
            insert_records, record_arguments = unnest_insert(_RECORDS_TABLE, rows)
            add_counts, count_arguments = _postgres_add_counts(_count_rows(register_id, counts), "n")
            connection = await self.session.connection()
            statement = f"WITH new_records AS ({insert_records}) {add_counts}"
            await connection.exec_driver_sql(statement, {**record_arguments, **count_arguments})
            return
        await insert_rows(self.session, _RECORDS_TABLE, rows)
        await self.add_counts(register_id, counts)

    async def insert_new_record_rows(self, rows: Iterator[Mapping[str, Any]], count: int) -> None:
        """The rows of `count` new records, each made only when it is sent: on PostgreSQL they stream into
        one COPY, so the server stores the first rows while the caller makes the next."""
        if self.dialect == "postgresql" and count >= FEW_ROWS:
            await copy_table_rows(self.session, _RECORDS_TABLE, rows)
        else:
            await insert_rows(self.session, _RECORDS_TABLE, list(rows))

    async def delete_record(self, record: RegistryRecord) -> None:
        await self.session.execute(delete(RegistryRecord).where(RegistryRecord.id == record.id))

    async def append_entries(self, rows: Sequence[Mapping[str, Any]], register_id: int, count: int) -> None:
        """The entries, and the register's count of them."""
        if self.dialect == "postgresql" and 0 < len(rows) < FEW_ROWS:
            # A group commit's few entries and the count in one statement: one round trip under the lock.
            insert_entries, arguments = unnest_insert(_ENTRIES_TABLE, rows)
            connection = await self.session.connection()
            await connection.exec_driver_sql(
                f"WITH new_entries AS ({insert_entries}) "  # noqa: S608 (the table's own columns)
                "UPDATE registry_registers SET entry_count = %(entry_count)s WHERE id = %(register_id)s",
                {**arguments, "entry_count": count, "register_id": register_id},
            )
            return
        await insert_rows(self.session, _ENTRIES_TABLE, rows)
        await self.session.execute(
            update(Register).where(Register.id == register_id).values(entry_count=count)
        )

    async def history(self, register_id: int, key: str) -> list[RegistryEntry]:
        return list(
            await self.session.scalars(
                select(RegistryEntry)
                .where(RegistryEntry.register_id == register_id, RegistryEntry.record_key == key)
                .order_by(RegistryEntry.number)
            )
        )

    # --- access ---------------------------------------------------------------------------------------

    async def has_grant(self, register_id: int, caller: str) -> bool:
        member = "/".join(caller.split("/")[:3])
        found = await self.session.scalar(
            select(RegistryGrant.id).where(
                RegistryGrant.register_id == register_id, RegistryGrant.client.in_([caller, member])
            )
        )
        return found is not None

    async def grant(self, register_id: int, client: str) -> None:
        if await self.session.scalar(
            select(RegistryGrant.id).where(
                and_(RegistryGrant.register_id == register_id, RegistryGrant.client == client)
            )
        ):
            return
        self.session.add(RegistryGrant(register_id=register_id, client=client, created_at=utcnow()))
        await self.session.flush()

    async def grants(self, register_id: int) -> list[RegistryGrant]:
        return list(
            await self.session.scalars(
                select(RegistryGrant)
                .where(RegistryGrant.register_id == register_id)
                .order_by(RegistryGrant.client)
            )
        )

    async def revoke(self, register_id: int, client: str) -> bool:
        result = await self.session.execute(
            delete(RegistryGrant).where(
                RegistryGrant.register_id == register_id, RegistryGrant.client == client
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def log_personal_data_use(self, uses: Sequence[PersonalDataUse]) -> None:
        self.session.add_all(uses)
        await self.session.flush()

    async def personal_data_uses(self, subject_id: str, register_ids: Sequence[int]) -> list[PersonalDataUse]:
        return list(
            await self.session.scalars(
                select(PersonalDataUse)
                .where(
                    PersonalDataUse.subject_id == subject_id, PersonalDataUse.register_id.in_(register_ids)
                )
                .order_by(PersonalDataUse.read_at.desc(), PersonalDataUse.id.desc())
            )
        )

    # --- pages and open data ----------------------------------------------------------------------

    async def records_after(
        self, register_id: int, after_key: str | None, limit: int
    ) -> list[RegistryRecord]:
        """Up to `limit` current records in key order, after `after_key`: keyset paging, so reading a
        whole register costs the same per chunk however far in."""
        statement = select(RegistryRecord).where(RegistryRecord.register_id == register_id)
        if after_key is not None:
            statement = statement.where(RegistryRecord.record_key > after_key)
        return list(await self.session.scalars(statement.order_by(RegistryRecord.record_key).limit(limit)))

    async def entries_after(
        self, register_id: int, after_number: int, limit: int, *, below_ledger_index: int
    ) -> list[RegistryEntry]:
        """Up to `limit` entries in order, numbered above `after_number`, whose ledger leaf is below
        `below_ledger_index` (the size of the tree they are proved against)."""
        return list(
            await self.session.scalars(
                select(RegistryEntry)
                .where(
                    RegistryEntry.register_id == register_id,
                    RegistryEntry.number > after_number,
                    RegistryEntry.ledger_index < below_ledger_index,
                )
                .order_by(RegistryEntry.number)
                .limit(limit)
            )
        )

    async def record_field_names(self, register_id: int) -> set[str]:
        """Every top-level field name used by a current record of the register, in one query (each
        backend's JSON key function: `json_each` on SQLite, `json_object_keys` on PostgreSQL)."""
        if self.session.get_bind().dialect.name == "postgresql":
            keys = func.json_object_keys(RegistryRecord.content)
            statement = select(keys).where(RegistryRecord.register_id == register_id).distinct()
        else:
            each = func.json_each(RegistryRecord.content).table_valued("key")
            # The filter doubles as the join condition: the function reads the row it is joined to.
            statement = (
                select(each.c.key)
                .select_from(RegistryRecord)
                .join(each, RegistryRecord.register_id == register_id)
                .distinct()
            )
        return {str(name) for name in await self.session.scalars(statement)}

    # --- a person's own view of reads about them (`govhub.registries.access`, for the exchange's tracker) ---

    async def record_with_subject_field(
        self, register_id: int, record_key: str
    ) -> tuple[RegistryRecord, str | None] | None:
        """The current record and the subject field of the version it was written with, in one query."""
        row = (
            await self.session.execute(
                select(RegistryRecord, RegisterVersion.subject_field)
                .join(RegisterVersion, RegisterVersion.id == RegistryRecord.version_id)
                .where(RegistryRecord.register_id == register_id, RegistryRecord.record_key == record_key)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def personal_data_uses_before(
        self, register_id: int, subject_id: str, *, before: tuple[datetime, int | None] | None, limit: int
    ) -> list[PersonalDataUse]:
        """Reads of records about `subject_id` in one register, newest first (read at, then id), strictly
        below `before` = (read at, id), or at or before its time when the id is None: a keyset page,
        through the `subject_id` index."""
        statement = select(PersonalDataUse).where(
            PersonalDataUse.register_id == register_id, PersonalDataUse.subject_id == subject_id
        )
        if before is not None:
            at, use_id = before
            statement = statement.where(
                PersonalDataUse.read_at <= at
                if use_id is None
                else or_(
                    PersonalDataUse.read_at < at,
                    and_(PersonalDataUse.read_at == at, PersonalDataUse.id < use_id),
                )
            )
        statement = statement.order_by(PersonalDataUse.read_at.desc(), PersonalDataUse.id.desc())
        return list(await self.session.scalars(statement.limit(limit)))


#: An open record by key, with what decides whether the point read may answer: the register's
#: classification and the version's key field (NULL when there is no such version or record). Every
#: lookup is through a unique index, one register row driving two subqueries, so even a plan made once
#: for any parameters (`govhub.db.point_reads`) cannot scan.

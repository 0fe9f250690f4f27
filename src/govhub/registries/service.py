"""The registries' rules: defining registers, changing records (each change an entry in the register and
a leaf in its ledger, in one unit of work), reading them under the register's classification, and logging
every read of personal data for the person it is about. Never commits."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.kit.clock import utcnow
from govhub.kit.errors import FieldError
from govhub.ledger import AppendMemo, Keyring, LedgerService
from govhub.registries.access import anyone_may_read, subject_id_of
from govhub.registries.bulk import write_new_records
from govhub.registries.caller import Caller, identify_first
from govhub.registries.definitions import RegisterDefinition, check_definition
from govhub.registries.errors import (
    CallerUnknown,
    DuplicateRecord,
    GrantNotFound,
    InvalidQuery,
    InvalidRecord,
    NotGranted,
    RecordNotFound,
    RegisterExists,
    RegisterNotFound,
)
from govhub.registries.field_indexes import sync_field_indexes, unique_index_fields, unique_violation
from govhub.registries.leaves import EntryMaker
from govhub.registries.models import (
    PersonalDataUse,
    Register,
    RegisterVersion,
    RegistryEntry,
    RegistryGrant,
    RegistryRecord,
)
from govhub.registries.records import (
    RecordChecker,
    describe_errors,
    indexed_value_errors,
    record_errors,
    search_ordering,
    search_text,
    unique_errors,
    with_uuid,
)
from govhub.registries.repository import RegistriesRepository
from govhub.registries.value_counts import TOTAL, count_changes

MAX_PAGE_SIZE = 1000
#: Besides its key, a record can be addressed by these fields when its schema has them, as GovStack's
#: `readValue/{uuid}` and `{ID}/delete` address records.
IDENTIFIER_FIELDS = ("uuid", "id", "ID")


@dataclass(frozen=True)
class Page:
    count: int
    records: list[dict[str, Any]]
    has_next: bool


@dataclass(frozen=True)
class Opened:
    register: Register
    version: RegisterVersion


@dataclass
class WriteBatch:
    """Writes to one register made in one unit of work (`registries.writes`): the register's lock is taken
    once, each write's current records are changed at once (so the next write sees them), and its entries
    and ledger leaves are kept here, to be written by one insert and one ledger append at the end."""

    register_id: int
    #: Entries of the register, this batch's included so far.
    count: int
    ledger_name: str = ""
    entries: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    leaves: list[bytes] = dataclasses.field(default_factory=list)
    #: Writes that have begun changing records: a write that fails after this grew spoils the batch.
    changes_begun: int = 0
    #: Keys of the batch's creates looked up with the lock (`begin_batch`), and those that have a record:
    #: true until the batch changes anything.
    keys_looked_up: frozenset[str] = frozenset()
    keys_found: frozenset[str] = frozenset()


def ledger_name(register_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", register_name.lower()).strip("-")[:50] or "register"
    return f"register-{slug}"


class RegistriesService:
    def __init__(self, repository: RegistriesRepository, ledgers: LedgerService) -> None:
        self.repository = repository
        self.ledgers = ledgers
        #: Set between `begin_batch` and `end_batch`: changes are made as part of a group commit.
        self.batch: WriteBatch | None = None

    @classmethod
    def for_session(
        cls, session: AsyncSession, settings: Settings, keyring: Keyring | None = None
    ) -> RegistriesService:
        """The service, and the ledgers it writes to, over one unit of work."""
        return cls(RegistriesRepository(session), LedgerService.for_session(session, settings, keyring))

    # --- definitions ------------------------------------------------------------------------------

    async def define(self, definition: RegisterDefinition) -> Register:
        """A new register with its first schema version, and its ledger."""
        check_definition(definition)
        if await self.repository.register(definition.name) is not None:
            raise RegisterExists(f"A register called {definition.name!r} already exists.")
        name_of_ledger = ledger_name(definition.name)
        await self.ledgers.create(name_of_ledger)
        register = await self.repository.add_register(
            Register(
                name=definition.name,
                title=definition.title,
                description=definition.description,
                classification=definition.classification,
                owner=definition.owner,
                database_code=definition.database_code,
                ledger_name=name_of_ledger,
                entry_count=0,
                created_at=utcnow(),
            )
        )
        await self._add_version(register, definition)
        return register

    async def add_version(self, definition: RegisterDefinition) -> RegisterVersion:
        """A new schema version of an existing register; records keep the version they were written with."""
        check_definition(definition)
        register = await self.repository.register(definition.name)
        if register is None:
            raise RegisterNotFound(f"There is no register called {definition.name!r}.")
        if await self.repository.version(register.id, definition.version) is not None:
            raise RegisterExists(
                f"Register {definition.name!r} already has a version {definition.version!r}."
            )
        return await self._add_version(register, definition)

    async def _add_version(self, register: Register, definition: RegisterDefinition) -> RegisterVersion:
        version = await self.repository.add_version(
            RegisterVersion(
                register_id=register.id,
                database_id=definition.database_id or await self.repository.next_database_id(),
                version=definition.version,
                record_schema=definition.record_schema,
                key_field=definition.key_field,
                subject_field=definition.subject_field,
                created_at=utcnow(),
            )
        )
        await self.sync_field_indexes(register)
        return version

    async def sync_field_indexes(self, register: Register) -> None:
        """Make the register's field indexes those its newest version marks."""
        await sync_field_indexes(self.repository, register)

    # --- the chokepoint ---------------------------------------------------------------------------

    async def open(self, name: str, version: str, caller: Caller, *, write: bool = False) -> Opened:
        """The register and version a caller may use, or the error that says why not. Every read and
        write of records goes through here."""
        both = await self.repository.register_and_version(name, version)
        if both is None:
            if await self.repository.register(name) is None:
                raise RegisterNotFound(f"There is no register called {name!r}.")
            raise RegisterNotFound(f"Register {name!r} has no version {version!r}.")
        register, found = both
        if write or not anyone_may_read(register.classification):
            await self._check_access(register, caller, write=write)
        return Opened(register, found)

    async def _check_access(self, register: Register, caller: Caller, *, write: bool) -> None:
        action = "change" if write else "read"
        if caller.client is None:
            raise identify_first(f"{action} register {register.name!r}", caller)
        if await self.may_use(register, caller):
            return
        raise NotGranted(
            f"{caller.client} has not been granted access to {action} register {register.name!r}."
        )

    async def may_use(self, register: Register, caller: Caller) -> bool:
        """Whether a verified caller may read and change `register`'s records: its owner's subsystems and
        the members or subsystems it granted."""
        if caller.client is None:
            return False
        return caller.member == register.owner or await self.repository.has_grant(register.id, caller.client)

    async def may_see(self, register: Register, caller: Caller) -> bool:
        """Whether the catalogue routes (`/databases`, `/database/{id}`, the grants) show `caller` the
        register and its owner: an open register to anyone, any other only to those who may use it."""
        return anyone_may_read(register.classification) or await self.may_use(register, caller)

    async def grant(self, name: str, client: str, *, by: Caller | None = None) -> None:
        """Let `client` (a member or one subsystem) use register `name`. `by` is checked to be the owner;
        None is the operator at the command line."""
        register = await self._owned(name, by)
        Caller.from_header(client, None)
        await self.repository.grant(register.id, client)

    async def grants(self, name: str, *, by: Caller) -> list[RegistryGrant]:
        return await self.repository.grants((await self._owned(name, by)).id)

    async def revoke(self, name: str, client: str, *, by: Caller) -> None:
        register = await self._owned(name, by)
        if not await self.repository.revoke(register.id, client):
            raise GrantNotFound(f"{client} holds no grant on register {name!r}.")

    async def _owned(self, name: str, by: Caller | None) -> Register:
        """Register `name` when `by` owns it (None: the operator at the command line). The caller is
        identified before the register is looked up, and a register `by` may not see answers as one that
        does not exist: an anonymous or unrelated caller learns neither its existence nor its owner."""
        if by is not None and by.client is None:
            raise identify_first(f"manage the grants of register {name!r}", by)
        register = None if "\x00" in name else await self.repository.register(name)
        if register is None or (by is not None and not await self.may_see(register, by)):
            raise RegisterNotFound(f"There is no register called {name!r}.")
        if by is not None and by.member != register.owner:
            raise NotGranted(f"Only the owner of register {name!r} ({register.owner}) manages its grants.")
        return register

    # --- reads ------------------------------------------------------------------------------------

    async def search(
        self,
        opened: Opened,
        caller: Caller,
        *,
        text: str | None,
        text_field: str | None,
        equals: Mapping[str, str],
        ordering: str | None,
        page: int,
        page_size: int,
    ) -> Page:
        """Records with `text` in any field (or in `text_field`) and the `equals` field values, a page."""
        asked = [text or "", text_field or "", ordering or "", *equals.keys(), *equals.values()]
        if any("\x00" in part for part in asked):
            raise InvalidQuery("Search terms, field names and orderings may not contain the NUL character.")
        order_field, descending = search_ordering(ordering)
        count, rows = await self.repository.search(
            opened.register.id,
            known_count=await self._kept_count(opened, text, equals),
            text=text,
            text_field=text_field,
            equals=equals,
            key_field=opened.version.key_field,
            order_field=order_field,
            descending=descending,
            offset=(page - 1) * page_size,
            limit=page_size,
        )
        await self.log_reads(opened, caller, rows)
        return Page(count, [row.content for row in rows], has_next=page * page_size < count)

    async def _kept_count(self, opened: Opened, text: str | None, equals: Mapping[str, str]) -> int | None:
        """The page's `count` from the counts kept for the register, where they answer it: every record,
        or one value of an indexed field. None: count the matches."""
        if text:
            return None
        if not equals:
            return await self.repository.counted(opened.register.id, TOTAL, TOTAL)
        if len(equals) != 1:
            return None
        [(field, value)] = equals.items()
        if field in opened.register.indexed_fields and field != opened.version.key_field:
            return await self.repository.counted(opened.register.id, field, value)
        return None

    async def read(self, opened: Opened, caller: Caller, query: Mapping[str, Any]) -> dict[str, Any]:
        found = await self.repository.matching(opened.register.id, query, key_field=opened.version.key_field)
        if not found:
            raise RecordNotFound("no record found")
        await self.log_reads(opened, caller, found[:1])
        return found[0].content

    async def exists(self, opened: Opened, query: Mapping[str, Any]) -> bool:
        return bool(
            await self.repository.matching(opened.register.id, query, key_field=opened.version.key_field)
        )

    async def _identified(self, opened: Opened, identifier: str) -> RegistryRecord:
        properties = opened.version.record_schema.get("properties", {})
        fields = [
            field for field in IDENTIFIER_FIELDS if field in properties and field != opened.version.key_field
        ]
        found = await self.repository.by_identifier(opened.register.id, identifier, fields)
        if not found:
            raise RecordNotFound("no record found")
        if len(found) > 1:
            raise DuplicateRecord(f"{identifier!r} identifies more than one record; use the record's key.")
        return found[0]

    async def read_value(self, opened: Opened, caller: Caller, identifier: str, field: str) -> Any:
        record = await self._identified(opened, identifier)
        if field not in record.content:
            raise RecordNotFound(f"record {identifier!r} has no field {field!r}")
        await self.log_reads(opened, caller, [record])
        return record.content[field]

    async def log_reads(self, opened: Opened, caller: Caller, rows: Sequence[RegistryRecord]) -> None:
        subject_field = opened.version.subject_field
        if opened.register.classification != "personal" or not rows or subject_field is None:
            return
        now = utcnow()
        await self.repository.log_personal_data_use(
            [
                PersonalDataUse(
                    register_id=opened.register.id,
                    record_key=row.record_key,
                    subject_id=subject_id_of(row.content, row.record_key, subject_field),
                    reader=caller.client or "anonymous",
                    purpose=caller.purpose,
                    read_at=now,
                )
                for row in rows
            ]
        )

    async def personal_data_usage(
        self, caller: Caller, subject_id: str, database_code: str
    ) -> list[PersonalDataUse]:
        """Who read records about `subject_id` in the registers of database `database_code`, newest first.
        Only registers the caller may read count (until people sign in to the portal to see their own)."""
        if caller.client is None:
            raise identify_first("read who used personal data", caller)
        if "\x00" in subject_id + database_code:
            return []  # nothing stored holds NUL
        readable = [
            register.id
            for register in await self.repository.register_by_code(database_code)
            if await self.may_use(register, caller)
        ]
        return await self.repository.personal_data_uses(subject_id, readable)

    # --- changes ----------------------------------------------------------------------------------

    async def create(self, opened: Opened, content: Mapping[str, Any]) -> dict[str, Any]:
        content = with_uuid(opened.version.record_schema, content)
        key = self._valid_key(opened, content, "/write/content")
        if await self.repository.by_key(opened.register.id, key) is not None:
            raise DuplicateRecord(f"A record with {opened.version.key_field} {key!r} already exists.")
        await self._record(opened, [("create", key, dict(content))])
        return dict(content)

    async def create_many(self, opened: Opened, records: Sequence[Mapping[str, Any]]) -> int:
        """Create records in bulk: every one valid and new, or none written. One ledger append."""
        errors: list[FieldError] = []
        keys: list[str] = []
        checker = RecordChecker(opened.version.record_schema)
        created = [with_uuid(opened.version.record_schema, content) for content in records]
        for position, content in enumerate(created):
            try:
                keys.append(self._valid_key(opened, content, f"/{position}", checker))
            except InvalidRecord as error:
                errors += error.field_errors
        if errors:
            raise InvalidRecord(describe_errors(errors), field_errors=errors)
        pairs = list(zip(keys, created, strict=True))
        if self.batch is not None:  # a group commit's: `_record` keeps the entries for the batch
            await self._check_new(opened, keys)
            await self._record(opened, [("create", key, content) for key, content in pairs])
            return len(pairs)
        # The register's lock first: no other writer can take a key between the check and the write.
        register, version = opened.register, opened.version
        count = await self.repository.lock_for_entries(register.id)
        await self._check_new(opened, keys)
        # Read before the write: a failed write expires every loaded object with the transaction.
        unique_fields, name = unique_index_fields(register, version), register.name
        try:
            await write_new_records(
                self.repository,
                self.ledgers,
                register,
                version,
                count=count,
                records=pairs,
            )
        except IntegrityError as error:
            duplicate = unique_violation(error, unique_fields, name)
            if duplicate is None:
                raise
            raise duplicate from None
        return len(pairs)

    async def _check_new(self, opened: Opened, keys: Sequence[str]) -> None:
        repeated = {key for key in keys if keys.count(key) > 1} if len(set(keys)) != len(keys) else set()
        existing = await self.repository.existing_keys(opened.register.id, keys)
        if repeated or existing:
            clash = sorted(repeated | existing)[:10]
            raise DuplicateRecord(f"{len(repeated | existing)} key(s) already exist or repeat, e.g. {clash}.")

    @staticmethod
    def check_create(opened: Opened, content: Mapping[str, Any]) -> str:
        """The key of a record to create, or `InvalidRecord`: the checks that need no database."""
        return RegistriesService._valid_key(opened, content, "/write/content")

    async def create_each(
        self, opened: Opened, records: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[dict[str, Any] | DuplicateRecord]:
        """Create records, each for its own caller, written together (`check_create` has checked them,
        giving their keys): a key that exists, or that an earlier one of `records` takes, fails alone
        (its outcome is the `DuplicateRecord`); the rest are written."""
        keys = [key for key, _ in records]
        batch = self.batch
        if batch is not None and batch.changes_begun == 0 and batch.keys_looked_up.issuperset(keys):
            existing = set(batch.keys_found.intersection(keys))
        else:
            existing = await self.repository.existing_keys(opened.register.id, keys)
        outcomes: list[dict[str, Any] | DuplicateRecord] = []
        changes: list[tuple[str, str, dict[str, Any] | None]] = []
        for key, content in records:
            if key in existing:
                outcomes.append(
                    DuplicateRecord(f"A record with {opened.version.key_field} {key!r} already exists.")
                )
                continue
            existing.add(key)
            outcomes.append(dict(content))
            changes.append(("create", key, dict(content)))
        if changes:
            # In a batch the keys were looked up under its lock: none of them has a record to read again.
            await self._record(opened, changes, keys_absent=self.batch is not None)
        return outcomes

    async def begin_batch(self, register_id: int, create_keys: Collection[str] = ()) -> WriteBatch:
        """Take the register's lock for a group of writes; until `end_batch`, changes go into the batch.
        `create_keys`, the keys of the records the batch is to create, are looked up with the lock where
        that saves a round trip (`lock_for_entries_and_keys`)."""
        count, found = await self.repository.lock_for_entries_and_keys(register_id, create_keys)
        self.batch = WriteBatch(register_id, count)
        if found is not None:
            self.batch.keys_looked_up, self.batch.keys_found = frozenset(create_keys), frozenset(found)
        return self.batch

    async def end_batch(self, memo: AppendMemo | None = None) -> None:
        """Write the batch's entries and their ledger leaves: one ledger append, one insert."""
        batch, self.batch = self.batch, None
        if batch is None or not batch.entries:
            return
        appended = await self.ledgers.append(batch.ledger_name, batch.leaves, memo)
        for position, entry in enumerate(batch.entries):
            entry["ledger_index"] = appended.first_index + position
        await self.repository.append_entries(batch.entries, batch.register_id, batch.count)

    async def update(
        self, opened: Opened, query: Mapping[str, Any], write: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change the one record matching `query`; fields not in `write` keep their values."""
        found = await self.repository.matching(opened.register.id, query, key_field=opened.version.key_field)
        if not found:
            raise RecordNotFound("no record found")
        if len(found) > 1:
            raise DuplicateRecord(
                f"The query matches {len(found)} records; use updateEntries to change several."
            )
        [changed] = await self._update_all(opened, found, write)
        return changed

    async def update_entries(self, opened: Opened, query: Mapping[str, Any], write: Mapping[str, Any]) -> int:
        """Change every record matching `query`: all of them, or none if any would break the schema. A query
        that matches nothing changes nothing: 0, as a bulk update answers (and as GovStack's clients, which
        may send the same update twice, expect)."""
        found = await self.repository.matching(opened.register.id, query, key_field=opened.version.key_field)
        if not found:
            return 0
        return len(await self._update_all(opened, found, write))

    async def update_or_create(
        self, opened: Opened, query: Mapping[str, Any], write: Mapping[str, Any]
    ) -> dict[str, Any]:
        found = await self.repository.matching(opened.register.id, query, key_field=opened.version.key_field)
        if not found:
            return await self.create(opened, {**query, **write})
        if len(found) > 1:
            raise DuplicateRecord(
                f"The query matches {len(found)} records; use updateEntries to change several."
            )
        [changed] = await self._update_all(opened, found, write)
        return changed

    async def delete(self, opened: Opened, identifier: str) -> None:
        record = await self._identified(opened, identifier)
        await self._record(opened, [("delete", record.record_key, None)])

    async def _update_all(
        self, opened: Opened, records: Sequence[RegistryRecord], write: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        key_field = opened.version.key_field
        changes: list[tuple[str, str, dict[str, Any] | None]] = []
        errors: list[FieldError] = []
        for record in records:
            merged = {**record.content, **write}
            if key_field in write and str(write[key_field]) != record.record_key:
                errors.append(
                    FieldError("body", f"/write/content/{key_field}", "the key of a record cannot change")
                )
            errors += record_errors(opened.version.record_schema, merged, "/write/content")
            errors += indexed_value_errors(opened.register.indexed_fields, merged, "/write/content")
            changes.append(("update", record.record_key, merged))
        if errors:
            raise InvalidRecord(describe_errors(errors), field_errors=unique_errors(errors))
        await self._record(opened, changes)
        return [content for _, _, content in changes if content is not None]

    @staticmethod
    def _valid_key(
        opened: Opened, content: Mapping[str, Any], prefix: str, checker: RecordChecker | None = None
    ) -> str:
        version = opened.version
        errors = (checker or RecordChecker(version.record_schema)).errors(content, prefix)
        errors += indexed_value_errors(opened.register.indexed_fields, content, prefix)
        key = content.get(version.key_field)
        if not isinstance(key, (str, int)) or isinstance(key, bool) or str(key) == "":
            errors.append(FieldError("body", f"{prefix}/{version.key_field}", "the key field needs a value"))
        if errors:
            raise InvalidRecord(describe_errors(errors), field_errors=errors)
        return str(key)

    async def _record(
        self,
        opened: Opened,
        changes: Sequence[tuple[str, str, dict[str, Any] | None]],
        *,
        keys_absent: bool = False,
    ) -> None:
        """Write the entries, their ledger leaves and the derived current records, in order. Bulk writes
        go through plain INSERTs: the ORM's per-object bookkeeping would cost more than the database.
        In a batch (`begin_batch`) the entries and leaves wait for `end_batch`."""
        register, version = opened.register, opened.version
        batch = self.batch
        if batch is None:
            count = await self.repository.lock_for_entries(register.id)
        elif batch.register_id != register.id:
            raise ValueError(f"a batch of register {batch.register_id} cannot change register {register.id}")
        else:
            batch.changes_begun += 1
            count = batch.count
        maker = EntryMaker(register, version, utcnow())
        entries: list[dict[str, Any]] = []
        leaves: list[bytes] = []
        for number, (kind, key, content) in enumerate(changes, start=count + 1):
            entry, entry_leaf = maker.make(number, kind, key, content)
            entries.append(entry)
            leaves.append(entry_leaf)
        if batch is None:
            appended = await self.ledgers.append(register.ledger_name, leaves)
            for position, entry in enumerate(entries):
                entry["ledger_index"] = appended.first_index + position
            await self.repository.append_entries(entries, register.id, count + len(changes))
        else:
            batch.ledger_name = register.ledger_name
            batch.entries += entries
            batch.leaves += leaves
            batch.count += len(changes)
        # Read before the write: a failed flush expires every loaded object with the transaction.
        unique_fields, name = unique_index_fields(register, version), register.name
        try:
            await self._apply(register, version, entries, keys_absent=keys_absent)
        except IntegrityError as error:
            # The unit of work rolls back entries and leaves with the records: nothing is half-written.
            duplicate = unique_violation(error, unique_fields, name)
            if duplicate is None:
                raise
            raise duplicate from None

    async def _apply(
        self,
        register: Register,
        version: RegisterVersion,
        entries: Sequence[dict[str, Any]],
        *,
        keys_absent: bool = False,
    ) -> None:
        """Bring the current records, and their counts, up to date with the new entries, in order.
        `keys_absent`: the caller found, under the register's lock, that no entry's key has a record."""
        current = (
            {}
            if keys_absent
            else await self.repository.records_by_keys(
                register.id, {entry["record_key"] for entry in entries}
            )
        )
        before: dict[str, Mapping[str, Any] | None] = {key: row.content for key, row in current.items()}
        after: dict[str, Mapping[str, Any] | None] = {}
        new_rows: dict[str, dict[str, Any]] = {}
        for entry in entries:
            key, content = entry["record_key"], entry["content"]
            after[key] = content
            values = {
                "content": content,
                "version_id": version.id,
                "entry_number": entry["number"],
                "updated_at": entry["recorded_at"],
            }
            if entry["kind"] == "delete":
                if key in new_rows:
                    del new_rows[key]
                elif key in current:
                    await self.repository.delete_record(current.pop(key))
            elif key in new_rows:
                new_rows[key].update(values, search_text=search_text(content))
            elif key in current:
                row = current[key]
                row.content, row.version_id = content, version.id
                row.entry_number, row.updated_at = entry["number"], entry["recorded_at"]
                row.search_text = search_text(content)
            else:
                new_rows[key] = {
                    "register_id": register.id,
                    "record_key": key,
                    "search_text": search_text(content),
                }
                new_rows[key].update(values)
        changes = await count_changes(self.repository, register.indexed_fields, before, after)
        await self.repository.session.flush()
        await self.repository.insert_record_rows(list(new_rows.values()), register.id, changes)

    # --- pages and open data ----------------------------------------------------------------------
    # A register's description and schema are public whatever its classification; its records are
    # read through `open` like any other read. Anonymous readers reach open registers only.

    async def registers(self) -> list[Register]:
        return await self.repository.registers()

    async def describe(self, name: str) -> tuple[Register, list[RegisterVersion]]:
        """Register `name` and its schema versions, oldest first."""
        # No name holds NUL, which PostgreSQL refuses in text rather than failing to match.
        register = None if "\x00" in name else await self.repository.register(name)
        if register is None:
            raise RegisterNotFound(f"There is no register called {name!r}.")
        return register, await self.repository.versions(register.id)

    async def open_public(self, name: str) -> Opened:
        """The newest version of register `name`, opened for an anonymous reader (`Caller(None)`):
        open registers only; a personal or restricted one is `NotGranted`."""
        register, versions = await self.describe(name)
        if not versions:
            raise RegisterNotFound(f"Register {name!r} has no version yet.")
        try:
            return await self.open(name, versions[-1].version, Caller(None, "open data"))
        except CallerUnknown:
            raise NotGranted(
                f"Register {name!r} is {register.classification}: its records are only available to "
                "granted members, through the data API."
            ) from None

    async def record_fields(self, opened: Opened) -> list[str]:
        """The union of every version's fields (newest version first, in schema order) and of the fields
        current records hold (the rest, sorted): the columns of a download."""
        fields: list[str] = []
        for version in reversed(await self.repository.versions(opened.register.id)):
            fields += [field for field in version.record_schema.get("properties", {}) if field not in fields]
        used = await self.repository.record_field_names(opened.register.id)
        return fields + sorted(used - set(fields))

    async def records_chunk(
        self, opened: Opened, caller: Caller, *, after_key: str | None, limit: int
    ) -> list[RegistryRecord]:
        """Current records in key order after `after_key`, at most `limit`: a whole register in chunks."""
        rows = await self.repository.records_after(opened.register.id, after_key, min(limit, MAX_PAGE_SIZE))
        await self.log_reads(opened, caller, rows)
        return rows

    async def entries_chunk(
        self, opened: Opened, *, after_number: int, limit: int, tree_size: int
    ) -> list[RegistryEntry]:
        """Entries in order after number `after_number`, at most `limit`, whose ledger leaf is in the
        first `tree_size` leaves (so they match a checkpoint of that size)."""
        return await self.repository.entries_after(
            opened.register.id, after_number, min(limit, MAX_PAGE_SIZE), below_ledger_index=tree_size
        )

    async def record_history(
        self, opened: Opened, caller: Caller, key: str
    ) -> tuple[RegistryRecord | None, list[RegistryEntry]]:
        """The record with key `key` (None once deleted) and every entry about it, oldest first."""
        history = [] if "\x00" in key else await self.repository.history(opened.register.id, key)
        if not history:
            raise RecordNotFound(f"Register {opened.register.name!r} has no record {key!r}.")
        current = await self.repository.by_key(opened.register.id, key)
        if current is not None:
            await self.log_reads(opened, caller, [current])
        return current, history

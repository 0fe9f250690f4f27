"""Registry tables. `registry_entries` is the append-only history, written in the same transaction as the
change and as its ledger leaf; `registry_records` is the current state derived from it, kept for reads."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import RUNTIME_INDEXES, UNMODELLED, Base
from govhub.kit.types import UtcDateTime


class Register(Base):
    __tablename__ = "registry_registers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The `registryName` of the GovStack data API path.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: `open`, `personal` or `restricted`.
    classification: Mapped[str] = mapped_column(String(20))
    #: The owning organisation, as an Information-Mediator member (`INSTANCE/CLASS/MEMBER`).
    owner: Mapped[str] = mapped_column(String(200))
    #: The GovStack database code (`MCTS`), used by `myPersonalDataUsage?databaseId=`.
    database_code: Mapped[str] = mapped_column(String(50))
    ledger_name: Mapped[str] = mapped_column(String(63), unique=True)
    #: Entries so far; the next entry is number `entry_count + 1`.
    entry_count: Mapped[int] = mapped_column(BigInteger)
    #: The fields with an index, as the newest version marks them: `{field: unique}`. Their value counts
    #: are kept in `registry_value_counts`, whichever version a write uses.
    indexed_fields: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegisterVersion(Base):
    """A schema of the register. Changing the schema makes a new version; records keep theirs."""

    __tablename__ = "registry_versions"
    __table_args__ = (
        UniqueConstraint("register_id", "version"),
        UniqueConstraint("database_id", name="uq_registry_versions_database_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The id the GovStack Database API shows (`/database/{id}`, an integer of any size): the next free
    #: one when the version is made, or the one a loader of GovStack's scenario data gives it.
    database_id: Mapped[int] = mapped_column(BigInteger)
    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"))
    #: The `versionNumber` of the GovStack data API path.
    version: Mapped[str] = mapped_column(String(50))
    #: JSON Schema (draft 2020-12) of one record's content.
    record_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_field: Mapped[str] = mapped_column(String(100))
    #: Field whose value identifies the person a personal record is about, for the data-use log.
    subject_field: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


#: A register's field indexes are made at run time from its schema (`x-govhub-indexed`, `x-govhub-unique`):
#: `ix_`/`uq_registry_records_r{register id}_{hash of the field name}`, partial on the register.
FIELD_INDEX_NAME = re.compile(r"^(ix|uq)_registry_records_r(\d+)_[0-9a-f]{12}$")
RUNTIME_INDEXES.append(FIELD_INDEX_NAME)

#: The text index of `search_text` (migration 0020), one backend's own kind: SQLite's FTS5 table
#: `registry_records_search` (with its shadow tables, and triggers that keep it in step with the records),
#: PostgreSQL's GIN index `ix_registry_records_search`.
SEARCH_INDEX_NAME = re.compile(r"^(ix_)?registry_records_search(_[a-z]+)?$")
UNMODELLED.append(SEARCH_INDEX_NAME)


class RegistryRecord(Base):
    """The current content of one record: derived from its latest entry."""

    __tablename__ = "registry_records"
    __table_args__ = (UniqueConstraint("register_id", "record_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"))
    record_key: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("registry_versions.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Lower-cased text of every value, for `search`, through its text index (SEARCH_INDEX_NAME).
    search_text: Mapped[str] = mapped_column(Text)
    entry_number: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegistryEntry(Base):
    """One change to a register, in order. Never updated or deleted."""

    __tablename__ = "registry_entries"

    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    record_key: Mapped[str] = mapped_column(String(200), index=True)
    #: `create`, `update` or `delete`.
    kind: Mapped[str] = mapped_column(String(10))
    version_id: Mapped[int] = mapped_column(ForeignKey("registry_versions.id"))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of `content`, hex; what the ledger leaf commits to.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: 16 random bytes, hex, that the leaf of an entry of a personal or restricted register commits to with
    #: it (`registries.leaves`); null for open registers, and for entries written before salting.
    salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The entry's index in the register's ledger.
    ledger_index: Mapped[int] = mapped_column(BigInteger)


class RegistryGrant(Base):
    """A member allowed to read and write a personal or restricted register (until `members` arrives)."""

    __tablename__ = "registry_grants"
    __table_args__ = (UniqueConstraint("register_id", "client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"))
    #: `INSTANCE/CLASS/MEMBER` (every subsystem of the member) or `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    client: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PersonalDataUse(Base):
    """Someone read a record about a person: who, when, why. Shown to that person."""

    __tablename__ = "registry_personal_data_use"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"))
    record_key: Mapped[str] = mapped_column(String(200))
    subject_id: Mapped[str] = mapped_column(String(200), index=True)
    reader: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(500))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegistryValueCount(Base):
    """How many current records of a register hold each value of an indexed field (as the field's index
    spells it), and, under field and value `""`, how many current records there are: what a page's
    `count` is read from, kept in the transaction that changes the records."""

    __tablename__ = "registry_value_counts"

    register_id: Mapped[int] = mapped_column(ForeignKey("registry_registers.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(63), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)

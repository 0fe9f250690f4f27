"""Request and response bodies of the GovStack Digital Registries data API 1.3.0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Content(BaseModel):
    content: dict[str, Any] = Field(description="A record, or the fields to match or write.")


def _wrapped(data: Any, wrapper: str) -> Any:
    """GovStack's conformance scenarios send `create`'s record and `exists`'s query bare, without the
    spec's `{"write"|"query": {"content": ...}}`: a non-empty object without the wrapper is its content."""
    if isinstance(data, dict) and data and wrapper not in data:
        return {wrapper: {"content": data}}
    return data


class WriteBody(BaseModel):
    """`{"write": {"content": record}}`; the record bare is understood too."""

    write: Content

    @model_validator(mode="before")
    @classmethod
    def _bare_record(cls, data: Any) -> Any:
        return _wrapped(data, "write")


class QueryBody(BaseModel):
    """`{"query": {"content": fields}}`; the fields bare are understood too."""

    query: Content

    @model_validator(mode="before")
    @classmethod
    def _bare_query(cls, data: Any) -> Any:
        return _wrapped(data, "query")


class QueryWriteBody(BaseModel):
    query: Content | None = Field(None, description="Which record(s); defaults to the key in `write`.")
    write: Content


class Answer(BaseModel):
    status: bool
    message: str


class ExistsResponse(BaseModel):
    answer: Answer


class UpdatedCount(BaseModel):
    updated: int = Field(description="How many records were changed.")


#: `readValue`'s answer: a text value bare, any other as `{"value": ...}` (the spec's `anyOf`).
PlainValue = str | dict[str, Any]


class RecordList(BaseModel):
    count: int = Field(description="How many records this page holds (the length of `results`).")
    total: int = Field(description="govhub extension: how many records match, on every page.")
    #: Left out when there is no next (or previous) page, as GovStack's examples show.
    next: str | None = None
    previous: str | None = None
    results: list[dict[str, Any]]


class Reference(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    reference_id: str = Field(alias="ReferenceID")


class PersonalDataUsage(BaseModel):
    """One read of a person's data, in the spec's field names (its spelling of `refrences` included)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    reader_id: str = Field(alias="readerId")
    reader_initials: str = Field(alias="readerInitials")
    reader_institution_id: str = Field(alias="readerInstitutionId")
    reader_institution_name: str = Field(alias="readerInstitutionName")
    reader_application_name: str = Field(alias="readerApplicationName")
    search_date_time: datetime = Field(alias="searchDateTime")
    purpose: str
    references: list[Reference] = Field(alias="refrences")

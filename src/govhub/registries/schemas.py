"""Request and response bodies of the GovStack Digital Registries data API 1.3.0."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Content(BaseModel):
    content: dict[str, Any] = Field(description="A record, or the fields to match or write.")


class WriteBody(BaseModel):
    write: Content


class QueryBody(BaseModel):
    query: Content


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


class ValueResponse(BaseModel):
    value: Any


class RecordList(BaseModel):
    count: int
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

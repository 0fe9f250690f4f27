"""The GovStack Digital Registries Database API 1.3.0: `GET /databases`, `GET|DELETE /database/{id}`,
`POST /database/modify`. Camel-case field names as in the spec; JSON as `application/json; charset=utf-8`,
and errors as plain JSON with 400 for a malformed parameter, as GovStack's clients expect.

`/databases` answers the spec's `DatabasesSchema`: one object (a group of databases). govhub's group is the
caller's whole catalogue: every database (register version) it may see, each naming its register's `code`.
Database ids are integers of any size: the id a version was given (`RegisterVersion.database_id`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Path as PathParameter
from pydantic import BaseModel, ConfigDict, Field

from govhub.kit.clock import iso_utc
from govhub.kit.problems import plain_json_errors_under
from govhub.kit.routing import JsonUtf8Response, api_router, plain_json_problem_response
from govhub.registries.databases.service import DatabaseCatalogue, DatabaseGroup
from govhub.registries.dependencies import CATALOGUE_PROBLEMS, CallerDep, Registries
from govhub.registries.models import Register, RegisterVersion

#: The GovStack Database API's paths answer errors as GovStack's clients expect (as the data API does).
plain_json_errors_under("/databases", "/database/")
router = api_router(
    tags=["registries: databases"],
    responses={
        status: plain_json_problem_response(str(answer["description"]))
        for status, answer in CATALOGUE_PROBLEMS.items()
    },
    default_response_class=JsonUtf8Response,
)


class DatabaseInfo(BaseModel):
    id: int
    version: str
    name: str
    description: str
    institution: str
    classification: str = Field(description="govhub extension: open, personal or restricted.")
    code: str = Field(description="govhub extension: the database code of the register (its group).")
    schema_: dict[str, Any] = Field(alias="schema")
    modifiedAt: str  # noqa: N815 (the spec's field name)


class DatabasesInfo(BaseModel):
    """The spec's `DatabasesSchema`: a group of databases. govhub's is the caller's catalogue."""

    id: int = Field(description="The catalogue's id: 0.")
    name: str
    code: str = Field(description="The catalogue's code: empty; each database names its own.")
    databases: list[DatabaseInfo]


class TriggerCondition(BaseModel):
    model_config = ConfigDict(extra="allow")

    logic: str | None = None
    value: str | None = None
    gate: str | None = None


class TriggerAction(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | None = None
    value: str | None = None
    field_id: int | None = None


class Trigger(BaseModel):
    model_config = ConfigDict(extra="allow")

    conditions: list[TriggerCondition] = []
    actions: list[TriggerAction] = []


class FieldSchema(BaseModel):
    """One field of a GovStack database schema: JSON Schema plus GovStack's members (`id`, `primaryKey`,
    `triggers`), whose types are checked; any other JSON Schema keyword is kept as given."""

    model_config = ConfigDict(extra="allow")

    type: str | list[str] | None = None
    id: int | None = None
    primaryKey: bool | None = None  # noqa: N815 (GovStack's name)
    readOnly: bool | None = None  # noqa: N815 (JSON Schema's name)
    description: str | None = None
    example: str | None = None
    triggers: list[Trigger] | None = None
    properties: dict[str, FieldSchema] | None = None


class DatabaseSchema(BaseModel):
    """The spec's DatabaseSchema members, checked; any other JSON Schema keyword is kept as given."""

    model_config = ConfigDict(extra="allow")

    type: str = "object"
    properties: dict[str, FieldSchema]
    required: list[str] = []
    incrementIndex: int | None = None  # noqa: N815 (the spec's field name)


class ModifyBody(BaseModel):
    groupName: str | None = None  # noqa: N815
    catalogName: str | None = None  # noqa: N815
    code: str
    schema_: DatabaseSchema = Field(
        alias="schema", description="JSON Schema; one property has primaryKey: true."
    )
    classification: str = Field("restricted", description="govhub extension: open, personal or restricted.")


def _info(version: RegisterVersion, register: Register) -> DatabaseInfo:
    schema = dict(version.record_schema)
    return DatabaseInfo(
        id=version.database_id,
        version=version.version,
        name=register.name,
        description=register.description,
        institution=register.owner,
        classification=register.classification,
        code=register.database_code,
        schema=schema,
        modifiedAt=iso_utc(version.created_at),
    )


def _catalogue_info(groups: list[DatabaseGroup]) -> DatabasesInfo:
    return DatabasesInfo(
        id=0,
        name="Databases",
        code="",
        databases=[_info(version, group.register) for group in groups for version in group.versions],
    )


async def _catalogue(registries: Registries) -> DatabaseCatalogue:
    return DatabaseCatalogue(registries)


Catalogue = Annotated[DatabaseCatalogue, Depends(_catalogue)]
DatabaseId = Annotated[
    int, PathParameter(ge=1, le=2**63 - 1, description="The database (register version) id.")
]


@router.get("/databases", summary="databases", response_model_by_alias=True)
async def databases(catalogue: Catalogue, caller: CallerDep) -> DatabasesInfo:
    """Every database the caller may see: open registers', and those of the personal and restricted
    registers it owns or was granted."""
    return _catalogue_info(await catalogue.groups(caller))


@router.get("/database/{id}", summary="database", response_model_by_alias=True)
async def database(catalogue: Catalogue, caller: CallerDep, id: DatabaseId) -> DatabaseInfo:  # noqa: A002
    return _info(*await catalogue.database(id, caller))


@router.delete("/database/{id}", summary="delete database")
async def delete_database(catalogue: Catalogue, caller: CallerDep, id: DatabaseId) -> str:  # noqa: A002
    await catalogue.delete(caller, id)
    return "Success"


@router.post("/database/modify", summary="create or modify database", response_model_by_alias=True)
async def modify_database(body: ModifyBody, catalogue: Catalogue, caller: CallerDep) -> dict[str, Any]:
    version = await catalogue.modify(
        caller,
        code=body.code,
        catalog_name=body.catalogName,
        schema=body.schema_.model_dump(exclude_none=True),
        classification=body.classification,
    )
    return dict(version.record_schema)

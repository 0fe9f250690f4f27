"""The GovStack Digital Registries data API 1.3.0, on the spec's paths, plus the older spellings that
GovStack's published test scenarios still call; and the admin API where a register's owner manages who may
use it. Thin: parse, identify the caller, call the service.

On the GovStack paths JSON is `application/json; charset=utf-8`, and errors are the same problem bodies sent
as plain JSON (unless the client asks for `application/problem+json`), a malformed parameter 400: what
GovStack's clients and conformance scenarios expect (`kit.problems.plain_json_errors_under`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, Field

from govhub.exchange import ASSERTION_HEADER
from govhub.kit.errors import GovhubError
from govhub.kit.problems import PROBLEM_JSON, plain_json_errors_under
from govhub.kit.routing import JsonUtf8Response, answered_first_by, api_router, is_json_media_type
from govhub.registries.callers import named_client
from govhub.registries.dependencies import (
    CATALOGUE_PROBLEMS,
    CallerDep,
    OnDemandRegistries,
    ReadOptionsDep,
    RecordId,
    Registries,
    RegistryName,
    VersionNumber,
    Writes,
    point_reads_of,
)
from govhub.registries.errors import InvalidQuery
from govhub.registries.open_reads import read_open_record
from govhub.registries.proofs import ReadOptions, RecordProofs, read_record
from govhub.registries.schemas import (
    Answer,
    ExistsResponse,
    PersonalDataUsage,
    PlainValue,
    QueryBody,
    QueryWriteBody,
    RecordList,
    Reference,
    UpdatedCount,
    WriteBody,
)
from govhub.registries.service import MAX_PAGE_SIZE, Opened

_NOT_IDENTIFIED = (
    "No verified caller: Information-Mediator-Client is believed only through the exchange gateway, with "
    "the subsystem's own access token, or from a trusted mediator's network."
)
_NOT_ALLOWED = (
    "The caller has no grant on this personal or restricted register, or its credentials name another caller."
)
#: Sent as plain JSON unless the client asks for a problem (`kit.problems.plain_json_errors_under`).
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"application/json": {}, PROBLEM_JSON: {}}}
    for status, description in [
        (401, _NOT_IDENTIFIED),
        (403, _NOT_ALLOWED),
        (404, "No such register, version or record."),
        (409, "A record with that key exists, or the query matches several records."),
        (422, "The record breaks the register's schema; `errors` lists every failing path."),
    ]
}

#: The GovStack data API, with the problems its routes answer.
router = api_router(tags=["registries"], responses=_PROBLEMS, default_response_class=JsonUtf8Response)
DATA = "/data/{registryName}/{versionNumber}"
#: The data API's paths answer errors as GovStack's clients expect (the Database API's too: `databases.api`).
plain_json_errors_under("/data/")

#: A person's identifier and a database code, as the personal-data log holds them: a letter or digit, then
#: letters, digits and `.`, `_`, `-`, `:` or `/`. Anything else (GovStack's scenarios send `...`) is 400.
_USER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$"
_DATABASE_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"


# The personal-data routes come first: `/data/MyPersonalDataUsage/1.0` would otherwise be read as
# register `MyPersonalDataUsage`, version `1.0`.


@router.get(
    "/data/myPersonalDataUsage",
    summary="myPersonalDataUsage",
    operation_id="DPU",
    response_model_by_alias=True,
)
async def my_personal_data_usage(
    *,
    registries: Registries,
    caller: CallerDep,
    user_id: Annotated[str, Query(alias="userId", pattern=_USER_ID, description="The person's identifier.")],
    database_id: Annotated[
        str, Query(alias="databaseId", pattern=_DATABASE_CODE, description="The database code, e.g. MCTS.")
    ],
) -> list[PersonalDataUsage]:
    return await _personal_data_usage(registries, caller, user_id, database_id)


@router.get("/data/MyPersonalDataUsage/1.0", include_in_schema=False, response_model_by_alias=True)
async def my_personal_data_usage_1_0(
    *,
    registries: Registries,
    caller: CallerDep,
    user_id: Annotated[str | None, Query(alias="userId", pattern=_USER_ID)] = None,
    user_id_older: Annotated[str | None, Query(alias="userID", pattern=_USER_ID)] = None,
    database_id: Annotated[str | None, Query(alias="databaseId", pattern=_DATABASE_CODE)] = None,
    database_id_older: Annotated[str | None, Query(alias="DatabaseID", pattern=_DATABASE_CODE)] = None,
) -> list[PersonalDataUsage]:
    """The older path, as GovStack's scenarios call it: `userID` and `DatabaseID` are also understood."""
    user = user_id or user_id_older
    database = database_id or database_id_older
    if user is None or database is None:
        raise InvalidQuery("Send the person's identifier (userId) and the database code (databaseId).")
    return await _personal_data_usage(registries, caller, user, database)


async def _personal_data_usage(
    registries: Registries, caller: CallerDep, user_id: str, database_id: str
) -> list[PersonalDataUsage]:
    uses = await registries.personal_data_usage(caller, user_id, database_id)
    return [
        PersonalDataUsage(
            id=str(use.id),
            reader_id=use.reader,
            reader_initials="".join(
                part[:1].upper() for part in use.reader.split("/")[-1].split("-") if part
            ),
            reader_institution_id="/".join(use.reader.split("/")[:3]),
            reader_institution_name=use.reader.split("/")[2] if use.reader.count("/") >= 2 else use.reader,
            reader_application_name=use.reader.split("/")[-1],
            search_date_time=use.read_at,
            purpose=use.purpose,
            references=[Reference(reference_id=use.record_key)],
        )
        for use in uses
    ]


# `next` and `previous` are left out rather than null when there is no such page: the spec types them
# as strings (its `x-nullable` is an OpenAPI 2 extension that 3.0 validators do not honour).
@router.get(DATA, summary="list", operation_id="list", response_model_exclude_none=True)
async def list_records(
    *,
    request: Request,
    registries: Registries,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
    search: Annotated[
        str | None, Query(description="Text to find in any field (or in `filter`'s field).")
    ] = None,
    filter: Annotated[str | None, Query(description="Restrict `search` to this field.")] = None,  # noqa: A002
    ordering: Annotated[
        str | None, Query(description="`ascending`/`descending` by key, or a field name (`-field` reversed).")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 10,
) -> RecordList:
    opened = await registries.open(registry_name, version_number, caller)
    equals = {k.removeprefix("query."): v for k, v in request.query_params.items() if k.startswith("query.")}
    results = await registries.search(
        opened,
        caller,
        text=search,
        text_field=filter,
        equals=equals,
        ordering=ordering,
        page=page,
        page_size=page_size,
    )

    def link(to_page: int) -> str:
        return str(request.url.include_query_params(page=to_page, pageSize=page_size))

    # `count` is the number of results on this page, as GovStack's clients read it; `total` all matches.
    return RecordList(
        count=len(results.records),
        total=results.count,
        next=link(page + 1) if results.has_next else None,
        previous=link(page - 1) if page > 1 else None,
        results=results.records,
    )


@router.post(DATA + "/create", summary="create", operation_id="create")
async def create(
    body: WriteBody,
    writes: Writes,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
) -> dict[str, Any]:
    return {"content": await writes.create(registry_name, version_number, caller, body.write.content)}


async def read_plainly(request: Request) -> Response | None:
    """`read` answered before FastAPI resolves anything (`kit.routing.answered_first_by`), in its commonest
    form: a JSON body `{"query": {"content": {key field: value}}}`, no query string, and the caller named by
    headers alone (not a gateway's assertion nor a token, whose checks are the endpoint's), reading an open
    register by key: the same point read and answer as the endpoint's own fast path below, without the
    ~0.1 ms of resolving its parameters. Anything else, a miss included, is None: the endpoint answers."""
    headers = request.headers
    if request.scope.get("query_string") or ASSERTION_HEADER in headers or "authorization" in headers:
        return None
    content_type = headers.get("content-type", "")
    if content_type != "application/json" and not is_json_media_type(content_type):
        return None
    try:
        # Without an assertion or a token, all `caller_of` can refuse is client headers that clash.
        named_client(headers)
        body = json.loads(await request.body())
    except (ValueError, RecursionError, GovhubError):
        return None
    query = body.get("query") if isinstance(body, dict) and body.keys() == {"query"} else None
    if not isinstance(query, dict) or query.keys() != {"content"} or not isinstance(query["content"], dict):
        return None
    reads = point_reads_of(request)
    name, version = request.path_params["registryName"], request.path_params["versionNumber"]
    found = await read_open_record(reads, name, version, query["content"])
    return None if found is None else JsonUtf8Response({"content": found})


@router.post(DATA + "/read", summary="read", operation_id="read", response_model=dict[str, Any])
@answered_first_by(read_plainly)
async def read(
    *,
    body: QueryBody,
    on_demand: OnDemandRegistries,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
    as_of: ReadOptionsDep,
) -> dict[str, Any] | Response:
    """One record. govhub extensions: `asOfEntry` or `asOfDate` read the record as it stood then (the
    query must hold its key), and `proof=true` adds its entry's inclusion proof against the register
    ledger's signed checkpoint."""
    if as_of == ReadOptions():
        found = await read_open_record(
            on_demand.point_reads, registry_name, version_number, body.query.content
        )
        if found is not None:
            # Sent as it is: FastAPI's re-encoding of a plain dict would cost about as much as the read.
            return JsonUtf8Response({"content": found})
    async with on_demand.unit_of_work() as (registries, ledgers):
        opened = await registries.open(registry_name, version_number, caller)
        return await read_record(RecordProofs(registries, ledgers), opened, caller, body.query.content, as_of)


@router.post(DATA + "/exists", summary="exists", operation_id="exists")
async def exists(
    body: QueryBody,
    registries: Registries,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
) -> ExistsResponse:
    opened = await registries.open(registry_name, version_number, caller)
    found = await registries.exists(opened, body.query.content)
    message = "Object found from database" if found else "Object not found from database"
    return ExistsResponse(answer=Answer(status=found, message=message))


def _query(body: QueryWriteBody, opened: Opened) -> dict[str, Any]:
    if body.query is not None:
        return body.query.content
    key_field = opened.version.key_field
    return {key_field: body.write.content[key_field]} if key_field in body.write.content else {}


@router.put(DATA + "/update", summary="update", operation_id="update")
async def update(
    body: QueryWriteBody,
    writes: Writes,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
) -> dict[str, Any]:
    changed = await writes.change(
        registry_name,
        version_number,
        caller,
        lambda registries, opened: registries.update(opened, _query(body, opened), body.write.content),
    )
    return {"content": changed}


@router.put(DATA + "/updateEntries", summary="updateEntries", operation_id="updateEntries")
@router.put(DATA + "/update-entries", include_in_schema=False)
async def update_entries(
    body: QueryWriteBody,
    writes: Writes,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
) -> UpdatedCount:
    updated = await writes.change(
        registry_name,
        version_number,
        caller,
        lambda registries, opened: registries.update_entries(
            opened, _query(body, opened), body.write.content
        ),
    )
    return UpdatedCount(updated=updated)


@router.post(DATA + "/updateOrCreate", summary="updateOrCreate", operation_id="updateOrCreate")
@router.post(DATA + "/update-or-create", include_in_schema=False)
async def update_or_create(
    body: QueryWriteBody,
    writes: Writes,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
) -> dict[str, Any]:
    changed = await writes.change(
        registry_name,
        version_number,
        caller,
        lambda registries, opened: registries.update_or_create(
            opened, _query(body, opened), body.write.content
        ),
    )
    return {"content": changed}


@router.delete(DATA + "/{ID}/delete", summary="delete", operation_id="delete", status_code=204)
async def delete(
    writes: Writes,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
    record_id: RecordId,
) -> Response:
    await writes.change(
        registry_name, version_number, caller, lambda registries, opened: registries.delete(opened, record_id)
    )
    return Response(status_code=204)


@router.get(DATA + "/{uuid}/readValue/{field}.{ext}", summary="readValue", operation_id="readValue")
@router.get(DATA + "/{uuid}/read-value/{field}.{ext}", include_in_schema=False)
async def read_value(
    *,
    registries: Registries,
    caller: CallerDep,
    registry_name: RegistryName,
    version_number: VersionNumber,
    uuid: str,
    field: str,
    ext: str,  # noqa: ARG001 (only json is served; the spec puts the format in the path)
) -> PlainValue:
    """A text value bare (a JSON string), any other value as `{"value": ...}`: the spec allows both, and
    GovStack's clients expect the bare string."""
    opened = await registries.open(registry_name, version_number, caller)
    value = await registries.read_value(opened, caller, uuid, field)
    return value if isinstance(value, str) else {"value": value}


#: The registries' admin API: a register's owner manages who may use it (until the members block does).
grants_router = api_router(
    prefix="/registers/{name}/grants", tags=["registries: admin"], responses=CATALOGUE_PROBLEMS
)
Grantee = Annotated[str, Path(description="INSTANCE/CLASS/MEMBER, or .../SUBSYSTEM for one system.")]


class GrantRequest(BaseModel):
    client: str = Field(
        description="INSTANCE/CLASS/MEMBER (every subsystem) or INSTANCE/CLASS/MEMBER/SUBSYSTEM."
    )


class Grant(BaseModel):
    client: str
    created_at: datetime


@grants_router.get("", summary="List grants")
async def list_grants(name: str, registries: Registries, caller: CallerDep) -> list[Grant]:
    return [Grant(client=g.client, created_at=g.created_at) for g in await registries.grants(name, by=caller)]


@grants_router.post("", summary="Grant access", status_code=201)
async def add_grant(name: str, body: GrantRequest, registries: Registries, caller: CallerDep) -> GrantRequest:
    await registries.grant(name, body.client, by=caller)
    return body


# Not `{client}`: the caller dependency already reads a parameter of that name, from a header.
@grants_router.delete("/{grantee:path}", summary="Revoke access", status_code=204)
async def revoke_grant(name: str, grantee: Grantee, registries: Registries, caller: CallerDep) -> Response:
    await registries.revoke(name, grantee, by=caller)
    return Response(status_code=204)

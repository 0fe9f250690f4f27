"""The public service catalogue: every listed service (`directory_repository.listed_services`) as a row with
the columns of the UK government API catalogue (co-cddo/api-catalogue `data/catalogue.csv`): dateAdded,
dateUpdated, url, name, description, documentation, license, maintainer, areaServed, startDate, endDate,
provider. The same rows feed `/catalogue.json`, `/catalogue.csv` and the `/catalogue` page.

Where each column comes from:
- url: the service's gateway base URL, `{public_url}/r1/{INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE}`;
- name, description: the service's title and description as registered;
- documentation: our `getOpenAPI` metaservice for the service (public, no client header needed);
- license: the OpenAPI document's `info.license` (its `url`, else its `name`, else its SPDX `identifier`),
  empty when the document names none: we do not guess a licence on a provider's behalf;
- maintainer: the document's `info.contact` (email, else url, else name), else the member's contact email
  from its application;
- provider: the member's name;
- areaServed: the document's `x-area-served` extension (in `info` or at the top), else "United Kingdom";
- dateAdded, startDate: the day the service was registered; dateUpdated: its last change; endDate: empty
  (a disabled service is not listed at all).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.directory.repository import DirectoryRepository
from govhub.members.xroad_ids import ServiceId

DEFAULT_AREA = "United Kingdom"


@dataclass(frozen=True)
class CatalogueEntry:
    dateAdded: str  # noqa: N815 - the UK API catalogue's column names, as in its CSV
    dateUpdated: str  # noqa: N815
    url: str
    name: str
    description: str
    documentation: str
    license: str
    maintainer: str
    areaServed: str  # noqa: N815
    startDate: str  # noqa: N815
    endDate: str  # noqa: N815
    provider: str


COLUMNS = [f.name for f in fields(CatalogueEntry)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first(mapping: Any, *keys: str) -> str:
    if not isinstance(mapping, dict):
        return ""
    for key in keys:
        if text := _text(mapping.get(key)):
            return text
    return ""


def _area(document: dict[str, Any]) -> str:
    info = document.get("info")
    found = _text(info.get("x-area-served")) if isinstance(info, dict) else ""
    return found or _text(document.get("x-area-served")) or DEFAULT_AREA


async def catalogue(session: AsyncSession, public_url: str) -> list[CatalogueEntry]:
    repository = DirectoryRepository(session)
    rows = await repository.services()
    contacts = await repository.contacts(member.id for _, _, member in rows)
    base = public_url.rstrip("/")
    entries = []
    for service, subsystem, member in rows:
        subsystem_id = subsystem.subsystem_id(member.member_id)
        service_id = ServiceId(subsystem_id, service.service_code)
        info = service.openapi.get("info")
        info = info if isinstance(info, dict) else {}
        added = service.created_at.date().isoformat()
        entries.append(
            CatalogueEntry(
                dateAdded=added,
                dateUpdated=service.updated_at.date().isoformat(),
                url=f"{base}/r1/{service_id}",
                name=service.title,
                description=service.description,
                documentation=f"{base}/r1/{subsystem_id}/getOpenAPI?serviceCode={service.service_code}",
                license=_first(info.get("license"), "url", "name", "identifier"),
                maintainer=_first(info.get("contact"), "email", "url", "name") or contacts.get(member.id, ""),
                areaServed=_area(service.openapi),
                startDate=added,
                endDate="",
                provider=member.name,
            )
        )
    return entries


def as_json(entries: list[CatalogueEntry]) -> list[dict[str, str]]:
    return [asdict(entry) for entry in entries]


def as_csv(entries: list[CatalogueEntry]) -> str:
    """RFC 4180 CSV: a header row, CRLF line ends, fields with commas, quotes or line breaks quoted."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(asdict(entry))
    return out.getvalue()

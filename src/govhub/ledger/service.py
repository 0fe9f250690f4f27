"""The ledger's rules: naming, appending, tree heads, checkpoints, entries and proofs.

Other blocks append through `LedgerService.append` inside their own unit of work, so a record and its
ledger entry commit together or not at all. The service never commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.ledger import merkle
from govhub.ledger.errors import EmptyAppend, InvalidLogName, InvalidRange, LogExists, LogNotFound
from govhub.ledger.keys import Keyring
from govhub.ledger.merkle import NodeKey
from govhub.ledger.note import Checkpoint, format_checkpoint
from govhub.ledger.repository import LedgerRepository, LogHead, StoredEntry

LOG_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
#: Most entries one `entries` call returns; callers page with `start`.
MAX_ENTRIES_PER_PAGE = 1000


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    size: int
    root_hash: bytes


@dataclass
class AppendMemo:
    """What a long-lived appender (the gateway's message log writer) remembers of the tree it last built:
    the hashes of its frontier, the only nodes an append reads. When the head the append locks has the
    same size and root hash, the tree is the one remembered (the root commits to every leaf), so the read
    is skipped; whatever else wrote meanwhile, or a batch that did not commit, shows as another head."""

    log_id: int = 0
    size: int = -1
    root_hash: bytes = b""
    frontier: dict[NodeKey, bytes] | None = None

    def frontier_of(self, head: LogHead) -> dict[NodeKey, bytes] | None:
        same = (head.id, head.size, head.root_hash) == (self.log_id, self.size, self.root_hash)
        return self.frontier if same else None


@dataclass(frozen=True)
class EntryRange:
    entries: list[StoredEntry]
    next_start: int | None


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    path: list[bytes]


class LedgerService:
    def __init__(self, repository: LedgerRepository, settings: Settings, keyring: Keyring) -> None:
        self.repository = repository
        self.settings = settings
        self.keyring = keyring

    @classmethod
    def for_session(
        cls, session: AsyncSession, settings: Settings, keyring: Keyring | None = None
    ) -> LedgerService:
        """The service over one unit of work; app nodes pass their long-lived keyring."""
        return cls(LedgerRepository(session), settings, keyring or Keyring(settings))

    # --- logs ---------------------------------------------------------------------------------------

    async def heads(self) -> list[LogHead]:
        return await self.repository.list_heads()

    async def head(self, name: str) -> LogHead:
        head = await self.repository.head(name)
        if head is None:
            raise LogNotFound(f"There is no ledger called {name!r}.")
        return head

    async def create(self, name: str) -> LogHead:
        if not LOG_NAME.match(name):
            raise InvalidLogName(
                f"{name!r} is not a ledger name: use 1 to 63 lower-case letters, digits and hyphens, "
                "starting and ending with a letter or digit."
            )
        return await self.repository.create(name, origin=f"{self.settings.public_host}/ledgers/{name}")

    async def ensure(self, name: str) -> LogHead:
        """The log called `name`, made if it does not exist yet. For blocks that keep one log each."""
        head = await self.repository.head(name)
        if head is not None:
            return head
        try:
            return await self.create(name)
        except LogExists:
            # Made meanwhile by another unit of work, which has committed: read what it made.
            made = await self.repository.head(name)
            if made is None:
                raise
            return made

    async def append(
        self, name: str, leaves: Sequence[bytes], memo: AppendMemo | None = None
    ) -> AppendResult:
        """Append leaves in order; they take consecutive indexes from the current size. With a `memo`,
        the frontier it holds for the locked head is not read again, and it learns the new one."""
        if not leaves:
            raise EmptyAppend("Give at least one leaf to append.")
        locked = await self.repository.lock_for_append(name)
        if locked is None:
            raise LogNotFound(f"There is no ledger called {name!r}.")
        head, read_with_head = locked
        size = head.size
        frontier = memo.frontier_of(head) if memo is not None else None
        if frontier is None:
            wanted = merkle.frontier(size)
            frontier = {key: read_with_head[key] for key in wanted if key in read_with_head}
            if missing := [key for key in wanted if key not in frontier]:
                frontier.update(await self.repository.read_nodes(head.id, missing))
        leaf_hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
        nodes = merkle.new_nodes(size, leaf_hashes, frontier)
        new_size = size + len(leaves)
        new_frontier = {key: nodes.get(key) or frontier[key] for key in merkle.frontier(new_size)}
        root = merkle.root_from(list(new_frontier.values()))
        await self.repository.append(head.id, size, leaves, nodes, root)
        if memo is not None:
            memo.log_id, memo.size, memo.root_hash, memo.frontier = head.id, new_size, root, new_frontier
        return AppendResult(first_index=size, size=new_size, root_hash=root)

    # --- checkpoints --------------------------------------------------------------------------------

    async def checkpoint(self, name: str) -> str:
        """The current tree head as a C2SP checkpoint, signed as a C2SP signed note."""
        return (await self.signed_head(name))[1]

    async def signed_head(self, name: str) -> tuple[LogHead, str]:
        """The current tree head and its signed checkpoint, read once, so that proofs built against
        `head.size` always match the checkpoint handed out with them."""
        head = await self.head(name)
        signer = await self.keyring.signer(self.repository)
        return head, signer.sign(format_checkpoint(Checkpoint(head.origin, head.size, head.root_hash)))

    async def verifier_key(self) -> str:
        return (await self.keyring.signer(self.repository)).verifier_key()

    async def verifier_keys(self) -> list[str]:
        """Every key that has signed checkpoints here, oldest first."""
        await self.keyring.signer(self.repository)  # records the current key if it is new
        return [key.verifier_key for key in await self.repository.signing_keys()]

    # --- reads --------------------------------------------------------------------------------------

    async def entries(self, name: str, start: int, end: int | None) -> EntryRange:
        """Leaves from `start` to `end` inclusive (end defaults to the last), at most a page of them, and
        where the next page starts if this one stopped short of `end`."""
        head = await self.head(name)
        if start < 0:
            raise InvalidRange("start must be 0 or more.")
        if start >= head.size:
            raise InvalidRange(f"start {start} is past the end of the ledger, which has {head.size} entries.")
        last = head.size - 1 if end is None else end
        if last < start:
            raise InvalidRange(f"end {last} is before start {start}.")
        wanted_last = min(last, head.size - 1)
        page_last = min(wanted_last, start + MAX_ENTRIES_PER_PAGE - 1)
        found = await self.repository.entries(head.id, start, page_last)
        return EntryRange(found, next_start=page_last + 1 if page_last < wanted_last else None)

    async def inclusion_proof(self, name: str, index: int, tree_size: int | None) -> InclusionProof:
        """RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of `tree_size` leaves (default:
        the current size). With `tree_size` given, as auditors give it, this is one database read."""
        if tree_size is None:
            tree_size = (await self.head(name)).size
        if tree_size < 1:
            raise InvalidRange(f"tree size must be at least 1, not {tree_size}.")
        if not 0 <= index < tree_size:
            raise InvalidRange(
                f"index must be from 0 to {tree_size - 1} in a tree of {tree_size} entries, not {index}."
            )
        plan = merkle.inclusion_plan(index, tree_size)
        read = await self._read_within(name, tree_size, {*plan.nodes, (0, index)})
        return InclusionProof(index, tree_size, read[(0, index)], plan.assemble(read))

    async def consistency_proof(self, name: str, first: int, second: int | None) -> ConsistencyProof:
        """RFC 9162 §2.1.4.1: proof that the tree of `first` leaves is a prefix of the tree of `second`
        (default: the current size). With `second` given this is one database read."""
        if second is None:
            second = (await self.head(name)).size
        if second < 1:
            raise InvalidRange(f"tree size must be at least 1, not {second}.")
        if not 1 <= first <= second:
            raise InvalidRange(f"first must be from 1 to second ({second}), not {first}.")
        plan = merkle.consistency_plan(first, second)
        return ConsistencyProof(
            first, second, plan.assemble(await self._read_within(name, second, plan.nodes))
        )

    async def _read_within(self, name: str, tree_size: int, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        read = await self.repository.read_head_and_nodes(name, keys)
        if read is None:
            raise LogNotFound(f"There is no ledger called {name!r}.")
        if tree_size > read.size:
            raise InvalidRange(
                f"tree size {tree_size} is larger than the ledger, which has {read.size} entries."
            )
        return read.nodes

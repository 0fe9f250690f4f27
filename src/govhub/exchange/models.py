"""The block's tables, for `govhub.blocks.import_all_models` (migrations and the models-match-migrations
test): the message log's (`message_log.models`) is the only one."""

from __future__ import annotations

from govhub.exchange.message_log.models import AppendOnly, ExchangeRecord

__all__ = ["AppendOnly", "ExchangeRecord"]

"""A development mailbox on a free port, for tests that send mail over real SMTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from govhub.kit.dev_mailbox import DevMailbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_mailbox() -> Iterator[DevMailbox]:
    mailbox = DevMailbox("127.0.0.1", free_port())
    mailbox.start()
    try:
        yield mailbox
    finally:
        mailbox.stop()

"""Writes through the HTTP edge (API and admin pages): one write at a time per process,
in arrival order, on threads apart from the pool that serves reads, and the new snapshot
swapped in before the next write starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import anyio
from fastapi import Request

from ..lock import LockBusy
from ..settings import Settings
from .holder import SnapshotHolder

T = TypeVar("T")


@dataclass
class WriteGates:
    """Per process: ``order`` lets one write run at a time, first come first served;
    ``fetches`` admits URL fetches up to the cap; ``threads`` runs writes and fetches
    apart from the thread pool that serves reads."""

    order: anyio.Lock
    fetches: anyio.Semaphore
    threads: anyio.CapacityLimiter


def write_gates(request: Request, settings: Settings) -> WriteGates:
    state = request.app.state
    gates = getattr(state, "write_gates", None)
    if gates is None:  # made on first use, inside the app's event loop
        gates = WriteGates(
            anyio.Lock(),
            anyio.Semaphore(settings.fetch_concurrency),
            anyio.CapacityLimiter(settings.fetch_concurrency + 2),
        )
        state.write_gates = gates
    return gates


async def run_write(
    request: Request, settings: Settings, holder: SnapshotHolder, work: Callable[..., T]
) -> T:
    """Run ``work(wait_s=…)`` as the process's only write, once the writes that arrived
    earlier are done, and swap its snapshot in before the next write starts (so responses
    leave in the order the writes happened). 409 after ``write_wait_s`` in all."""
    gates = write_gates(request, settings)
    started = anyio.current_time()
    with anyio.move_on_after(settings.write_wait_s) as scope:
        await gates.order.acquire()
    if scope.cancelled_caught:
        raise LockBusy("unknown", settings.data_dir)  # answered 409 by api/errors.py
    try:
        left = max(0.0, settings.write_wait_s - (anyio.current_time() - started))
        # LockBusy (another process holds the lock) and WriteError go to api/errors.py.
        result = await anyio.to_thread.run_sync(partial(work, wait_s=left), limiter=gates.threads)
        await anyio.to_thread.run_sync(holder.refresh, limiter=gates.threads)
        return result
    finally:
        gates.order.release()

"""`vidensbank ingest --watch`: ingest files as they appear in (or change under) folders.

Events are debounced (watchfiles); partial files are ignored until complete: hidden files
and download/editor temporaries (``.x.part``, ``x.pdf.crdownload``, ``x~`` …) never
trigger anything, and before each ingest every changed or recently modified file must
keep the same size and modification time for ``settle_s`` (and a PDF must end with
``%%EOF``), so a file still being copied in is picked up only once it is whole.
Each batch runs a normal ingest over the watched folders: unchanged files are skipped by
fingerprint and their embeddings reused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

from .linked.provenance import is_sidecar
from .loaders import SUPPORTED_SUFFIXES

PARTIAL_SUFFIXES = (
    ".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp", ".swx", "~",
)  # fmt: skip
CONTROL_FILES = {"sources.toml", "gazetteer.toml"}
RECENT_S = 30.0  # files modified this recently are checked for completeness too
MAX_SETTLE_S = 120.0  # after this long a file that keeps changing is ingested anyway


def is_partial(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith((".", "~$")) or name.endswith(PARTIAL_SUFFIXES)


def is_relevant(path: Path) -> bool:
    """A change to ``path`` may change what ingest does."""
    if is_partial(path):
        return False
    return (
        path.suffix.lower() in SUPPORTED_SUFFIXES
        or path.name in CONTROL_FILES
        or is_sidecar(path)
        or path.suffix == ""  # a folder moved in or out
    )


def looks_complete(path: Path) -> bool:
    if path.suffix.lower() != ".pdf":
        return True
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 2048))
            return b"%%EOF" in handle.read()
    except OSError:
        return False


def _state(paths: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        if path.is_file():
            found[path] = (st.st_size, st.st_mtime_ns)
    return found


def recent_files(roots: Iterable[Path], within_s: float = RECENT_S) -> set[Path]:
    since = time.time() - within_s
    found: set[Path] = set()
    for root in roots:
        candidates = [root] if root.is_file() else root.rglob("*")
        for path in candidates:
            try:
                if path.is_file() and is_relevant(path) and path.stat().st_mtime >= since:
                    found.add(path)
            except OSError:
                continue
    return found


def wait_until_settled(
    paths: Iterable[Path],
    settle_s: float,
    *,
    max_wait_s: float = MAX_SETTLE_S,
    stop: threading.Event | None = None,
) -> None:
    """Return once no file in ``paths`` changed for ``settle_s`` and every PDF looks whole."""
    paths = list(paths)
    deadline = time.monotonic() + max_wait_s
    before = _state(paths)
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        time.sleep(settle_s)
        after = _state(paths)
        if after == before and all(looks_complete(p) for p in after):
            return
        before = after


def watch_and_ingest(
    roots: list[Path],
    on_batch: Callable[[list[Path]], bool],
    *,
    on_ready: Callable[[], bool] | None = None,
    debounce_ms: int = 1000,
    settle_s: float = 1.0,
    retry_s: float = 5.0,
    tick_s: float = 0.5,
    stop_event: threading.Event | None = None,
) -> None:
    """Call ``on_batch(changed paths)`` after each settled batch of relevant changes until
    ``stop_event`` is set (or KeyboardInterrupt). ``on_batch`` returns False to have the
    batch retried ``retry_s`` later (e.g. another ingest holds the lock).

    ``on_ready()`` is called once the watcher is registered, so that nothing written from
    then on goes unseen: a caller catches up there on what changed while it was not
    watching. It returns False to be called again ``retry_s`` later."""
    pending: set[Path] = set()
    ingested: dict[Path, tuple[int, int]] = {}  # file states the last batch saw
    ready = on_ready is None
    next_try = 0.0  # monotonic time before which a refused batch is not retried
    for changes in watchfiles.watch(
        *roots,
        watch_filter=lambda _change, path: is_relevant(Path(path)),
        debounce=debounce_ms,
        stop_event=stop_event,
        rust_timeout=max(1, int(tick_s * 1000)),
        yield_on_timeout=True,
    ):
        pending |= {Path(path) for _change, path in changes}
        if time.monotonic() < next_try:
            continue
        if not ready and on_ready is not None:
            ready = on_ready()
            if not ready:
                next_try = time.monotonic() + retry_s
                continue
        # events that arrived while settling, for files already ingested as they are now
        now = _state(pending)
        pending = {p for p in pending if p not in now or ingested.get(p) != now[p]}
        if not pending:
            continue
        wait_until_settled(pending | recent_files(roots), settle_s, stop=stop_event)
        if stop_event is not None and stop_event.is_set():
            return
        state = _state(pending)
        if on_batch(sorted(pending)):
            ingested.update(state)
            pending.clear()
        else:
            next_try = time.monotonic() + retry_s

"""Uploads waiting for "Gem og indeksér": each in ``<data>/staging/<token>/`` with the
file, its metadata and the preview, until it is committed or cancelled. Staging older
than ``MAX_AGE_S`` is removed whenever something new is staged or the admin page opens.

The token is random (unguessable) and checked against a strict pattern before it is
ever joined to a path."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ...ingest.linked.provenance import write_atomic
from ...ingest.preview import Preview, PreviewCase
from ...settings import Settings
from ...writes import DocumentMetadata

MAX_AGE_S = 24 * 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")
DATA_NAME = "upload.bin"
INFO_NAME = "upload.json"


@dataclass(frozen=True)
class Staged:
    token: str
    filename: str
    content_type: str
    metadata: DocumentMetadata
    preview: Preview
    created: float

    def data(self, settings: Settings) -> bytes:
        return (staging_dir(settings) / self.token / DATA_NAME).read_bytes()


def staging_dir(settings: Settings) -> Path:
    return settings.data_dir / "staging"


def stage(
    settings: Settings,
    filename: str,
    content_type: str,
    data: bytes,
    metadata: DocumentMetadata,
    preview: Preview,
) -> Staged:
    remove_stale(settings)
    staged = Staged(
        secrets.token_urlsafe(18), filename, content_type, metadata, preview, time.time()
    )
    folder = staging_dir(settings) / staged.token
    folder.mkdir(parents=True)
    write_atomic(folder / DATA_NAME, data)
    info = {
        "filename": filename,
        "content_type": content_type,
        "metadata": asdict(metadata),
        "preview": asdict(preview),
        "created": staged.created,
    }
    write_atomic(folder / INFO_NAME, json.dumps(info, ensure_ascii=False).encode("utf-8"))
    return staged


def load(settings: Settings, token: str) -> Staged | None:
    """The staged upload of ``token``; None when unknown, malformed or expired."""
    if not TOKEN.fullmatch(token):
        return None
    folder = staging_dir(settings) / token
    try:
        info = json.loads((folder / INFO_NAME).read_text("utf-8"))
        if not (folder / DATA_NAME).is_file():
            return None
        raw = info["preview"]
        preview = Preview(**{**raw, "cases": [PreviewCase(**c) for c in raw["cases"]]})
        staged = Staged(
            token,
            str(info["filename"]),
            str(info["content_type"]),
            DocumentMetadata(**info["metadata"]),
            preview,
            float(info["created"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if time.time() - staged.created > MAX_AGE_S:
        discard(settings, token)
        return None
    return staged


def discard(settings: Settings, token: str) -> None:
    if TOKEN.fullmatch(token):
        shutil.rmtree(staging_dir(settings) / token, ignore_errors=True)


def remove_stale(settings: Settings, now: float | None = None) -> list[str]:
    """Delete staging folders older than ``MAX_AGE_S``; returns their tokens."""
    root = staging_dir(settings)
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for folder in root.iterdir():
        try:
            age = now - folder.stat().st_mtime
        except OSError:
            continue
        if age > MAX_AGE_S:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed

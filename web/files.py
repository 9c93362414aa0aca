"""``/documents/{id}/file``: the stored file a document was ingested from.

This is the public URL of a document without a web address of its own (see
``DocumentInfo.url``), so no response ever needs to show a path on the server. Only the
file the catalog records for that document id is served: the id is looked up, never
joined into a path. HTML is sent as a download and everything under a sandboxing CSP, so a
stored file cannot run as a page of this site."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import FileResponse

from ..search.catalog import DocumentInfo
from .security import FILE_SECURITY_HEADERS

# format -> (media type, shown in the browser rather than downloaded)
MEDIA_TYPES = {
    "pdf": ("application/pdf", True),
    "md": ("text/plain; charset=utf-8", True),
    "txt": ("text/plain; charset=utf-8", True),
    "html": ("application/octet-stream", False),
}


def stored_file(doc: DocumentInfo) -> FileResponse | None:
    """The document's stored file as a response; None if it has none (any more)."""
    path = doc.file_path
    if path is None or not path.is_file():
        return None
    media_type, inline = MEDIA_TYPES.get(doc.format, ("application/octet-stream", False))
    name = path.name
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{ascii_name}";'
        f" filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-cache",
        **FILE_SECURITY_HEADERS,
    }
    return FileResponse(path, media_type=media_type, headers=headers)

"""The write service's domain error under its former name, for ``api/errors.py``.

Everything else that lived here moved to ``vidensbank.writes``; import ``WriteError``
from there and this module can go."""

from __future__ import annotations

from ..writes import WriteError as UploadError

__all__ = ["UploadError"]

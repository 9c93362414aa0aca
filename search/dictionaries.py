"""Debian's Danish hunspell dictionary and chunspell's English one, through libhunspell.

A :class:`Dictionary` answers whether a word is a listed form (inflected by the affix rules)
and what its dictionary forms are (:meth:`Dictionary.lemmas`: "undgår" -> "undgå", "skrev"
-> "skrive", "børnene" -> "børn"). libhunspell's own compounding is switched off: on Danish
it takes up to 0.7 s for one word, holding the GIL, and it reads a compound's head as the
compound's lemma ("oplevelseshaven" -> "have"); :meth:`Dictionary.accepts_compound` checks
compounds instead. Each dictionary loads once per process (~1.5 s, ~20 MB for Danish).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

HUNSPELL_DIR = Path("/usr/share/hunspell")  # where Debian's hunspell-da puts da_DK.aff/.dic
MIN_PART_LENGTH = 3  # compound parts the dictionary check accepts ("nul|værdier")
LINKING_LETTERS = "s"  # a linking e would pass typos ("program|e|ring")


class Dictionary:
    """One hunspell dictionary through libhunspell (the chunspell package), without
    libhunspell's compounding (see the module docstring); :meth:`accepts_compound` checks
    compounds instead. Calls are serialised (libhunspell keeps state per call) and cached."""

    def __init__(self, checker: Any) -> None:
        self._checker = checker
        self._lock = threading.Lock()
        self.spells: Callable[[str], bool] = lru_cache(maxsize=50_000)(self._spell)
        self.lemmas: Callable[[str], tuple[str, ...]] = lru_cache(maxsize=200_000)(self._lemmas)

    @classmethod
    def load(cls, directory: Path, name: str) -> Dictionary | None:
        """``directory/name.{aff,dic}``, or None when the files or chunspell are missing."""
        aff, dic = directory / f"{name}.aff", directory / f"{name}.dic"
        if not aff.is_file() or not dic.is_file():
            return None
        try:
            import hunspell  # the chunspell package
        except ImportError:
            logger.warning(
                "Spelling suggestions cannot use %s: the chunspell package is missing"
                " (pip install chunspell)",
                name,
            )
            return None
        # libhunspell reads the files once, by directory: give it a copy of the affix file
        # without the compounding rules (bytes: the file names its own encoding), next to
        # a link to the word list.
        try:
            with tempfile.TemporaryDirectory(prefix="vidensbank-hunspell-") as tmp:
                rules = aff.read_bytes().splitlines(keepends=True)
                kept = b"".join(line for line in rules if not line.startswith(b"COMPOUND"))
                (Path(tmp) / aff.name).write_bytes(kept)
                (Path(tmp) / dic.name).symlink_to(dic.resolve())
                return cls(hunspell.Hunspell(name, hunspell_data_dir=tmp))
        except (OSError, hunspell.HunspellFilePathError) as err:
            logger.warning("Spelling suggestions cannot use %s (%s)", name, err)
            return None

    def _spell(self, form: str) -> bool:
        with self._lock:
            try:
                return bool(self._checker.spell(form))
            except UnicodeError:  # not writable in the dictionary's encoding: not a listed form
                return False

    def _lemmas(self, word: str) -> tuple[str, ...]:
        """The dictionary forms of ``word`` (lowercase) other than itself, lowercase; none
        for a word the dictionary does not list (a compound, a name it lacks, a typo)."""
        with self._lock:
            try:
                found = self._checker.stem(word)
            except UnicodeError:
                return ()
        return tuple(dict.fromkeys(f.lower() for f in found if f.lower() != word))

    def accepts(self, word: str) -> bool:
        """Whether ``word`` (lowercase) is a listed form, as typed or capitalised (a name)."""
        return self.spells(word) or self.spells(word.capitalize())

    def accepts_compound(self, word: str) -> bool:
        """Whether ``word`` is made of two or more accepted words (see the module docs)."""
        return _is_compound(self, word, first=True)

    def written(self, forms: list[str]) -> str | None:
        """The first of ``forms`` this dictionary accepts, as it accepts it (a name comes
        back capitalised: "århus" -> "Århus"), or None."""
        return next((w for f in forms for w in (f, f.capitalize()) if self.spells(w)), None)


def _is_compound(dictionary: Dictionary, word: str, first: bool) -> bool:
    """``word`` = an accepted word (plus an optional linking letter) followed by an accepted
    word or, recursively, another such compound; a lone word counts only when not ``first``."""
    if not first and dictionary.spells(word):
        return True
    for cut in range(MIN_PART_LENGTH, len(word) - MIN_PART_LENGTH + 1):
        if not dictionary.spells(word[:cut]):
            continue
        rests = [word[cut:]]
        if word[cut] in LINKING_LETTERS and len(word) - cut - 1 >= MIN_PART_LENGTH:
            rests.append(word[cut + 1 :])
        if any(_is_compound(dictionary, rest, first=False) for rest in rests):
            return True
    return False


@lru_cache(maxsize=1)
def danish_dictionary() -> Dictionary | None:
    """Debian's hunspell-da, loaded once per process; None when it is not installed."""
    found = Dictionary.load(HUNSPELL_DIR, "da_DK")
    if found is None:
        logger.info(
            "No Danish dictionary: spelling suggestions use the corpus vocabulary only"
            " (apt-get install hunspell-da adds it)"
        )
    return found


@lru_cache(maxsize=1)
def english_dictionary() -> Dictionary | None:
    """The en_US dictionary bundled with chunspell; None without chunspell."""
    try:
        import hunspell
    except ImportError:
        return None
    return Dictionary.load(Path(hunspell.__file__).parent / "dictionaries", "en_US")

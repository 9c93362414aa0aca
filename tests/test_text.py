from vidensbank.text import split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_danish_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Det gælder bl.a. KAB og f.eks. 3B. Der er ca. 4.000 mia. kr. i spil, jf. rapporten. "
        "Man sparer 130.000 kroner pr. 1.000 lejemål, evt. mere. Næste sætning."
    )
    assert texts(text) == [
        "Det gælder bl.a. KAB og f.eks. 3B.",
        "Der er ca. 4.000 mia. kr. i spil, jf. rapporten.",
        "Man sparer 130.000 kroner pr. 1.000 lejemål, evt. mere.",
        "Næste sætning.",
    ]


def test_numbers_and_units_stay_inside_sentences() -> None:
    text = "Det svarer til 2,4 udsættelser. Arealet er 6.000 m2. Fx nr. 5 og 95 pct. Af dem."
    assert texts(text) == [
        "Det svarer til 2,4 udsættelser.",
        "Arealet er 6.000 m2.",
        "Fx nr. 5 og 95 pct. Af dem.",
    ]


def test_offsets_point_into_the_text() -> None:
    text = "  Første sætning! Anden sætning? Tredje »citat.« Fjerde"
    for sentence in split_sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text
    assert texts(text)[-1] == "Fjerde"

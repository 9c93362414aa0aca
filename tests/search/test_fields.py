import numpy as np

from vidensbank.search.fields import HeadingField, heading_text


def test_heading_text_names_the_title_once() -> None:
    assert heading_text("Biodiversitet", "") == "Biodiversitet"
    assert heading_text("Rapport", "Rapport") == "Rapport"
    assert heading_text("Rapport", "Rapport › Forord") == "Rapport › Forord"
    assert heading_text("Rapport", "Forord › Disclaimer") == "Rapport\nForord › Disclaimer"
    assert heading_text("", "Forord") == "Forord"


def test_heading_words_score_the_passages_of_their_section(seed_searcher) -> None:
    catalog = seed_searcher.catalog
    analyzer = seed_searcher.snapshot.lexical.analyzer
    field = HeadingField.build(catalog, analyzer)
    assert len(field.owner) == len(catalog.passages)
    scores = field.scores(analyzer.query_words("biodiversitet"))
    in_section = np.array(["Biodiversitet" in p.section_path for p in catalog.passages])
    assert in_section.any() and (~in_section).any()
    assert (scores[in_section] > 0).all()
    assert (scores[~in_section] == 0).all()
    assert not field.scores(analyzer.query_words("qwxzyvbnm")).any()


def test_the_heading_field_adds_to_the_lexical_score_with_its_weight(seed_searcher) -> None:
    lexical = seed_searcher.snapshot.lexical
    field = HeadingField.build(seed_searcher.catalog, lexical.analyzer)
    plain = lexical.scores("biodiversitet i boligområder")
    assert plain is not None
    off = field.add_to(plain, weight=0.0)
    on = field.add_to(plain, weight=1.0)
    assert np.allclose(off.score, plain.score)
    assert on.heading is not None and on.heading.any()
    lifted = on.heading > 0
    assert (on.score[lifted & (plain.score > 0)] > plain.score[lifted & (plain.score > 0)]).all()
    assert np.allclose(on.score[~lifted], plain.score[~lifted])

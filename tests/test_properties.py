"""Property tests (hypothesis): for any input, offsets locate their text and quotes are verbatim."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus import Article, Skipped, read_article
from assistant.evidence import Evidence
from assistant.verify import verify_answer

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000), st.sampled_from([".txt", ".md", ".html"]))
def test_any_bytes_become_an_article_or_a_reason_never_an_exception(tmp_path, raw, suffix):
    path = tmp_path / f"file{suffix}"
    path.write_bytes(raw)
    result = read_article(path, 10_000)
    assert isinstance(result, Article | Skipped)
    if isinstance(result, Article):
        assert result.text and result.text == result.text.strip()


@settings(max_examples=200, deadline=None)
@given(TEXT, st.lists(st.tuples(st.integers(0, 600), st.integers(1, 200)), min_size=1, max_size=5), TEXT)
def test_every_quote_the_verifier_returns_is_verbatim_in_its_article(article, spans, raw):
    evidence = []
    for start, length in spans:
        start = min(start, max(len(article) - 1, 0))
        end = min(start + length, len(article))
        if end > start:
            evidence.append(Evidence("d", "t", article[start:end], start, end, 0.5, "en", ""))
    markers = " ".join(f"[{n}]" for n in range(1, len(evidence) + 1))
    checked = verify_answer(f"{raw} {markers}.", "q", evidence, lambda claim, sources: 1.0, 0.0, 0.0)
    for quote in checked.quotes:
        assert article[quote.start : quote.end] == quote.sentence

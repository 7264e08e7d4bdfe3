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


WORDS = st.lists(
    st.sampled_from(["harbour", "opened", "Monday", "Bahnhof", "gebaut", "1998", "mayor", "ships"]),
    min_size=3,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(WORDS, TEXT, st.lists(st.tuples(st.integers(0, 600), st.integers(1, 200)), max_size=4))
def test_every_quote_the_verifier_returns_is_verbatim_in_its_article(words, noise, spans):
    """An answer that restates a sentence of the article, among other evidence cut anywhere in it: the
    restated sentence is quoted, and every quote is the article's text at its offsets."""
    claim = " ".join(words) + "."
    article = f"{noise} {claim} {noise}"
    start = article.index(claim)
    evidence = [Evidence("d", "t", claim, start, start + len(claim), 0.5, "en", "")]
    for begin, length in spans:
        begin = min(begin, max(len(article) - 1, 0))
        end = min(begin + length, len(article))
        if end > begin and article[begin:end].strip():
            evidence.append(Evidence("d", "t", article[begin:end], begin, end, 0.5, "en", ""))
    checked = verify_answer(f"{claim[:-1]} [1].", "q", evidence, lambda claim, sources: 1.0, 0.0, 0.0)
    assert checked.quotes  # the restated claim is supported, so it is quoted
    for quote in checked.quotes:
        assert article[quote.start : quote.end] == quote.sentence

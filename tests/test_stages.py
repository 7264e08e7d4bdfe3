import threading
import time

from llama_index.core.llms import ChatMessage

from assistant import Pipeline, answer
from assistant.evidence import Evidence
from assistant.indexing import index_paths
from assistant.prompts import REFUSAL
from assistant.settings import Settings
from assistant.stages import Generator, Selection

from fakes import SAMPLE_ARTICLES, FakeEmbedding, FakeLLM, make_pipeline, write_articles

RUNNING = {"now": 0, "most": 0}  # generations under way at once


class SlowLLM(FakeLLM):
    def stream_chat(self, messages, **kwargs):
        def gen():
            RUNNING["now"] += 1
            RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
            try:
                time.sleep(0.05)
                yield from super(SlowLLM, self).stream_chat(messages, **kwargs)
            finally:
                RUNNING["now"] -= 1

        return gen()


def test_two_pipelines_sharing_one_model_take_turns(tmp_path):
    llm = SlowLLM(lambda prompt: "Eine Antwort.")
    settings = Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    generators = [Pipeline(settings, embed_model=FakeEmbedding(), llm=llm).generator for _ in range(2)]
    assert generators[0].lock is generators[1].lock
    messages = [ChatMessage(role="user", content="Frage?")]
    threads = [threading.Thread(target=lambda g=g: list(g.stream(messages))) for g in generators * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert RUNNING["most"] == 1
    assert Generator(FakeLLM(lambda p: "x"), settings).lock is not generators[0].lock  # another model: its own


class FixedSelector:
    """Offers one evidence sentence of the indexed article, whatever the question."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def select(self, question, history=()):
        sentence = "Der Bahnhof wurde 1998 gebaut."
        article = next(a for a in self.pipeline.store.articles() if sentence in a.text)
        start = article.text.index(sentence)
        evidence = Evidence(article.doc_id, "T", sentence, start, start + len(sentence), 0.9, "de", "")
        return Selection(question, [], [[evidence]])


def test_the_stages_come_through_the_constructor(tmp_path):
    write_articles(tmp_path / "corpus", SAMPLE_ARTICLES)
    built = make_pipeline(tmp_path, lambda prompt: "Der Bahnhof wurde 1998 gebaut [1].")
    index_paths(built, [tmp_path / "corpus"])
    pipeline = Pipeline(
        built.settings, embed_model=built.embed_model, llm=built.llm, store=built.store, selector=FixedSelector(built)
    )
    result = answer("Was ist mit dem Bahnhof?", pipeline=pipeline)
    assert not result.abstained and result.citations[0].quote == "Der Bahnhof wurde 1998 gebaut."
    # the same pipeline with a generator that always refuses: the answer stage abstains
    refusing = Pipeline(
        built.settings,
        embed_model=built.embed_model,
        store=built.store,
        selector=FixedSelector(built),
        generator=Generator(FakeLLM(lambda prompt: REFUSAL), built.settings),
    )
    assert answer("Was ist mit dem Bahnhof?", pipeline=refusing).abstained

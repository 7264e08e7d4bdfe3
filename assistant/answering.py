"""From a question to a grounded Answer: retrieve, select evidence, prompt, generate, verify."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from llama_index.core.llms import ChatMessage

from .corpus import detect_question_language
from .errors import AssistantError, InputError
from .evidence import INJECTION_NOTE, Evidence, addresses_the_model
from .memory import release_freed_memory
from .prompts import REFUSAL
from .retrieval import Passage
from .text import CONTROL, MARKER, question_parts, sentence_spans
from .verify import is_refusal, quote_is_verbatim

LANGUAGE_NAMES = {"en": "English", "de": "German"}
ABSTAIN_TEXT = {"en": REFUSAL, "de": "Dazu sagen die Artikel nichts."}
REASONS = {
    "no_evidence": {
        "en": "Nothing in the indexed articles matches the question.",
        "de": "Nichts in den indexierten Artikeln passt zur Frage.",
    },
    "model_refused": {
        "en": "The closest passages do not answer it.",
        "de": "Die passendsten Stellen beantworten sie nicht.",
    },
    "unsupported": {
        "en": "The draft answer could not be verified against the articles.",
        "de": "Die Antwort ließ sich nicht an den Artikeln belegen.",
    },
}

# Said of one part of a question asked in parts when the articles answer the other part but not this one.
PART_UNANSWERED = {"en": 'The articles do not answer "{part}"', "de": "Die Artikel beantworten nicht: „{part}“"}

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    quote: str  # verbatim: article_text[start:end] == quote
    start: int
    end: int
    language: str
    score: float
    published: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    language: str
    reason: str = ""  # why it abstained
    searched: list[Passage] = field(default_factory=list)  # what retrieval returned
    evidence: list[Evidence] = field(default_factory=list)  # the sentences the LLM was shown
    timings: dict[str, float] = field(default_factory=dict)
    draft: str = ""  # the LLM's outputs before verification, one per evidence batch (for debugging and evals)


def clean_question(question: str, max_chars: int) -> str:
    """The question without control characters; an empty or over-long one is an InputError."""
    text = CONTROL.sub(" ", question or "").strip()
    if not text:
        raise InputError("the question is empty: type a question about the articles")
    if len(text) > max_chars:
        raise InputError(
            f"the question has {len(text):,} characters, over the {max_chars:,} limit (ASSISTANT_MAX_QUESTION_CHARS): shorten it"
        )
    return text


def _quote_instructions(snippet: str) -> str:
    """The snippet as one line, with any sentence that addresses an AI system fenced off as a quotation."""
    parts = []
    for span in sentence_spans(snippet):
        sentence = " ".join(snippet[span.start : span.end].split())
        parts.append(f'{INJECTION_NOTE} "{sentence}"]' if addresses_the_model(sentence) else sentence)
    return " ".join(parts)


def format_evidence(prompts, evidence: Sequence[Evidence]) -> str:
    """Numbered sentences under a header for each article (title, date, language), in the given order."""
    lines, current = [], None
    for number, e in enumerate(evidence, 1):
        if e.doc_id != current:
            current = e.doc_id
            name = LANGUAGE_NAMES.get(e.language, e.language)
            lines.append(
                prompts.evidence_article.format(title=e.title, published=e.published or "date unknown", language=name)
            )
        # one line per snippet: a snippet spanning paragraphs keeps its verbatim quote, the prompt gets flat text
        lines.append(prompts.evidence_sentence.format(number=number, sentence=_quote_instructions(e.sentence)))
    return "\n".join(lines)


def _format_history(history: History) -> str:
    if not history:
        return ""
    lines = [f"Earlier question: {q}\nEarlier answer: {MARKER.sub('', a)}" for q, a in history[-2:]]
    return "\n".join(lines) + "\n\n"


def _user_turn(prompts, evidence: Sequence[Evidence], question: str, language: str, history: History) -> str:
    return prompts.answer.format(
        evidence=format_evidence(prompts, evidence),
        history=_format_history(history),
        question=question,
        language=LANGUAGE_NAMES[language],
    )


def _example_evidence(example) -> list[Evidence]:
    return [
        Evidence(f"example-{a['title']}", a["title"], s, 0, len(s), 1.0, a["language"], a["published"])
        for a in example.articles
        for s in a["sentences"]
    ]


def build_messages(
    prompts, evidence: Sequence[Evidence], question: str, language: str, history: History
) -> list[ChatMessage]:
    """The system instructions and the worked examples first and constant (llama.cpp reuses that prefix between
    questions), then the evidence in canonical order and the question last.

    The examples are earlier turns of the conversation, in the very format of a real question, rather than text
    inside the system prompt: a small model shown them as quoted text copied their answers into real ones.
    """
    messages = [ChatMessage(role="system", content=prompts.system)]
    for example in prompts.examples:
        turn = _user_turn(prompts, _example_evidence(example), example.question, example.language, ())
        messages += [ChatMessage(role="user", content=turn), ChatMessage(role="assistant", content=example.answer)]
    messages.append(ChatMessage(role="user", content=_user_turn(prompts, evidence, question, language, history)))
    return messages


def _abstain(question, language, reason_key, passages, evidence, timings, draft="") -> Answer:
    reason = REASONS[reason_key][language]
    return Answer(
        question, ABSTAIN_TEXT[language], [], True, language, reason, passages, list(evidence), timings, draft
    )


def _could_become_refusal(text: str) -> bool:
    head = text.strip()
    return REFUSAL.startswith(head) or head.startswith(REFUSAL)


def stream_answer(pipeline, question: str, history: History = ()) -> Iterator[str | Answer]:
    """Yield the answer's text deltas as the LLM writes them, then the verified Answer (always last).

    split into parts ("..., and how ...?") ─► for each part: retrieve and select evidence ─► for each evidence
    prompt, best first: generate ─► verify ─► stop at the first answer that survives verification; none ─►
    abstain ─► join the parts' answers. Deltas are held back while the text could still be the refusal, so a
    caller never sees a refusal that a later prompt overturns.
    """
    try:
        yield from _stream_answer(pipeline, question, history)
    finally:
        release_freed_memory()  # see memory.py: a long chat's heap otherwise keeps every batch's buffers


def _stream_answer(pipeline, question: str, history: History) -> Iterator[str | Answer]:
    """A question that asks two things is answered a part at a time, each part searched and answered as a
    follow-up of the parts before it, then joined: a small model shown evidence for both halves answered one."""
    settings = pipeline.settings
    question = clean_question(question, settings.max_question_chars)
    language = detect_question_language(question)
    if language not in LANGUAGE_NAMES:
        raise InputError(f"the question looks like language '{language}': ask in English or German")
    if pipeline.store.chunk_count() == 0:
        raise AssistantError(
            f"the index in {settings.index_dir} is empty: run `assistant index` or add an article in the chat's Corpus panel"
        )
    parts = question_parts(question)
    if len(parts) == 1:
        yield from _answer_part(pipeline, question, language, history)
        return
    answers: list[Answer] = []
    earlier, streamed = list(history), False
    for part in parts:
        gap = " " if streamed else ""
        for item in _answer_part(pipeline, part, language, earlier):
            if isinstance(item, Answer):
                answers.append(item)
            else:
                yield gap + item
                gap, streamed = "", True
        earlier.append((part, answers[-1].text))
    yield join_parts(question, language, parts, answers)


def join_parts(question: str, language: str, parts: Sequence[str], answers: Sequence[Answer]) -> Answer:
    """One Answer from the answers to a question's parts: their texts in order with the markers renumbered onto
    one list of citations (a quote two parts cite is listed once), and a part the articles do not answer named
    as such. Declined only when every part was."""
    timings = {key: sum(a.timings.get(key, 0.0) for a in answers) for key in ("retrieval_s", "generation_s", "total_s")}
    searched = [p for a in answers for p in a.searched]
    evidence = [e for a in answers for e in a.evidence]
    draft = "\n---\n".join(a.draft for a in answers if a.draft)
    if all(a.abstained for a in answers):
        return replace(
            answers[0], question=question, searched=searched, evidence=evidence, timings=timings, draft=draft
        )
    texts: list[str] = []
    citations: list[Citation] = []
    spans: list[tuple[str, int, int]] = []
    for part, result in zip(parts, answers):
        if result.abstained:
            texts.append(PART_UNANSWERED[language].format(part=part))
            continue
        numbers = []
        for c in result.citations:
            if (c.doc_id, c.start, c.end) not in spans:
                spans.append((c.doc_id, c.start, c.end))
                citations.append(c)
            numbers.append(spans.index((c.doc_id, c.start, c.end)) + 1)
        renumber = lambda m: m.group().replace(f"[{m.group(1)}]", f"[{numbers[int(m.group(1)) - 1]}]")  # noqa: E731
        text = MARKER.sub(renumber, result.text)
        if text not in texts:  # the small model at times answers the second part with the first part's answer
            texts.append(text)
    return Answer(question, " ".join(texts), citations, False, language, "", searched, evidence, timings, draft)


def _answer_part(pipeline, question: str, language: str, history: History) -> Iterator[str | Answer]:
    started = time.perf_counter()
    selection = pipeline.selector.select(question, history)
    timings = {"retrieval_s": time.perf_counter() - started, "generation_s": 0.0}
    shown: list[Evidence] = []
    drafts: list[str] = []
    checked = None
    for evidence in selection.batches:
        shown.extend(evidence)
        generated = time.perf_counter()
        messages = build_messages(pipeline.prompts, evidence, question, language, history)
        raw, held = "", True
        for delta in pipeline.generator.stream(messages):
            raw += delta
            if held and not _could_become_refusal(raw):
                held = False
                yield raw
            elif not held:
                yield delta
        timings["generation_s"] += time.perf_counter() - generated
        drafts.append(raw)
        checked = pipeline.verifier.check(raw, question, evidence)
        if checked.text:
            break
    timings["total_s"] = time.perf_counter() - started
    if checked is None:
        yield _abstain(question, language, "no_evidence", selection.passages, shown, timings)
        return
    citations = [
        Citation(e.doc_id, e.title, e.sentence, e.start, e.end, e.language, e.score, e.published)
        for e in checked.quotes
        if quote_is_verbatim(pipeline.article_text(e.doc_id), e.sentence, e.start, e.end)
    ]
    draft = "\n---\n".join(drafts)
    if not checked.text or len(citations) != len(checked.used):
        reason = "model_refused" if all(is_refusal(d) for d in drafts) else "unsupported"
        yield _abstain(question, language, reason, selection.passages, shown, timings, draft)
        return
    yield Answer(question, checked.text, citations, False, language, "", selection.passages, shown, timings, draft)


def answer(pipeline, question: str, history: History = ()) -> Answer:
    result = None
    for item in stream_answer(pipeline, question, history):
        result = item
    assert isinstance(result, Answer)
    return result

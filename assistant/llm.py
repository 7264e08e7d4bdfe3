"""The LLM, through LlamaIndex adapters: llama.cpp in-process, or any OpenAI-compatible server."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from llama_index.core.llms import (
    LLM,
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

from .errors import LLMUnavailable
from .models import llm_path
from .settings import Settings


class LocalGGUF(CustomLLM):
    """A GGUF run in-process by llama.cpp, spoken to in the chat template and stop token the file itself
    carries, so a Llama, Gemma, Phi or Mistral build works as the bundled Qwen does. (LlamaIndex's LlamaCPP
    adapter renders a prompt format of its own; llama-cpp-python applies the file's template.)"""

    model_path: str
    threads: int = 2
    context_window: int = 4096
    max_tokens: int = 200
    temperature: float = 0.0
    _model: Any = PrivateAttr()
    _formatter: Any = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = Llama(
            model_path=self.model_path, n_ctx=self.context_window, n_threads=self.threads, n_gpu_layers=0, verbose=False
        )
        template = model.metadata.get("tokenizer.chat_template")
        if not template:
            raise LLMUnavailable(f"{self.model_path} carries no chat template: use an instruction-tuned GGUF")
        token = lambda t: model._model.token_get_text(t) if t != -1 else ""  # noqa: E731
        self._formatter = Jinja2ChatFormatter(
            template, token(model.token_eos()), token(model.token_bos()), stop_token_ids=[model.token_eos()]
        )
        model.chat_format = "chat_template.default"  # the file's own template, never a guessed built-in one
        self._model = model

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_path,
        )

    @staticmethod
    def _turns(messages: Sequence[ChatMessage]) -> list[dict]:
        return [{"role": m.role.value, "content": m.content or ""} for m in messages]

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The prompt text the model sees for these messages (for counting tokens)."""
        return self._formatter(messages=self._turns(messages)).prompt

    def tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        return self._model.tokenize(self.render(messages).encode(), add_bos=False, special=True)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.tokens(messages))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            stream = self._model.create_chat_completion(
                messages=self._turns(messages), max_tokens=self.max_tokens, temperature=self.temperature, stream=True
            )
            for chunk in stream:
                delta = chunk["choices"][0]["delta"].get("content") or ""
                text += delta
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)

        return gen()

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        last = deque(self.stream_chat(messages), maxlen=1)  # each response holds the whole text so far
        return last[0] if last else ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=""))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(
            text=self.chat([ChatMessage(role=MessageRole.USER, content=prompt)]).message.content or ""
        )

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for response in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                yield CompletionResponse(text=response.message.content or "", delta=response.delta)

        return gen()


def build_llm(settings: Settings) -> LLM:
    if settings.llm_backend == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_api_model,
            api_base=settings.llm_api_base,
            api_key=settings.llm_api_key.get_secret_value(),
            is_chat_model=True,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,  # a server that is down should say so at once, not after minutes of retries
        )
    path = llm_path(settings)
    try:
        return LocalGGUF(
            model_path=str(path),
            threads=settings.llm_threads,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
        )
    except LLMUnavailable:
        raise
    except Exception as error:  # llama.cpp reports a bad file as ValueError/RuntimeError
        raise LLMUnavailable(
            f"the LLM at {path} failed to load ({error}): run `assistant models` to rebuild it"
        ) from error


def uncached_prompt_tokens(llm, messages: Sequence[ChatMessage]) -> int | None:
    """Tokens of a prompt that llama.cpp's cache does not already hold between questions: all after the prefix
    it shares with the constant turns before the question (system prompt and worked examples). None for a
    server, whose tokenizer is not at hand."""
    if not isinstance(llm, LocalGGUF):
        return None
    full, constant = llm.tokens(messages), llm.tokens(messages[:-1])
    shared = next((i for i, (a, b) in enumerate(zip(full, constant)) if a != b), min(len(full), len(constant)))
    return len(full) - shared


def describe_failure(settings: Settings, error: Exception) -> LLMUnavailable:
    """One line for an LLM call that failed (server down, timeout, model error)."""
    if settings.llm_backend == "openai":
        return LLMUnavailable(
            f"the LLM server at {settings.llm_api_base} did not answer ({error.__class__.__name__}): start it, or check ASSISTANT_LLM_API_BASE"
        )
    return LLMUnavailable(
        f"the in-process LLM failed ({error.__class__.__name__}: {error}): run `assistant models` and try again"
    )

"""The LLM, through LlamaIndex adapters: llama.cpp in-process, or any OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.llms import LLM, ChatMessage

from .errors import LLMUnavailable
from .models import llm_path
from .settings import Settings


def chatml(messages: Sequence[ChatMessage]) -> str:
    """Qwen2.5's ChatML chat format (LlamaCPP's default would be Llama-2's)."""
    turns = [f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages]
    return "".join(turns) + "<|im_start|>assistant\n"


def _completion_to_chatml(prompt: str) -> str:
    return chatml([ChatMessage(role="user", content=prompt)])


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
    from llama_index.llms.llama_cpp import LlamaCPP

    path = llm_path(settings)
    try:
        return LlamaCPP(
            model_path=str(path),
            temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_tokens,
            context_window=settings.llm_context,
            generate_kwargs={"stop": ["<|im_end|>", "<|endoftext|>"]},
            model_kwargs={"n_threads": settings.llm_threads, "n_gpu_layers": 0},
            messages_to_prompt=chatml,
            completion_to_prompt=_completion_to_chatml,
            verbose=False,
        )
    except Exception as error:  # llama.cpp reports a bad file as ValueError/RuntimeError
        raise LLMUnavailable(
            f"the LLM at {path} failed to load ({error}): run `assistant models` to rebuild it"
        ) from error


def describe_failure(settings: Settings, error: Exception) -> LLMUnavailable:
    """One line for an LLM call that failed (server down, timeout, model error)."""
    if settings.llm_backend == "openai":
        return LLMUnavailable(
            f"the LLM server at {settings.llm_api_base} did not answer ({error.__class__.__name__}): start it, or check ASSISTANT_LLM_API_BASE"
        )
    return LLMUnavailable(
        f"the in-process LLM failed ({error.__class__.__name__}: {error}): run `assistant models` and try again"
    )

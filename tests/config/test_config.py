"""Configuration: env-derived backends, YAML validation with field paths, aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
from llmgw.config import (
    ConfigError,
    Settings,
    backend_specs,
    effective_aliases,
    load_settings,
)
from llmgw.domain.backends import BackendKind


def test_no_keys_means_only_the_demo_backend() -> None:
    settings = load_settings(None, env={})
    assert [s.name for s in backend_specs(settings, env={})] == ["demo"]


def test_keys_and_endpoints_register_their_presets() -> None:
    env = {
        "OPENAI_API_KEY": "sk-openai-test",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "MISTRAL_API_KEY": "m",
        "TOGETHER_API_KEY": "t",
        "OPENROUTER_API_KEY": "o",
        "OLLAMA_BASE_URL": "http://127.0.0.1:11434",
        "VLLM_ENDPOINT": "http://gpu-box:8000/",
        "VLLM_MODEL": "Qwen/Qwen3-8B",
    }
    specs = {s.name: s for s in backend_specs(load_settings(None, env=env), env=env)}
    assert set(specs) == {
        "demo",
        "openai",
        "anthropic",
        "mistral",
        "together",
        "openrouter",
        "ollama",
        "vllm",
    }
    assert specs["openai"].kind is BackendKind.OPENAI
    assert specs["openai"].api_keys[0].reveal() == "sk-openai-test"
    assert specs["anthropic"].kind is BackendKind.ANTHROPIC
    assert specs["vllm"].kind is BackendKind.OPENAI_COMPATIBLE
    assert specs["vllm"].base_url == "http://gpu-box:8000/v1"
    assert [m.id for m in specs["vllm"].models] == ["Qwen/Qwen3-8B"]
    assert specs["vllm"].health_path == "/health"
    assert specs["ollama"].base_url == "http://127.0.0.1:11434/v1"
    assert specs["mistral"].base_url == "https://api.mistral.ai/v1"


def test_base_url_variables_move_keyed_providers() -> None:
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    specs = {s.name: s for s in backend_specs(load_settings(None, env=env), env=env)}
    assert specs["openai"].base_url == "http://127.0.0.1:9/v1"
    # An endpoint without its key registers nothing (it would only fail with 401).
    env = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    assert [s.name for s in backend_specs(load_settings(None, env=env), env=env)] == ["demo"]


def test_default_aliases() -> None:
    env = {"ANTHROPIC_API_KEY": "k", "VLLM_ENDPOINT": "http://h:8000/v1"}
    settings = load_settings(None, env=env)
    aliases = effective_aliases(settings, backend_specs(settings, env=env))
    assert aliases["haiku"] == ["anthropic/claude-haiku-4-5"]
    assert aliases["sonnet"] == ["anthropic/claude-sonnet-4-5"]
    assert aliases["opus"] == ["anthropic/claude-opus-4-1"]
    assert aliases["qwen"] == ["vllm/Qwen/Qwen2.5-7B-Instruct"]
    assert "demo/demo-chat" in aliases["default"]


def test_yaml_backends_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "llmgw.yaml"
    path.write_text(
        """
listen: 127.0.0.1:7000
backends:
  - name: local
    kind: openai_compatible
    base_url: http://127.0.0.1:8000/v1
    api_key_env: LOCAL_KEY
    models:
      - id: small
        capabilities: [streaming, tools]
aliases:
  fast: [local/small]
""",
        encoding="utf-8",
    )
    env = {"LOCAL_KEY": "sk-local"}
    settings = load_settings(path, env=env)
    assert settings.listen == "127.0.0.1:7000"
    local = next(s for s in backend_specs(settings, env=env) if s.name == "local")
    assert local.api_keys[0].reveal() == "sk-local"
    assert local.models[0].upstream_id == "small"
    assert effective_aliases(settings, [local])["fast"] == ["local/small"]


@pytest.mark.parametrize(
    ("yaml_text", "path_in_message"),
    [
        ("backends:\n  - name: x\n    kind: nope\n    base_url: http://h\n", "backends[0].kind"),
        (
            "backends:\n  - name: x\n    kind: openai\n    base_url: ftp://h\n",
            "backends[0].base_url",
        ),
        (
            "backends:\n  - name: x\n    kind: openai\n    models:\n      - id: ''\n",
            "backends[0].models[0].id",
        ),
        ("max_receive_message_bytes: 10\n", "max_receive_message_bytes"),
        ("listen_addr: x\n", "listen_addr"),
        (
            "prices:\n  gpt-4o:\n    input_per_million_tokens: -1\n"
            "    output_per_million_tokens: 1\n",
            "prices.gpt-4o.input_per_million_tokens",
        ),
    ],
)
def test_bad_config_names_the_field_path(
    tmp_path: Path, yaml_text: str, path_in_message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert path_in_message in str(caught.value)


def test_unreadable_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("backends: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(path, env={})


def test_literal_keys_do_not_print() -> None:
    settings = Settings.model_validate(
        {
            "backends": [
                {
                    "name": "x",
                    "kind": "openai",
                    "base_url": "http://127.0.0.1:1/v1",
                    "api_keys": ["sk-canary-literal-0001"],
                }
            ]
        }
    )
    assert "sk-canary-literal-0001" not in repr(settings)
    spec = next(s for s in backend_specs(settings, env={}) if s.name == "x")
    assert "sk-canary-literal-0001" not in repr(spec)

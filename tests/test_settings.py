"""Settings: defaults as the old script had them, tolerant reading, no key ever written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qagen_desktop.core import paths
from qagen_desktop.core.endpoint import DEFAULT_ENDPOINT, DEFAULT_MODEL, Endpoint
from qagen_desktop.core.generation import DEFAULTS
from qagen_desktop.core.settings import Environment, Settings, load_settings, save_settings


def test_defaults_are_the_scripts() -> None:
    settings = Settings()
    assert settings.endpoint == DEFAULT_ENDPOINT == "http://127.0.0.1:5272/v1/chat/completions"
    assert settings.model == DEFAULT_MODEL
    assert settings.pairs == 5
    assert settings.concurrency == 4
    assert settings.chunk_chars == 3000
    assert settings.max_retries == 3
    assert settings.timeout == 60.0


def test_settings_live_under_the_platform_config_folder(user_dirs: dict[str, Path]) -> None:
    assert paths.settings_file().is_relative_to(user_dirs["config"])
    assert paths.recovery_dir().is_relative_to(user_dirs["data"])


def test_settings_round_trip_through_the_file() -> None:
    settings = Settings(model="llama3.1", pairs=40, include_context=True)
    settings.remember_response_mode(Endpoint(url="http://localhost:11434/v1"), "json_object")
    settings.add_recent_file("data/a.jsonl")
    save_settings(settings)
    loaded = load_settings()
    assert loaded == settings
    assert loaded.response_mode_for(Endpoint(url="http://localhost:11434/v1")) == "json_object"


def test_the_judges_settings_are_kept_with_defaults_from_the_run_config() -> None:
    assert (Settings().judge, Settings().min_score) == (DEFAULTS.judge, DEFAULTS.min_score)
    settings = Settings(
        judge=True, min_score=8, judge_model="judge-7b", judge_endpoint="http://judge:8080/v1"
    )
    save_settings(settings)
    assert load_settings() == settings


def test_a_damaged_settings_file_falls_back_to_defaults() -> None:
    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()


def test_mistyped_values_are_ignored_one_by_one() -> None:
    path = paths.settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps({"pairs": "many", "concurrency": True, "model": "qwen", "export_format": "x"}),
        encoding="utf-8",
    )
    loaded = load_settings()
    assert loaded.pairs == 5
    assert loaded.concurrency == 4
    assert loaded.model == "qwen"
    assert loaded.export_format == "qa"


def test_settings_have_no_field_that_could_hold_a_key() -> None:
    save_settings(Settings())
    keys = set(json.loads(paths.settings_file().read_text(encoding="utf-8")))
    assert not any("key" in name.lower() or "secret" in name.lower() for name in keys)


def test_unknown_endpoint_starts_with_json_schema() -> None:
    assert Settings().response_mode_for(Endpoint(url="http://localhost:1234/v1")) == "json_schema"


def test_recent_files_are_unique_newest_first_and_bounded(tmp_path: Path) -> None:
    settings = Settings()
    for i in range(15):
        settings.add_recent_file(str(tmp_path / f"{i}.jsonl"))
    settings.add_recent_file(str(tmp_path / "3.jsonl"))
    assert settings.recent_files[0] == str(tmp_path / "3.jsonl")
    assert len(settings.recent_files) == 10
    assert len(set(settings.recent_files)) == 10


@pytest.mark.parametrize(
    ("environ", "expected_key"),
    [({}, None), ({"API_KEY": ""}, ""), ({"API_KEY": "sk-x"}, "sk-x")],
)
def test_environment_key_unset_empty_or_given(
    environ: dict[str, str], expected_key: str | None
) -> None:
    assert Environment.read(environ).api_key == expected_key


def test_environment_gives_starting_endpoint_and_model() -> None:
    env = Environment.read(
        {
            "API_ENDPOINT": "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
            "?api-version=2024-02-15-preview",
            "MODEL": "gpt-4o",
        }
    )
    settings = env.apply(Settings())
    assert settings.provider == "azure"
    assert settings.model == "gpt-4o"
    assert settings.endpoint.startswith("https://res.openai.azure.com/")

"""Assembling a run: flags beat the environment beat the settings; the key's precedence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qagen_desktop.cli.parser import build_parser, flags_from_args
from qagen_desktop.core.client import Usage
from qagen_desktop.core.endpoint import Endpoint
from qagen_desktop.core.errors import ConfigError
from qagen_desktop.core.generation import DEFAULTS, InvalidValue, ResponseMode, RunResult
from qagen_desktop.core.records import QAPair
from qagen_desktop.core.session import KeySource, RunFlags, assemble_run, remember_outcome
from qagen_desktop.core.settings import Settings

SAVED_URL = "http://saved.example:8000/v1"
ENV_URL = "http://env.example:8001/v1"
FLAG_URL = "http://flag.example:8002/v1"


class DictKeys:
    """A keyring stand-in: what was saved, per user name."""

    def __init__(self, saved: dict[str, str] | None = None) -> None:
        self.saved = dict(saved or {})
        self.asked: list[str] = []

    def get(self, key_id: str) -> str | None:
        self.asked.append(key_id)
        return self.saved.get(key_id)

    def set(self, key_id: str, key: str) -> bool:
        self.saved[key_id] = key
        return True

    def delete(self, key_id: str) -> None:
        self.saved.pop(key_id, None)


def _settings() -> Settings:
    return Settings(endpoint=SAVED_URL, model="saved-model", pairs=9, concurrency=2)


def test_flags_beat_the_environment_beat_the_settings() -> None:
    env = {"API_ENDPOINT": ENV_URL, "MODEL": "env-model"}
    keys = DictKeys()
    from_settings = assemble_run(RunFlags(), environ={}, settings=_settings(), keystore=keys)
    assert (from_settings.endpoint.url, from_settings.endpoint.model) == (SAVED_URL, "saved-model")
    assert from_settings.config.total_pairs == 9
    from_env = assemble_run(RunFlags(), environ=env, settings=_settings(), keystore=keys)
    assert (from_env.endpoint.url, from_env.endpoint.model) == (ENV_URL, "env-model")
    flags = RunFlags(endpoint=FLAG_URL, model="flag-model", total_pairs=3)
    from_flags = assemble_run(flags, environ=env, settings=_settings(), keystore=keys)
    assert (from_flags.endpoint.url, from_flags.endpoint.model) == (FLAG_URL, "flag-model")
    assert (from_flags.config.total_pairs, from_flags.config.concurrency) == (3, 2)


def test_defaults_come_from_the_run_config_when_nothing_is_given() -> None:
    plan = assemble_run(RunFlags(), environ={}, settings=Settings(), keystore=DictKeys())
    assert plan.config == replace(DEFAULTS, response_mode=ResponseMode.JSON_SCHEMA)
    assert plan.key_source is KeySource.NONE


def test_api_key_beats_the_keyring_and_an_empty_one_means_no_key() -> None:
    key_id = Endpoint(url=SAVED_URL).key_id()
    keys = DictKeys({key_id: "sk-from-keyring"})
    plan = assemble_run(RunFlags(), environ={}, settings=_settings(), keystore=keys)
    assert (plan.api_key, plan.key_source) == ("sk-from-keyring", KeySource.KEYRING)
    env = {"API_KEY": "sk-from-env"}
    plan = assemble_run(RunFlags(), environ=env, settings=_settings(), keystore=keys)
    assert (plan.api_key, plan.key_source) == ("sk-from-env", KeySource.ENVIRONMENT)
    plan = assemble_run(RunFlags(), environ={"API_KEY": ""}, settings=_settings(), keystore=keys)
    assert (plan.api_key, plan.key_source) == (None, KeySource.ENVIRONMENT)
    assert keys.saved == {key_id: "sk-from-keyring"}, "a key from the environment is not stored"


def test_the_keyring_is_asked_under_the_normalised_endpoint() -> None:
    keys = DictKeys({"http://saved.example:8000/v1/chat/completions": "sk-1"})
    flags = RunFlags(endpoint="HTTP://SAVED.Example:8000/v1/")
    plan = assemble_run(flags, environ={}, settings=Settings(), keystore=keys)
    assert plan.api_key == "sk-1"
    assert keys.asked == ["http://saved.example:8000/v1/chat/completions"]


def test_a_bad_url_is_refused_before_the_keyring_is_asked() -> None:
    keys = DictKeys()
    with pytest.raises(ConfigError, match="http://"):
        assemble_run(
            RunFlags(endpoint="saved.example"), environ={}, settings=Settings(), keystore=keys
        )
    assert keys.asked == []


def test_a_number_out_of_range_names_its_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        assemble_run(RunFlags(concurrency=0), environ={}, settings=Settings(), keystore=DictKeys())
    assert caught.value.name == "concurrency"


def test_the_remembered_response_mode_is_used_and_a_new_one_remembered() -> None:
    settings = _settings()
    settings.remember_response_mode(Endpoint(url=SAVED_URL), ResponseMode.JSON_OBJECT)
    plan = assemble_run(RunFlags(), environ={}, settings=settings, keystore=DictKeys())
    assert plan.config.response_mode == ResponseMode.JSON_OBJECT

    def result(mode: str, pairs: int) -> RunResult:
        got = [QAPair(f"Q{i}?", "A.") for i in range(pairs)]
        return RunResult(got, [], Usage(), requested=1, response_mode=mode)

    assert not remember_outcome(settings, plan, result(ResponseMode.PLAIN, 0)), "no pairs: no proof"
    assert not remember_outcome(settings, plan, result(ResponseMode.JSON_OBJECT, 1))
    assert remember_outcome(settings, plan, result(ResponseMode.PLAIN, 1))
    assert settings.response_mode_for(plan.endpoint) is ResponseMode.PLAIN


def test_the_command_line_and_the_window_build_the_same_run() -> None:
    key_id = Endpoint(url=FLAG_URL).key_id()
    keys = DictKeys({key_id: "sk-saved"})
    settings = Settings(system_message="Answer briefly.", chunk_chars=2000)
    argv = [
        "generate",
        "ctx.txt",
        "-n",
        "7",
        "--endpoint",
        FLAG_URL,
        "--model",
        "m1",
        "--concurrency",
        "2",
        "--max-retries",
        "5",
        "--timeout",
        "30",
    ]
    cli_flags = flags_from_args(build_parser().parse_args(argv))
    from_cli = assemble_run(cli_flags, environ={}, settings=settings, keystore=keys)
    # The window gives every field it shows; the rest it keeps in the same settings.
    window_flags = RunFlags(
        provider="openai",
        endpoint=FLAG_URL,
        model="m1",
        deployment="",
        api_version=settings.api_version,
        total_pairs=7,
        chunk_chars=settings.chunk_chars,
        concurrency=2,
        max_retries=5,
        timeout=30.0,
        prompt_template=settings.prompt_template,
        system_message=settings.system_message,
    )
    from_window = assemble_run(window_flags, environ={}, settings=settings, keystore=keys)
    assert from_cli == from_window
    assert from_cli.api_key == "sk-saved"
    assert from_cli.config.system_message == "Answer briefly."


JUDGE_URL = "http://judge.example:9000/v1"


def test_the_judge_uses_the_runs_endpoint_model_and_key_by_default() -> None:
    keys = DictKeys({Endpoint(url=SAVED_URL).key_id(): "sk-run"})
    plan = assemble_run(RunFlags(judge=True), environ={}, settings=_settings(), keystore=keys)
    endpoint, key = plan.config.judge_target()
    assert (endpoint, key) == (plan.endpoint, "sk-run")
    assert (plan.config.judge, plan.config.min_score) == (True, DEFAULTS.min_score)


def test_a_judge_on_another_host_gets_only_the_key_saved_for_it() -> None:
    run_id, judge_id = Endpoint(url=SAVED_URL).key_id(), Endpoint(url=JUDGE_URL).key_id()
    flags = RunFlags(judge=True, judge_endpoint=JUDGE_URL, judge_model="big-judge")
    keys = DictKeys({run_id: "sk-run"})
    plan = assemble_run(flags, environ={}, settings=_settings(), keystore=keys)
    endpoint, key = plan.config.judge_target()
    assert (endpoint.url, endpoint.model, key) == (JUDGE_URL, "big-judge", None)
    assert plan.api_key == "sk-run"
    keys.saved[judge_id] = "sk-judge"
    plan = assemble_run(flags, environ={"API_KEY": "sk-env"}, settings=_settings(), keystore=keys)
    assert plan.config.judge_target()[1] == "sk-judge"
    assert "sk-env" not in repr(plan.config) and "sk-judge" not in repr(plan.config)


def test_a_judge_on_the_runs_host_may_share_its_key() -> None:
    flags = RunFlags(judge=True, judge_endpoint=SAVED_URL.replace("/v1", "/judge/v1"))
    plan = assemble_run(
        flags, environ={"API_KEY": "sk-env"}, settings=_settings(), keystore=DictKeys()
    )
    endpoint, key = plan.config.judge_target()
    assert key == "sk-env"
    assert endpoint.model == "saved-model", "another endpoint keeps the run's model unless named"


def test_the_judges_settings_come_from_the_file_and_flags_win() -> None:
    settings = replace(_settings(), judge=True, min_score=5, judge_model="saved-judge")
    plan = assemble_run(RunFlags(), environ={}, settings=settings, keystore=DictKeys())
    assert (plan.config.judge, plan.config.min_score, plan.config.judge_model) == (
        True,
        5,
        "saved-judge",
    )
    flags = RunFlags(judge=False, min_score=8)
    plan = assemble_run(flags, environ={}, settings=settings, keystore=DictKeys())
    assert (plan.config.judge, plan.config.min_score) == (False, 8)


def test_the_judges_keyring_entry_is_not_asked_while_the_judge_is_off() -> None:
    keys = DictKeys()
    settings = replace(_settings(), judge_endpoint=JUDGE_URL)
    assemble_run(RunFlags(), environ={}, settings=settings, keystore=keys)
    assert Endpoint(url=JUDGE_URL).key_id() not in keys.asked

"""Settings: the contract's variable names, clear errors, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from shared.errors import InvalidInput
from shared.texts import Texts

TOKEN = "123456789:AAEhBOweik6ad6PsVMRxjeQKaaaaaaaaaaa"


def test_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert s.telegram.api_base == "https://api.telegram.org"
    assert s.vk.api_base == "https://api.vk.ru"
    assert s.vk.api_version == "5.199"
    assert s.database.url == f"sqlite+aiosqlite:///{tmp_path}/glashatai.db"  # GLASHATAI_HOME
    assert s.timezone == "Asia/Krasnoyarsk"
    assert not s.telegram.enabled
    assert not s.vk.enabled


@pytest.mark.parametrize("raw", ["[1, 2, 3]", "1,2,3", " 1, 2 ,3 "])
def test_moderator_ids_json_or_commas(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("GLASHATAI_TELEGRAM__MODERATOR_IDS", raw)
    assert load_settings().telegram.moderator_ids == [1, 2, 3]


def test_env_names_of_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "GLASHATAI_TELEGRAM__TOKEN": TOKEN,
        "GLASHATAI_TELEGRAM__API_BASE": "http://127.0.0.1:1/",
        "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID": "-1001",
        "GLASHATAI_TELEGRAM__CHANNEL_ID": "@town",
        "GLASHATAI_VK__GROUP_ID": "229000001",
        "GLASHATAI_VK__GROUP_TOKEN": "vk1.a.group",
        "GLASHATAI_VK__USER_TOKEN": "vk1.a.user",
        "GLASHATAI_VK__API_BASE": "http://127.0.0.1:2",
        "GLASHATAI_VK__API_VERSION": "5.199",
        "GLASHATAI_DATABASE__URL": "postgresql+asyncpg://x@h/db",
        "GLASHATAI_TIMEZONE": "Asia/Novosibirsk",
        "GLASHATAI_LOG_LEVEL": "debug",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = load_settings()
    assert s.telegram.token is not None
    assert s.telegram.token.get_secret_value() == TOKEN
    assert s.telegram.api_base == "http://127.0.0.1:1"
    assert s.telegram.admin_chat_id == -1001
    assert s.telegram.channel_id == "@town"
    assert s.vk.group_id == 229000001
    assert s.vk.enabled
    assert s.database.url.startswith("postgresql+asyncpg")
    assert s.log_level == "DEBUG"
    assert TOKEN not in repr(s)
    assert "vk1.a.user" not in str(s.model_dump())
    assert set(s.secrets()) == {TOKEN, "vk1.a.group", "vk1.a.user"}


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GLASHATAI_TELEGRAM__CHANNEL_ID=@from_dotenv\n")
    assert load_settings().telegram.channel_id == "@from_dotenv"


def test_bad_values_give_one_line_per_variable_without_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLASHATAI_TELEGRAM__ADMIN_CHAT_ID", "secret-looking-value")
    monkeypatch.setenv("GLASHATAI_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("GLASHATAI_TELEGRAM__ADMIN_CHAT_ID:")
    assert lines[1].startswith("GLASHATAI_TIMEZONE:")
    assert "secret-looking-value" not in str(caught.value)
    assert "pydantic" not in str(caught.value)


def test_example_env_documents_every_contract_variable() -> None:
    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    for name in [
        "GLASHATAI_TELEGRAM__TOKEN",
        "GLASHATAI_TELEGRAM__API_BASE",
        "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID",
        "GLASHATAI_TELEGRAM__CHANNEL_ID",
        "GLASHATAI_TELEGRAM__MODERATOR_IDS",
        "GLASHATAI_VK__GROUP_ID",
        "GLASHATAI_VK__GROUP_TOKEN",
        "GLASHATAI_VK__USER_TOKEN",
        "GLASHATAI_VK__API_BASE",
        "GLASHATAI_VK__API_VERSION",
        "GLASHATAI_DATABASE__URL",
        "GLASHATAI_TIMEZONE",
        "GLASHATAI_LOG_LEVEL",
        "GLASHATAI_TEXTS_FILE",
    ]:
        assert f"\n{name}=" in example or f"\n# {name}=" in example, name
    lines = example.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip("# ").startswith("GLASHATAI_") and "=" in line:
            assert lines[index - 1].startswith("#"), f"{line} has no comment above it"


def test_texts_override(tmp_path: Path) -> None:
    custom = tmp_path / "texts.toml"
    custom.write_text('[citizen]\ngreeting = "Привет от нашей администрации!"\n')
    texts = Texts.load(custom)
    assert texts("citizen.greeting") == "Привет от нашей администрации!"
    assert texts("errors.not_found") == Texts.load()("errors.not_found")


def test_texts_override_rejects_unknown_keys_and_placeholders(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[citizen]\ngreetin = "опечатка"\n')
    with pytest.raises(InvalidInput, match=r"citizen\.greetin"):
        Texts.load(bad)
    bad.write_text('[errors]\ninvalid_input = "{oops}"\n')
    with pytest.raises(InvalidInput, match="oops"):
        Texts.load(bad)


def test_env_made_from_the_example_loads(tmp_path: Path) -> None:
    """The README's first command copies .env.example as it is: empty values mean "not set"."""
    example = Path(__file__).resolve().parents[1] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    s = load_settings()
    assert not s.telegram.enabled
    assert not s.vk.enabled
    assert s.telegram.admin_chat_id is None
    assert s.vk.group_id is None


@pytest.mark.parametrize(
    "value", ["localhost:8081", "127.0.0.1:8081/", "http://[::1", "ftp://h", "http://h:port", ""]
)
def test_an_api_base_must_be_an_http_url(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Without a scheme the clients fail later, quoting the request URL with the token."""
    monkeypatch.setenv("GLASHATAI_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.setenv("GLASHATAI_TELEGRAM__API_BASE", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert [(p.variable, p.kind) for p in caught.value.problems] == [
        ("GLASHATAI_TELEGRAM__API_BASE", "http_url")
    ]
    assert TOKEN not in str(caught.value)


def test_office_files_are_in_the_data_folder(tmp_path: Path) -> None:
    (tmp_path / "texts.toml").write_text("", encoding="utf-8")
    (tmp_path / "topics.toml").write_text('[topics]\nwater = "Вода"\n', encoding="utf-8")
    s = load_settings(texts_file="texts.toml", alerts={"topics_file": "topics.toml"})
    assert s.texts_file == tmp_path / "texts.toml"
    assert s.alerts.topics_file == tmp_path / "topics.toml"
    assert load_settings(texts_file=" ", alerts={"topics_file": ""}).texts_file is None


def test_the_web_part_needs_its_key_in_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASHATAI_WEB__ENABLED", "true")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert [p.variable for p in caught.value.problems] == ["GLASHATAI_WEB__SECRET_KEY"]
    monkeypatch.setenv("GLASHATAI_WEB__SECRET_KEY", "a-long-random-key")
    assert load_settings().web.enabled


def test_every_documented_variable_is_known() -> None:
    """No warning about the example's own names: each is a setting the code reads."""
    from config.slips import known_names

    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in example.splitlines()
        if line.lstrip("# ").startswith("GLASHATAI_") and "=" in line
    }
    assert names
    assert names - known_names() == set()


def test_unknown_variables_name_the_close_one(tmp_path: Path) -> None:
    from config.slips import UnknownVariable, bad_lines, unknown_variables

    env_file = tmp_path / ".env"
    env_file.write_text("GLASHATAI_VK__GROUPID=1\nGLASHATAI_HOME=/x\nnot a line\n")
    environ = {
        "GLASHATAI_TELEGRAM__ADMINCHAT_ID": "1",
        "GLASHATAI_TEST_POSTGRES_URL": "x",
        "GLASHATAI_MAX_SPEC": "x",
        "GLASHATAI_SOMETHING_ELSE": "x",
        "PATH": "/bin",
    }
    assert unknown_variables(env_file, environ) == [
        UnknownVariable("GLASHATAI_SOMETHING_ELSE", "", None),
        UnknownVariable(
            "GLASHATAI_TELEGRAM__ADMINCHAT_ID", "", "GLASHATAI_TELEGRAM__ADMIN_CHAT_ID"
        ),
        UnknownVariable("GLASHATAI_VK__GROUPID", str(env_file), "GLASHATAI_VK__GROUP_ID"),
    ]
    assert [b.line for b in bad_lines(env_file)] == [3]

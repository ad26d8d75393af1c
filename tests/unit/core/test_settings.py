from pathlib import Path

import pytest

from backend.core.settings import Settings, settings_fields

README = Path(__file__).parents[3] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    for env, default, description in settings_fields():
        assert description, f"{env} has no description"
        assert f"| `{env}` | `{default}` |" in text, (
            f"README's settings table lacks {env} = {default}"
        )


def test_settings_come_from_the_environment_typed() -> None:
    settings = Settings.from_env({"HADIR_PORT": "9001", "HADIR_MINIO_SECURE": "true", "OTHER": "x"})
    assert settings.port == 9001
    assert settings.minio_secure is True
    assert settings.resolved_database_url == "sqlite:///var/hadir.sqlite"


def test_a_bad_value_fails_loudly() -> None:
    import msgspec

    with pytest.raises(msgspec.ValidationError, match="port"):
        Settings.from_env({"HADIR_PORT": "lapan ribu"})


def test_the_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=str(tmp_path)).with_secret()
    second = Settings(data_dir=str(tmp_path)).with_secret()
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

"""Settings come from DLV_* variables; bad values stop start-up naming the variable."""

from __future__ import annotations

import stat

import pytest

from dlv.config import SettingsError, load_settings


def test_defaults_use_an_embedded_sqlite_file_in_the_data_dir(tmp_path) -> None:
    settings = load_settings({"DLV_DATA_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'dlv.db'}"
    assert settings.port == 8000
    assert settings.neo4j_uri is None


def test_a_generated_secret_key_is_kept_private_and_reused(tmp_path) -> None:
    first = load_settings({"DLV_DATA_DIR": str(tmp_path)})
    second = load_settings({"DLV_DATA_DIR": str(tmp_path)})

    key_file = tmp_path / "secret_key"
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_two_data_dirs_get_different_keys(tmp_path) -> None:
    one = load_settings({"DLV_DATA_DIR": str(tmp_path / "a")})
    two = load_settings({"DLV_DATA_DIR": str(tmp_path / "b")})

    assert one.secret_key != two.secret_key


def test_values_are_read_from_the_environment(tmp_path) -> None:
    settings = load_settings(
        {
            "DLV_DATA_DIR": str(tmp_path),
            "DLV_DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/dlv",
            "DLV_PORT": "9000",
            "DLV_LOG_LEVEL": "debug",
            "DLV_TOKEN_LIFETIME_MINUTES": "15",
            "DLV_SECRET_KEY": "k" * 40,
        }
    )

    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/dlv"
    assert (settings.port, settings.log_level, settings.token_lifetime_minutes) == (9000, "DEBUG", 15)
    assert settings.secret_key == "k" * 40
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DLV_PORT", "eighty", "DLV_PORT='eighty' is not valid: expected a whole number."),
        ("DLV_PORT", "70000", "DLV_PORT=70000 is not valid"),
        ("DLV_LOG_LEVEL", "loud", "DLV_LOG_LEVEL='loud' is not valid: expected one of DEBUG, INFO, WARNING, ERROR."),
        ("DLV_DATABASE_URL", "mysql://x", "DLV_DATABASE_URL is not valid"),
        ("DLV_SECRET_KEY", "short", "DLV_SECRET_KEY is too short"),
        ("DLV_TOKEN_LIFETIME_MINUTES", "0", "DLV_TOKEN_LIFETIME_MINUTES=0 is not valid"),
        ("DLV_NEO4J_URI", "http://neo", "DLV_NEO4J_URI is not valid"),
    ],
)
def test_invalid_values_name_the_variable(tmp_path, variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"DLV_DATA_DIR": str(tmp_path), variable: value})

    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DLV_ALERT_DISPATCH_INTERVAL_SECONDS", "60"), ("DLV_ALERT_DISPATCH_INTERVAL_SECONDS", "0"), ("DLV_SMTP_PORT", "0"),
     ("DLV_PUBLIC_URL", "lineage.example.com"), ("DLV_SMTP_STARTTLS", "maybe")],
)
def test_bad_alert_settings_stop_start_up_naming_the_variable(tmp_path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({"DLV_DATA_DIR": str(tmp_path), variable: value})



@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DLV_KAFKA_CONSUME": "true"}, "DLV_KAFKA_BOOTSTRAP_SERVERS"),
        ({"DLV_KAFKA_SECURITY_PROTOCOL": "TLS"}, "DLV_KAFKA_SECURITY_PROTOCOL"),
        ({"DLV_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "DLV_KAFKA_SASL_MECHANISM": "GSSAPI"}, "DLV_KAFKA_SASL_MECHANISM"),
        ({"DLV_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "DLV_KAFKA_SASL_MECHANISM": "PLAIN", "DLV_KAFKA_SASL_USERNAME": "dlv"}, "DLV_KAFKA_SASL_PASSWORD"),
    ],
)
def test_bad_kafka_settings_stop_start_up_naming_the_variable(tmp_path, environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings({"DLV_DATA_DIR": str(tmp_path), **environ})


def test_kafka_defaults_and_a_sasl_configuration(tmp_path) -> None:
    defaults = load_settings({"DLV_DATA_DIR": str(tmp_path)})
    assert (defaults.kafka_consume, defaults.kafka_topic, defaults.kafka_group_id, defaults.kafka_dead_letter_topic) == (False, "openlineage", "dlv", None)
    sasl = load_settings({
        "DLV_DATA_DIR": str(tmp_path), "DLV_KAFKA_CONSUME": "true", "DLV_KAFKA_BOOTSTRAP_SERVERS": "k1:9093,k2:9093",
        "DLV_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "DLV_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "DLV_KAFKA_SASL_USERNAME": "dlv",
        "DLV_KAFKA_SASL_PASSWORD": "kafka-secret-1",
    })
    assert sasl.kafka_consume and sasl.kafka_sasl_password == "kafka-secret-1"

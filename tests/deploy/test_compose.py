"""compose.yml: the services, their start order and health checks, and that the API's
environment, port and health path are what DLV itself reads and serves.

No Docker engine runs here and no copy of the Compose specification's JSON schema ships in
a package, so the structure the spec requires is checked by hand."""

from __future__ import annotations

import re

import pytest
import yaml

from dlv.config import Settings, load_settings
from dlv.health import health

from ._util import COMPOSE, DOCKERFILE, ROOT, SETTINGS, MissingVariable, dlv_names, interpolate

ENV = {
    "POSTGRES_PASSWORD": "pg-password-123",
    "NEO4J_PASSWORD": "neo4j-password-123",
    "DLV_SECRET_KEY": "s" * 48,
}
SERVICE_KEYS = {
    "image", "build", "restart", "environment", "volumes", "healthcheck", "depends_on", "ports",
    "profiles", "command",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def api_env(compose: dict) -> dict[str, str]:
    return {key: interpolate(str(value), ENV) for key, value in compose["services"]["api"]["environment"].items()}


def test_top_level_structure_follows_the_compose_spec(compose: dict) -> None:
    assert set(compose) <= {"name", "services", "volumes", "networks", "secrets", "configs"}
    assert "version" not in compose  # obsolete in the Compose specification
    assert set(compose["services"]) == {"postgres", "neo4j", "api", "redis", "kafka", "kafka-consumer"}
    for name, service in compose["services"].items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unexpected keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service
        assert isinstance(service.get("environment", {}), dict), f"{name}: environment as a mapping"


def test_images_are_the_pinned_majors(compose: dict) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert services["api"]["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    assert (ROOT / services["api"]["build"]["dockerfile"]).is_file()


def test_every_service_has_a_healthcheck(compose: dict) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        for key in ("interval", "timeout"):
            assert re.fullmatch(r"\d+(ms|s|m)", check[key]), f"{name}.{key}={check[key]!r}"
        assert isinstance(check["retries"], int) and check["retries"] > 0


def test_the_api_starts_after_healthy_databases(compose: dict) -> None:
    services = compose["services"]
    depends = services["api"]["depends_on"]
    assert set(depends) == {"postgres", "neo4j"}
    for name, dependency in depends.items():
        assert dependency == {"condition": "service_healthy"}, name
        assert "profiles" not in services[name], f"{name} is profiled: `docker compose up` would fail"
    # Redis is optional (profile), so nothing may require it.
    assert services["redis"]["profiles"] == ["redis"]
    assert all("redis" not in service.get("depends_on", {}) for service in services.values())


def test_named_volumes_are_declared_and_mounted(compose: dict) -> None:
    declared = set(compose["volumes"])
    used = set()
    for service in compose["services"].values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared
    assert any(m.endswith(":/var/lib/postgresql/data") for m in compose["services"]["postgres"]["volumes"])
    assert any(m.endswith(":/data") for m in compose["services"]["neo4j"]["volumes"])


def test_every_dlv_variable_is_a_real_setting(compose: dict) -> None:
    # In the API's environment and in the comments documenting the others.
    assert set(compose["services"]["api"]["environment"]) <= SETTINGS
    assert dlv_names(COMPOSE.read_text()) <= SETTINGS, dlv_names(COMPOSE.read_text()) - SETTINGS


def test_secrets_are_required_from_env_and_never_written_in(compose: dict) -> None:
    text = COMPOSE.read_text()
    for name in ("DLV_SECRET_KEY", "POSTGRES_PASSWORD", "NEO4J_PASSWORD"):
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", text), f"{name} must use ${{{name}:?...}}"
        env = {k: v for k, v in ENV.items() if k != name}
        with pytest.raises(MissingVariable, match=name):
            for service in compose["services"].values():
                for value in service.get("environment", {}).values():
                    interpolate(str(value), env)
    assert compose["services"]["api"]["environment"]["DLV_SECRET_KEY"] == "${DLV_SECRET_KEY:?set it in .env}"


def test_the_api_environment_loads_as_valid_settings(api_env: dict[str, str], tmp_path) -> None:
    settings = load_settings({**api_env, "DLV_DATA_DIR": str(tmp_path)})
    assert settings.database_url == "postgresql+asyncpg://dlv:pg-password-123@postgres:5432/dlv"
    assert settings.neo4j_uri == "bolt://neo4j:7687"
    assert settings.neo4j_password == ENV["NEO4J_PASSWORD"]
    assert settings.secret_key == ENV["DLV_SECRET_KEY"]
    assert settings.redis_url is None  # only with the redis profile and DLV_REDIS_URL in .env
    assert settings.host == "0.0.0.0"
    with_redis = load_settings({**api_env, "DLV_DATA_DIR": str(tmp_path), "DLV_REDIS_URL": "redis://redis:6379/0"})
    assert with_redis.redis_url == "redis://redis:6379/0"


def test_postgres_and_neo4j_credentials_match_what_the_api_uses(compose: dict, api_env: dict[str, str]) -> None:
    postgres = {k: interpolate(str(v), ENV) for k, v in compose["services"]["postgres"]["environment"].items()}
    url = f"postgresql+asyncpg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/{postgres['POSTGRES_DB']}"
    assert api_env["DLV_DATABASE_URL"] == url
    neo4j_auth = interpolate(compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"], ENV)
    assert neo4j_auth == f"{api_env['DLV_NEO4J_USER']}/{api_env['DLV_NEO4J_PASSWORD']}"
    # The healthcheck reads the password inside the container: $$ must reach the shell as $.
    neo4j_check = interpolate(compose["services"]["neo4j"]["healthcheck"]["test"][1], ENV)
    assert '"${NEO4J_AUTH#neo4j/}"' in neo4j_check


def test_port_and_health_path_match_the_app(compose: dict, api_env: dict[str, str]) -> None:
    port = Settings().port
    assert port == 8000 and api_env["DLV_PORT"] == str(port)
    assert compose["services"]["api"]["ports"] == [f"{port}:{port}"]
    assert "/health" in health.paths
    check = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/health" in check
    # The image's own HEALTHCHECK probes the same path.
    assert "/health" in DOCKERFILE.read_text().split("HEALTHCHECK", 1)[1].split("\n\n")[0]


def test_the_first_admin_recipe_is_documented() -> None:
    text = COMPOSE.read_text()
    assert "docker compose exec api dlv user create" in text


def test_the_kafka_profile_runs_a_broker_and_a_dlv_consumer_of_it(compose: dict, api_env: dict[str, str], tmp_path) -> None:
    services = compose["services"]
    broker, consumer = services["kafka"], services["kafka-consumer"]
    assert broker["profiles"] == consumer["profiles"] == ["kafka"]
    assert all("kafka" not in service.get("depends_on", {}) for name, service in services.items() if name != "kafka-consumer")
    assert consumer["depends_on"] == {"api": {"condition": "service_healthy"}, "kafka": {"condition": "service_healthy"}}
    assert consumer["image"] == services["api"]["image"]
    assert consumer["command"][:3] == ["dlv", "consume", "kafka"]
    port = consumer["command"][consumer["command"].index("--metrics-port") + 1]
    assert f"127.0.0.1:{port}/metrics" in " ".join(consumer["healthcheck"]["test"])
    # The API's settings (the anchor), plus the brokers: a listener the broker advertises in the network.
    env = {key: interpolate(str(value), ENV) for key, value in consumer["environment"].items()}
    assert api_env.items() <= env.items()
    assert f"PLAINTEXT://{env['DLV_KAFKA_BOOTSTRAP_SERVERS']}" in broker["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
    settings = load_settings({**env, "DLV_DATA_DIR": str(tmp_path)})
    assert (settings.kafka_topic, settings.kafka_group_id) == ("openlineage", "dlv")
    assert set(env) <= SETTINGS

"""deploy/helm/dlv, rendered by the real `helm` (the version scripts/system-deps.sh builds from
the Go module proxy): the chart lints, and the objects `helm template` renders with the default
values and with an operator's override are what DLV needs to run: replicas probed on /health at
the port DLV listens on, every DLV_* setting reachable from the ConfigMap or the Secret and
accepted by `load_settings`, migrations in a pre-install/pre-upgrade hook Job, a Service and an
optional Ingress that reach the pods, and no secret in a ConfigMap."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dlv.cli import main
from dlv.config import load_settings
from dlv.health import health

from ._util import CHART, ROOT, SETTINGS, dlv_names

SYSTEM_DEPS = ROOT / "scripts" / "system-deps.sh"
HELM_VERSION = re.search(r"^HELM_VERSION=(\S+)$", SYSTEM_DEPS.read_text(), re.M).group(1)  # type: ignore[union-attr]
HELM = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlv" / f"helm-{HELM_VERSION}" / "helm"

# Settings that only ever come from the operator's Secret: they hold passwords or keys (the
# database URL carries the PostgreSQL password).
SECRET_SETTINGS = {
    "DLV_SECRET_KEY", "DLV_PREVIOUS_SECRET_KEYS", "DLV_DATABASE_URL", "DLV_NEO4J_PASSWORD", "DLV_ADMIN_PASSWORD", "DLV_SMTP_PASSWORD",
    "DLV_OIDC_CLIENT_SECRET",
    "DLV_KAFKA_SASL_PASSWORD",
}

RELEASE = "prod"
# What an operator running against external services typically overrides.
OVERRIDE = {
    "replicaCount": 3,
    "workers": 4,
    "existingSecret": "dlv-prod-secrets",
    "image": {"repository": "registry.example.com/dlv", "tag": "1.2.3"},
    "neo4j": {"uri": "neo4j://neo4j.graph.svc:7687", "user": "dlv"},
    "redis": {"url": "redis://redis.cache.svc:6379/0"},
    "config": {"logLevel": "WARNING", "bulkMaxBodyBytes": 104857600, "graphQueryTimeoutSeconds": 2.5,
               "corsOrigins": "https://catalog.example.com", "plugins": "postgresql,http", "trustedProxies": "10.244.0.0/16",
               "smtpHost": "smtp.example.com", "smtpUser": "dlv", "publicUrl": "https://lineage.example.com",
               "oidcIssuer": "https://login.example.com/realms/acme", "oidcClientId": "dlv", "oidcAdminGroups": "dlv-admins",
               "oidcViewerGroups": "dlv-viewers,data-eng", "oidcAudience": "api://dlv"},
    "service": {"port": 8080},
    "kafka": {
        "enabled": True, "replicaCount": 3, "bootstrapServers": "kafka-0.kafka:9093,kafka-1.kafka:9093", "topic": "lineage.events",
        "groupId": "dlv-prod", "deadLetterTopic": "lineage.events.refused", "securityProtocol": "SASL_SSL",
        "saslMechanism": "SCRAM-SHA-512", "saslUsername": "dlv", "sslCafile": "/etc/kafka-ca/ca.pem",
    },
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": [{"host": "lineage.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "lineage-tls", "hosts": ["lineage.example.com"]}],
    },
}


@pytest.fixture(scope="module")
def helm() -> Path:
    """The helm binary; skipped only when Go is missing, so scripts/system-deps.sh could not build it."""
    if not HELM.is_file():
        if not (shutil.which("go") or Path("/usr/local/go/bin/go").is_file()):
            pytest.skip(f"Go is not installed, so scripts/system-deps.sh could not build helm {HELM_VERSION}")
        pytest.fail(f"{HELM} is missing: run scripts/system-deps.sh (make test does) to build helm {HELM_VERSION}")
    return HELM


def _run(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120, check=False)


def _values_file(tmp_path_factory: pytest.TempPathFactory, values: dict) -> str:
    path = tmp_path_factory.mktemp("values") / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


def _template(helm: Path, *args: str) -> dict[str, dict]:
    """`helm template`, as {kind: object}; the chart renders at most one object of each kind."""
    proc = _run(helm, "template", RELEASE, str(CHART), *args)
    assert proc.returncode == 0, proc.stderr
    objects = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    kinds = [_key(obj) for obj in objects]
    assert len(kinds) == len(set(kinds)), kinds
    return {_key(obj): obj for obj in objects}


def _key(obj: dict) -> str:
    """The object's kind; the Kafka consumer's Deployment, a second one, as Deployment/kafka-consumer."""
    component = obj["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    return f"{obj['kind']}/{component}" if component == "kafka-consumer" else obj["kind"]


@pytest.fixture(scope="module")
def default(helm: Path) -> dict[str, dict]:
    return _template(helm)


@pytest.fixture(scope="module")
def override(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _template(helm, "-f", _values_file(tmp_path_factory, OVERRIDE))


def _values() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def _container(rendered: dict[str, dict], kind: str) -> dict:
    return rendered[kind]["spec"]["template"]["spec"]["containers"][0]


def _environment(rendered: dict[str, dict]) -> tuple[dict[str, str], dict[str, dict]]:
    """The API container's settings: ConfigMap data (checked to be the one it mounts) and secret refs."""
    container = _container(rendered, "Deployment")
    assert container["envFrom"] == [{"configMapRef": {"name": rendered["ConfigMap"]["metadata"]["name"]}}]
    refs = {}
    for variable in container["env"]:
        assert set(variable) == {"name", "valueFrom"}, f"{variable['name']} is not read from the Secret"
        refs[variable["name"]] = variable["valueFrom"]["secretKeyRef"]
    return rendered["ConfigMap"]["data"], refs


def test_chart_lints_with_default_and_override_values(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    for args in ([], ["-f", _values_file(tmp_path_factory, OVERRIDE)]):
        proc = _run(helm, "lint", "--strict", str(CHART), *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "1 chart(s) linted, 0 chart(s) failed" in proc.stdout


def test_default_render_has_no_ingress_and_the_override_has_one(
    default: dict[str, dict], override: dict[str, dict]
) -> None:
    assert set(default) == {"ConfigMap", "Service", "Deployment", "Job"}
    assert set(override) == {"ConfigMap", "Service", "Deployment", "Job", "Ingress", "Deployment/kafka-consumer"}


@pytest.mark.parametrize(("values", "replicas", "workers"), [("default", 2, "2"), ("override", 3, "4")])
def test_deployment_replicas_probe_health_on_the_port_dlv_listens_on(
    values: str, replicas: int, workers: str, request: pytest.FixtureRequest
) -> None:
    rendered = request.getfixturevalue(values)
    deployment = rendered["Deployment"]
    assert deployment["spec"]["replicas"] == replicas
    container = _container(rendered, "Deployment")
    assert container["command"] == ["dlv", "serve", "--workers", workers] and "serve" in main.commands
    data, _ = _environment(rendered)
    assert data["DLV_HOST"] == "0.0.0.0"
    assert container["ports"] == [{"name": "http", "containerPort": int(data["DLV_PORT"]), "protocol": "TCP"}]
    assert "/health" in health.paths
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
        assert container[probe]["periodSeconds"] >= 1 and container[probe]["failureThreshold"] >= 1
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == data["DLV_PORT"]
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_the_image_is_the_chart_app_version_unless_a_tag_is_set(
    default: dict[str, dict], override: dict[str, dict]
) -> None:
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    assert _container(default, "Deployment")["image"] == f"dlv:{app_version}"
    for kind in ("Deployment", "Job"):
        assert _container(override, kind)["image"] == "registry.example.com/dlv:1.2.3"


def test_the_data_dir_is_on_a_writable_volume_of_the_read_only_pod(default: dict[str, dict]) -> None:
    """The root filesystem is read-only, so DLV_DATA_DIR must sit under a mounted emptyDir."""
    for kind in ("Deployment", "Job"):
        pod = default[kind]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        data_dir = env.get("DLV_DATA_DIR") or default["ConfigMap"]["data"]["DLV_DATA_DIR"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        mount = next(path for path in mounts if Path(data_dir).is_relative_to(path))
        assert {"name": mounts[mount], "emptyDir": {}} in pod["volumes"]


@pytest.mark.parametrize("values", ["default", "override"])
def test_every_setting_reaches_the_api_and_load_settings_accepts_it(
    values: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The ConfigMap plus the Secret's keys give DLV a configuration `load_settings` accepts."""
    rendered = request.getfixturevalue(values)
    data, refs = _environment(rendered)
    for name, value in data.items():
        assert isinstance(value, str) and value, f"ConfigMap {name}={value!r}: a value is missing in values.yaml"
    secret_name = OVERRIDE["existingSecret"] if values == "override" else _values()["existingSecret"]
    assert all(ref["name"] == secret_name and ref["key"] == name for name, ref in refs.items())
    optional = {name for name, ref in refs.items() if ref.get("optional")}
    required = {"DLV_SECRET_KEY", "DLV_DATABASE_URL"} | ({"DLV_NEO4J_PASSWORD"} if values == "override" else set())
    assert set(refs) - optional == required
    assert set(data) | set(refs) <= SETTINGS
    secrets = {
        "DLV_SECRET_KEY": "k" * 48,
        "DLV_DATABASE_URL": "postgresql+asyncpg://dlv:pw@db.internal:5432/dlv",
        "DLV_NEO4J_PASSWORD": "neo4j-pw",
        "DLV_ADMIN_PASSWORD": "a-long-admin-password",
        "DLV_PREVIOUS_SECRET_KEYS": "p" * 48,
        "DLV_SMTP_PASSWORD": "smtp-pw",
        "DLV_OIDC_CLIENT_SECRET": "oidc-client-secret",
        "DLV_KAFKA_SASL_PASSWORD": "kafka-pw",
    }
    environ = {**data, **{name: secrets[name] for name in refs}}
    settings = load_settings(environ)
    assert settings.port == 8000 and settings.host == "0.0.0.0"
    assert settings.database_url == secrets["DLV_DATABASE_URL"]
    if values == "default":
        assert settings.neo4j_uri is None and settings.redis_url is None and settings.cors_origins is None
        assert settings.log_format == "json" and settings.max_body_bytes == _values()["config"]["maxBodyBytes"]
    else:
        # With Neo4j, Redis and CORS set, every setting DLV has is reachable from the chart.
        assert set(data) | set(refs) == SETTINGS
        assert (settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password) == (
            "neo4j://neo4j.graph.svc:7687", "dlv", "neo4j-pw")
        assert settings.redis_url == OVERRIDE["redis"]["url"] and settings.log_level == "WARNING"
        assert settings.bulk_max_body_bytes == 104857600 and settings.graph_query_timeout_seconds == 2.5
        assert settings.cors_origins == "https://catalog.example.com" and settings.plugins == "postgresql,http"
        assert settings.trusted_proxies == "10.244.0.0/16"
        assert (settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret) == (
            "https://login.example.com/realms/acme", "dlv", "oidc-client-secret")
        assert settings.oidc_viewer_groups == "dlv-viewers,data-eng" and settings.local_login is True
        assert (settings.kafka_bootstrap_servers, settings.kafka_topic, settings.kafka_sasl_password) == (
            OVERRIDE["kafka"]["bootstrapServers"], "lineage.events", "kafka-pw")
        assert settings.kafka_consume is False  # the consumer Deployment consumes, not the API pods


@pytest.mark.parametrize("values", ["default", "override"])
def test_no_secret_is_rendered_into_a_config_map(values: str, request: pytest.FixtureRequest) -> None:
    rendered = request.getfixturevalue(values)
    assert SECRET_SETTINGS <= SETTINGS
    data = rendered["ConfigMap"]["data"]
    assert not set(data) & SECRET_SETTINGS
    assert not [value for value in data.values() if re.search(r"://[^/@]*:[^/@]*@", value)], "credentials in a URL"
    assert "Secret" not in rendered  # the operator creates it; the chart never holds secret values


def test_a_config_change_rolls_the_pods(default: dict[str, dict], override: dict[str, dict]) -> None:
    pods = [r["Deployment"]["spec"]["template"] for r in (default, override)]
    checksums = [pod["metadata"]["annotations"]["checksum/config"] for pod in pods]
    assert all(re.fullmatch(r"[0-9a-f]{64}", c) for c in checksums) and checksums[0] != checksums[1]


@pytest.mark.parametrize("values", ["default", "override"])
def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(values: str, request: pytest.FixtureRequest) -> None:
    rendered = request.getfixturevalue(values)
    job = rendered["Job"]
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 1
    container = spec["containers"][0]
    assert container["command"] == ["dlv", "migrate"] and "migrate" in main.commands
    assert container["image"] == _container(rendered, "Deployment")["image"]
    # A hook runs before the release's ConfigMap exists: it may read only the operator's Secret.
    assert "envFrom" not in container
    _, refs = _environment(rendered)
    secret_env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert set(secret_env) == {"DLV_SECRET_KEY", "DLV_DATABASE_URL"}
    assert all(secret_env[name] == refs[name] for name in secret_env)
    # Migration pods are not the API's: neither the Deployment nor the Service selects them.
    pod_labels = job["spec"]["template"]["metadata"]["labels"].items()
    assert not rendered["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_labels
    assert not rendered["Service"]["spec"]["selector"].items() <= pod_labels


def test_migrations_can_be_left_to_the_operator(helm: Path) -> None:
    assert "Job" not in _template(helm, "--set", "migrations.enabled=false")


@pytest.mark.parametrize(("values", "port"), [("default", 80), ("override", 8080)])
def test_service_reaches_the_api_port(values: str, port: int, request: pytest.FixtureRequest) -> None:
    rendered = request.getfixturevalue(values)
    service = rendered["Service"]
    assert service["spec"]["ports"] == [{"port": port, "targetPort": "http", "protocol": "TCP", "name": "http"}]
    assert "http" in {p["name"] for p in _container(rendered, "Deployment")["ports"]}
    pod_labels = rendered["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    # The hook Job's pods carry the selector labels too; they never become endpoints because the
    # Service targets the port *name* http, which only the API container declares.
    assert "ports" not in _container(rendered, "Job")


def test_ingress_routes_its_host_to_the_service(override: dict[str, dict]) -> None:
    ingress = override["Ingress"]
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == OVERRIDE["ingress"]["tls"]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "lineage.example.com"
    [path] = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    assert path["backend"] == {"service": {"name": override["Service"]["metadata"]["name"], "port": {"name": "http"}}}


def test_rendering_without_a_secret_name_says_what_is_missing(helm: Path) -> None:
    proc = _run(helm, "template", RELEASE, str(CHART), "--set", "existingSecret=")
    assert proc.returncode != 0
    assert "existingSecret is required" in proc.stderr and "DLV_SECRET_KEY" in proc.stderr


# Checks on the chart's sources: they also cover branches the two renders above do not take.


@pytest.mark.parametrize("path", sorted((CHART / "templates").iterdir()), ids=lambda p: p.name)
def test_every_values_reference_exists(path: Path) -> None:
    """helm renders a misspelt `.Values.x` as an empty value without any error, even with --strict."""
    values = _values()
    for ref in re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", path.read_text()):
        node: object = values
        for key in ref.strip(".").split("."):
            assert isinstance(node, dict) and key in node, f"{path.name}: .Values{ref} is not in values.yaml"
            node = node[key]


def test_every_dlv_name_in_the_chart_is_a_setting() -> None:
    for path in [*(CHART / "templates").iterdir(), CHART / "values.yaml"]:
        assert dlv_names(path.read_text()) <= SETTINGS, f"{path.name}: {dlv_names(path.read_text()) - SETTINGS}"


def test_values_hold_no_secret_values() -> None:
    values = _values()
    assert values["existingSecret"]
    flat = yaml.safe_dump(values).lower()
    assert "password:" not in flat and "secret_key" not in flat


def test_the_kafka_consumer_deployment_runs_dlv_consume_kafka_with_the_api_settings(override: dict[str, dict]) -> None:
    consumer = override["Deployment/kafka-consumer"]
    assert consumer["spec"]["replicas"] == 3
    pod = consumer["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["command"] == ["dlv", "consume", "kafka", "--metrics-port", "9100"]
    assert "consume" in main.commands and "kafka" in main.commands["consume"].commands  # type: ignore[attr-defined]
    api = _container(override, "Deployment")
    assert (container["envFrom"], container["env"], container["image"]) == (api["envFrom"], api["env"], api["image"])
    assert container["ports"] == [{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9100"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # Neither the API's Deployment nor its Service selects the consumer's pods.
    labels = pod["metadata"]["labels"].items()
    assert consumer["spec"]["selector"]["matchLabels"].items() <= labels
    assert not override["Service"]["spec"]["selector"].items() <= labels
    assert not override["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels


def test_the_kafka_consumer_needs_its_brokers(helm: Path) -> None:
    proc = _run(helm, "template", RELEASE, str(CHART), "--set", "kafka.enabled=true")
    assert proc.returncode != 0 and "kafka.bootstrapServers is required" in proc.stderr

"""deploy/helm/dlv: no `helm` installs from the available registries, so the chart is checked
without a renderer: every `.Values.x.y` a template uses exists in values.yaml, every
`include` names a `define`, blocks are balanced, and the templates with their `{{ }}` actions
replaced parse as YAML with the probes, port, hook Job and DLV_* names DLV expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dlv.cli import main
from dlv.health import health

from ._util import CHART, SETTINGS, dlv_names

TEMPLATES = sorted((CHART / "templates").glob("*.yaml"))
ALL_TEMPLATE_FILES = sorted((CHART / "templates").iterdir())
ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)


def _values() -> dict:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def _render_skeleton(path: Path) -> object:
    """Drop lines that are only actions; replace inline actions by a scalar placeholder."""
    lines = []
    for line in path.read_text().splitlines():
        if ACTION.fullmatch(line.strip()) or not line.strip():
            continue
        lines.append(ACTION.sub("TEMPLATED", line))
    return yaml.safe_load("\n".join(lines))


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "dlv" and chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert {p.name for p in TEMPLATES} >= {"deployment.yaml", "service.yaml", "ingress.yaml", "configmap.yaml", "migrate-job.yaml"}
    assert (CHART / "templates" / "_helpers.tpl").is_file()


@pytest.mark.parametrize("path", ALL_TEMPLATE_FILES, ids=lambda p: p.name)
def test_every_values_reference_exists(path: Path) -> None:
    values = _values()
    for ref in re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", path.read_text()):
        node: object = values
        for key in ref.strip(".").split("."):
            assert isinstance(node, dict) and key in node, f"{path.name}: .Values{ref} is not in values.yaml"
            node = node[key]


def test_includes_name_defines_and_blocks_balance() -> None:
    defines = set(re.findall(r'define "([^"]+)"', (CHART / "templates" / "_helpers.tpl").read_text()))
    for path in ALL_TEMPLATE_FILES:
        text = path.read_text()
        for name in re.findall(r'include "([^"]+)"', text):
            assert name in defines, f"{path.name}: include {name!r} has no define"
        actions = [a.split()[0] for a in ACTION.findall(text) if a and not a.startswith("/*")]
        opened = sum(a in ("if", "with", "range", "define") for a in actions)
        assert opened == actions.count("end"), f"{path.name}: {opened} blocks opened, {actions.count('end')} ended"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_parse_as_kubernetes_objects(path: Path) -> None:
    document = _render_skeleton(path)
    assert isinstance(document, dict) and {"apiVersion", "kind", "metadata"} <= set(document)


def test_deployment_probes_health_on_the_app_port() -> None:
    deployment = _render_skeleton(CHART / "templates" / "deployment.yaml")
    assert deployment["kind"] == "Deployment"
    assert deployment["spec"]["replicas"] == "TEMPLATED"  # .Values.replicaCount
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["dlv", "serve", "--workers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert "/health" in health.paths
    assert "resources" in container
    text = (CHART / "templates" / "deployment.yaml").read_text()
    assert ".Values.resources" in text and ".Values.replicaCount" in text
    values = _values()
    assert values["replicaCount"] >= 1 and values["resources"]["requests"]


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook() -> None:
    job = _render_skeleton(CHART / "templates" / "migrate-job.yaml")
    assert job["kind"] == "Job"
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["dlv", "migrate"]
    assert "migrate" in main.commands
    assert {e["name"] for e in container["env"]} >= {"DLV_DATABASE_URL", "DLV_SECRET_KEY"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_secrets_come_from_the_existing_secret_and_config_from_the_configmap() -> None:
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    for key in ("DLV_SECRET_KEY", "DLV_DATABASE_URL", "DLV_NEO4J_PASSWORD", "DLV_ADMIN_PASSWORD"):
        assert f"key: {key}" in helpers
    assert "secretKeyRef" in helpers and ".Values.existingSecret" in helpers
    configmap = _render_skeleton(CHART / "templates" / "configmap.yaml")
    keys = set(configmap["data"])
    assert keys <= SETTINGS
    assert not keys & {"DLV_SECRET_KEY", "DLV_DATABASE_URL", "DLV_NEO4J_PASSWORD", "DLV_ADMIN_PASSWORD"}
    assert configmap["data"]["DLV_PORT"] == "8000" and configmap["data"]["DLV_HOST"] == "0.0.0.0"
    # Every setting except the secrets can be set from values.
    conditional = set(re.findall(r"(DLV_[A-Z0-9_]+):", (CHART / "templates" / "configmap.yaml").read_text()))
    assert SETTINGS - conditional == {"DLV_SECRET_KEY", "DLV_DATABASE_URL", "DLV_NEO4J_PASSWORD", "DLV_ADMIN_PASSWORD"}


def test_every_dlv_name_in_the_chart_is_a_setting() -> None:
    for path in [*ALL_TEMPLATE_FILES, CHART / "values.yaml"]:
        assert dlv_names(path.read_text()) <= SETTINGS, f"{path.name}: {dlv_names(path.read_text()) - SETTINGS}"


def test_values_hold_no_secret_values() -> None:
    values = _values()
    assert values["existingSecret"]
    flat = yaml.safe_dump(values).lower()
    assert "password:" not in flat and "secret_key" not in flat

"""The deployment files, checked offline: the Prometheus alert rules (deploy/prometheus) name
only metrics the gateway exports, with their labels; the Kubernetes manifests
(deploy/kubernetes) have the topology, probes, resources and secret handling docs/operations.md
describes, and validate against the Kubernetes API schemas (`kubernetes-validate`, skipped
when it is not installed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from gateway.metrics import FAMILIES, exported_names
from saphan.paths import BOT_DIR, ROOT
from saphan.settings import Settings

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
KUBE = ROOT / "deploy" / "kubernetes"
OPERATIONS = ROOT / "docs" / "operations.md"
KUBERNETES_VERSION = "1.30"
#: What the Secret `saphan-secrets` holds (created by the operator, never in the manifests).
SECRET_KEYS = {
    "SAPHAN_DATABASE_URL", "SAPHAN_TRACKER_STORE_URL", "RASA_TRACKER_URL", "SAPHAN_REDIS_URL",
    "SAPHAN_SESSION_KEY", "SAPHAN_PSEUDONYM_KEY", "SAPHAN_ENCRYPTION_KEYS",
    "SAPHAN_INTERNAL_API_TOKEN", "SAPHAN_RASA_AUTH_TOKEN", "SAPHAN_ACTION_SERVER_TOKEN",
    "SAPHAN_LINE_CHANNELS", "SAPHAN_CASEWORKER_LINE_RECIPIENTS", "SAPHAN_ADMIN_API_TOKEN",
    "SAPHAN_METRICS_TOKEN", "SAPHAN_SCREENING_NOTES_KEY",
}
METRIC = re.compile(r"\b(saphan_[a-z0-9_]+)(\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')
DURATION = re.compile(r"^\d+[smhd]$")


# -- alert rules ---------------------------------------------------------------------------------
def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_problems(expr: str) -> list[str]:
    """Metrics an expression names that /metrics does not export, or with a label it lacks."""
    problems = []
    for name, matchers in METRIC.findall(expr):
        if name not in exported_names():
            problems.append(f"{name} is not exported")
            continue
        family = FAMILIES[re.sub(r"_(bucket|sum|count)$", "", name)] \
            if name not in FAMILIES else FAMILIES[name]
        allowed = set(family.labels) | ({"le"} if name.endswith("_bucket") else set())
        for label in MATCHER.findall(matchers):
            if label not in allowed:
                problems.append(f"{name} has no label {label}")
    return problems


def test_alert_rules_are_well_formed() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names repeat"
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert re.fullmatch(r"Saphan[A-Z][A-Za-z]+", rule["alert"])
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert DURATION.match(rule.get("for", "0s")), rule["alert"]
        expr = rule["expr"]
        for opening, closing in ("()", "{}", "[]"):
            assert expr.count(opening) == expr.count(closing), f"{rule['alert']}: {opening}"


def test_alert_rules_name_only_exported_metrics_and_labels() -> None:
    for rule in alert_rules():
        assert metric_problems(rule["expr"]) == [], rule["alert"]


def test_the_alerts_the_issue_asks_for_are_there() -> None:
    exprs = {rule["alert"]: " ".join(rule["expr"].split()) for rule in alert_rules()}
    assert exprs["SaphanUrgentCaseUnclaimed"] == \
        "max(saphan_urgent_unclaimed_oldest_age_seconds) > 300"  # 5 minutes
    assert exprs["SaphanInboxBacklog"] == "max(saphan_inbox_oldest_pending_age_seconds) > 60"
    assert "saphan_line_quota_used_ratio" in exprs["SaphanLineQuotaNearLimit"]
    assert 'saphan_up{part="rasa"}' in exprs["SaphanRasaDown"]
    assert "saphan_inbox_dead_letters" in exprs["SaphanDeadLetters"]


def test_the_checker_catches_unknown_metrics_and_labels() -> None:
    assert metric_problems('saphan_inbox_depth > 1') == ["saphan_inbox_depth is not exported"]
    assert metric_problems('saphan_up{service="rasa"} == 0') == ["saphan_up has no label service"]
    assert metric_problems(
        'rate(saphan_rasa_request_duration_seconds_bucket{le="1",outcome="ok"}[5m])') == []


# -- Kubernetes ------------------------------------------------------------------------------------
def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    documents = []
    for name in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((KUBE / name).read_text(encoding="utf-8"))
                      if d]
    return documents


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def containers() -> list[dict[str, Any]]:
    pods = [d["spec"]["template"]["spec"] for d in manifests()
            if d["kind"] in ("Deployment", "Job")]
    return [c for pod in pods for c in pod["containers"]]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


#: Deployments that must run as one replica (none: gateways claim events by lease and relay
#: live updates across replicas, see docs/operations.md).
SINGLE_REPLICA: set[str] = set()


def test_topology_replicas_budgets_and_autoscaling() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {"saphan-gateway", "saphan-rasa", "saphan-actions"}
    services, budgets, scalers = by_kind("Service"), by_kind("PodDisruptionBudget"), \
        by_kind("HorizontalPodAutoscaler")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), name
        assert services[name]["spec"]["selector"] == selector
        if name in SINGLE_REPLICA:
            assert deployment["spec"]["replicas"] == 1, name
            assert name not in budgets and name not in scalers, name
            continue
        assert deployment["spec"]["replicas"] >= 2, name
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector
        assert budgets[name]["spec"]["minAvailable"] == 1
        scaler = scalers[name]["spec"]
        assert scaler["scaleTargetRef"]["name"] == name
        assert scaler["minReplicas"] >= 2 and scaler["maxReplicas"] > scaler["minReplicas"]
        assert scaler["metrics"][0]["resource"]["name"] == "cpu"
    external = {name: s["spec"] for name, s in services.items()
                if s["spec"].get("type") == "ExternalName"}
    assert set(external) == {"saphan-postgres", "saphan-redis"}  # run outside, only named


def test_gateway_probes_do_not_depend_on_rasa() -> None:
    [gateway] = by_kind("Deployment")["saphan-gateway"]["spec"]["template"]["spec"]["containers"]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"
    for container in containers():
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            path = container.get(probe, {}).get("httpGet", {}).get("path")
            assert path != "/healthz", f"{container['name']} {probe} would follow Rasa"


def test_every_container_is_bounded_and_unprivileged() -> None:
    for document in manifests():
        if document["kind"] not in ("Deployment", "Job"):
            continue
        pod = document["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
            if document["kind"] == "Deployment":
                assert "readinessProbe" in container and "livenessProbe" in container


def test_rasa_runs_through_the_launcher_with_the_shared_stores() -> None:
    [rasa] = by_kind("Deployment")["saphan-rasa"]["spec"]["template"]["spec"]["containers"]
    assert rasa["command"] == ["python", "-m", "saphan.rasa_launch"]
    assert "--auth-token" in rasa["args"] and "$(SAPHAN_RASA_AUTH_TOKEN)" in rasa["args"]
    endpoints = (BOT_DIR / "endpoints.yml").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", endpoints))
    assert wanted <= {item["name"] for item in rasa["env"]}
    config = by_kind("ConfigMap")["saphan-config"]["data"]
    assert config["RASA_LOCK_STORE"] == "redis"


def test_secrets_are_only_referenced() -> None:
    assert "Secret" not in {d["kind"] for d in manifests()}  # created by the operator
    secret_fields = {f"SAPHAN_{name.upper()}" for name, field in Settings.model_fields.items()
                     if field.annotation is SecretStr}
    assert secret_fields <= SECRET_KEYS  # a new secret setting must be added here and in docs
    config = by_kind("ConfigMap")["saphan-config"]["data"]
    assert not set(config) & SECRET_KEYS
    settings_vars = {f"SAPHAN_{name.upper()}" for name in Settings.model_fields}
    assert {k for k in config if k.startswith("SAPHAN_")} <= settings_vars
    assert config["SAPHAN_ENVIRONMENT"] == "production"
    for container in containers():
        for item in container.get("env", []):
            if item["name"] in SECRET_KEYS:
                assert item["valueFrom"]["secretKeyRef"]["name"] == "saphan-secrets"
        for source in container.get("envFrom", []):
            assert source.get("secretRef", {"name": "saphan-secrets"})["name"] == \
                "saphan-secrets"
    documented = OPERATIONS.read_text(encoding="utf-8")
    for key in SECRET_KEYS:
        assert f"`{key}`" in documented, f"{key} not in docs/operations.md"


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    utils = pytest.importorskip("kubernetes_validate.utils")
    for document in manifests():
        utils.validate(document, KUBERNETES_VERSION, strict=True)
    deployment = dict(by_kind("Deployment")["saphan-gateway"])
    typo = yaml.safe_load(yaml.safe_dump(deployment).replace("readinessProbe", "readinesProbe"))
    with pytest.raises(utils.ValidationError):
        utils.validate(typo, KUBERNETES_VERSION, strict=True)


def test_no_manifest_holds_a_default_secret() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in KUBE.glob("*.yaml"))
    for default in ("change-me", "dev-", "password", "saphan:saphan@"):
        assert default not in text.lower()


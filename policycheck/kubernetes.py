"""The number of shards of a Kubernetes Indexed Job: the Job's ``spec.completions``, read from inside its pod.

Kubernetes gives each pod ``JOB_COMPLETION_INDEX`` but not the completions. The pod reads its Job
(``GET /apis/batch/v1/namespaces/NS/jobs/NAME``) with its service-account token, trusting the
cluster CA, at ``KUBERNETES_SERVICE_HOST``:``KUBERNETES_SERVICE_PORT`` (the in-cluster
configuration every Kubernetes client uses). The Job's name comes from ``JOB_NAME``, which the
manifest sets through the downward API from the pod label ``batch.kubernetes.io/job-name``; the
service account needs ``get`` on ``jobs`` (deploy/kubernetes/rbac.yaml). Standard library only.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import ConfigError

__all__ = ["JOB_NAME_ENV", "SERVICE_ACCOUNT", "SERVICE_ACCOUNT_ENV", "job_completions"]

#: Where Kubernetes mounts the pod's service-account token, CA bundle and namespace.
SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
#: Another folder holding ``token``, ``ca.crt`` and ``namespace`` (a custom mount; tests).
SERVICE_ACCOUNT_ENV = "POLICYCHECK_KUBERNETES_SERVICE_ACCOUNT"
#: The Job's name, set in the manifest from the downward API: metadata.labels['batch.kubernetes.io/job-name'].
JOB_NAME_ENV = "JOB_NAME"
TIMEOUT = 10.0
PASS_COUNT = "pass --shard-count N (the Job's completions)"
_FIX = f"or {PASS_COUNT}"


def _fail(message: str) -> ConfigError:
    return ConfigError(f"--shard auto: {message}", source="--shard")


def job_completions(env: Mapping[str, str], timeout: float = TIMEOUT) -> int:
    """The completions of the Indexed Job this pod belongs to; ConfigError (one line, what to do) otherwise."""
    host = env.get("KUBERNETES_SERVICE_HOST", "").strip()
    if not host:
        raise _fail("Kubernetes Indexed Job gives JOB_COMPLETION_INDEX but not the number of shards, and "
                    f"KUBERNETES_SERVICE_HOST is unset (not in a pod) to ask the Job; {PASS_COUNT}")
    job = env.get(JOB_NAME_ENV, "").strip()
    if not job:
        raise _fail(f"set {JOB_NAME_ENV} from the downward API (fieldRef metadata.labels"
                    f"['batch.kubernetes.io/job-name'], see deploy/kubernetes/scan-job.yaml) so the Job's "
                    f"completions can be read, {_FIX}")
    folder = Path(env.get(SERVICE_ACCOUNT_ENV, "").strip() or SERVICE_ACCOUNT)
    token = _read(folder / "token")
    namespace = _read(folder / "namespace")
    port = env.get("KUBERNETES_SERVICE_PORT", "443").strip() or "443"
    base = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    url = f"{base}/apis/batch/v1/namespaces/{quote(namespace, safe='')}/jobs/{quote(job, safe='')}"
    what = f"job '{job}' in namespace '{namespace}'"
    try:
        context = ssl.create_default_context(cafile=str(folder / "ca.crt"))
    except (OSError, ssl.SSLError) as exc:
        raise _fail(f"cannot read the cluster CA {folder / 'ca.crt'} ({exc.strerror or exc}); {_FIX}") from None
    if any(char in token for char in "\r\n") or not token.isascii():
        raise _fail(f"{folder / 'token'} is not a bearer token (a line break or non-ASCII characters); {_FIX}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as answer:
            body = answer.read(1_000_001)
    except urllib.error.HTTPError as exc:
        raise _fail(_http_reason(exc.code, what)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise _fail(f"cannot reach the Kubernetes API at {base} to read {what} ({reason}); {_FIX}") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise _fail(f"the Kubernetes API answered something that is not JSON for {what}; {_FIX}") from None
    return _completions(document, what)


def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise _fail(f"cannot read {path} ({exc.strerror or exc}): is the service-account token mounted "
                    f"(automountServiceAccountToken)? {_FIX}") from None
    if not text:
        raise _fail(f"{path} is empty; {_FIX}")
    return text


def _http_reason(code: int, what: str) -> str:
    if code in (401, 403):
        return (f"the pod's service account may not get {what} (HTTP {code}): grant it 'get' on jobs "
                f"(deploy/kubernetes/rbac.yaml) {_FIX}")
    if code == 404:
        return (f"{what} not found (HTTP 404): JOB_NAME must be the Job's name (from the pod label "
                f"batch.kubernetes.io/job-name) {_FIX}")
    return f"the Kubernetes API answered HTTP {code} for {what}; {_FIX}"


def _completions(document: Any, what: str) -> int:
    spec = document.get("spec") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("kind", "Job") != "Job" or not isinstance(spec, dict):
        raise _fail(f"the Kubernetes API did not answer a Job for {what}; {_FIX}")
    if spec.get("completionMode") != "Indexed":
        raise _fail(f"{what} is not an Indexed Job (spec.completionMode: {spec.get('completionMode')}); "
                    "set completionMode: Indexed")
    completions = spec.get("completions")
    if isinstance(completions, bool) or not isinstance(completions, int) or completions < 1:
        raise _fail(f"{what} has no spec.completions to count shards by (got {completions!r}); {_FIX}")
    return completions

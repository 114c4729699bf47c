"""A Kubernetes API server for tests: HTTPS on 127.0.0.1 with a throwaway CA, serving Job objects.

It answers ``GET /apis/batch/v1/namespaces/NS/jobs/NAME`` with the Job as the API returns it
(the manifest's fields plus what the control plane adds: uid, resourceVersion, selector, the
template's controller labels, status), 401 without the service-account token, 403 for Jobs the
service account may not get, and the API's ``Status`` document for errors. ``service_account``
is a folder laid out like ``/var/run/secrets/kubernetes.io/serviceaccount``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

TOKEN = "eyJhbGciOiJSUzI1NiJ9.policycheck-test-token.c2lnbmF0dXJl"
UID = "2b4c1f6e-8d3a-4f0e-9a7b-5c6d7e8f9a0b"


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """The API's ``Status`` document for a failed request."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def served_job(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` (a Job) as the API server returns it once created and running."""
    job = copy.deepcopy(manifest)
    name = job["metadata"]["name"]
    job["metadata"].update({"uid": UID, "resourceVersion": "918273", "generation": 1,
                            "creationTimestamp": "2026-11-02T03:00:00Z",
                            "labels": {"batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": name,
                                       "controller-uid": UID, "job-name": name}})
    spec = job["spec"]
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "Failed")
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    spec["manualSelector"] = False
    spec["template"]["metadata"].setdefault("labels", {}).update(job["metadata"]["labels"])
    job["status"] = {"startTime": "2026-11-02T03:00:01Z", "active": spec.get("parallelism", 1), "ready": 0,
                     "terminating": 0, "uncountedTerminatedPods": {}}
    return job


@dataclass
class FakeKubernetes:
    """Namespaced Jobs served over HTTPS; the service-account folder a pod would have."""

    folder: Path
    namespace: str = "policycheck"
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, authorization)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def service_account(self) -> Path:
        return self.folder / "serviceaccount"

    def env(self, **extra: str) -> dict[str, str]:
        """What a pod of an Indexed Job sees, pointed at this server."""
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port),
                "POLICYCHECK_KUBERNETES_SERVICE_ACCOUNT": str(self.service_account), **extra}

    def start(self) -> None:
        ca_pem, cert_pem, key_pem = _certificates()
        self.service_account.mkdir(parents=True)
        (self.service_account / "token").write_text(TOKEN)
        (self.service_account / "namespace").write_text(self.namespace)
        (self.service_account / "ca.crt").write_bytes(ca_pem)
        (self.folder / "server.pem").write_bytes(cert_pem + key_pem)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.folder / "server.pem")
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        authorization = handler.headers.get("Authorization", "")
        self.requests.append((handler.path, authorization))
        prefix = f"/apis/batch/v1/namespaces/{self.namespace}/jobs/"
        name = handler.path.removeprefix(prefix)
        if authorization != f"Bearer {TOKEN}":
            code, body = 401, status_body(401, "Unauthorized", "Unauthorized")
        elif not handler.path.startswith(prefix) or name in self.forbidden:
            namespace = handler.path.split("/")[5] if handler.path.count("/") >= 6 else ""
            code, body = 403, status_body(403, "Forbidden", f'jobs.batch "{name}" is forbidden: User '
                                          f'"system:serviceaccount:{self.namespace}:policycheck" cannot get resource '
                                          f'"jobs" in API group "batch" in the namespace "{namespace}"')
        elif name not in self.jobs:
            code, body = 404, status_body(404, "NotFound", f'jobs.batch "{name}" not found')
        else:
            code, body = 200, self.jobs[name]
        data = json.dumps(body).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _certificates() -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate for 127.0.0.1 signed by it, server key), PEM; made fresh per test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

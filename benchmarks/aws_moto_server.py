"""A moto server that counts the HTTP requests it answers (run as a subprocess by aws_scan.py).

    python benchmarks/aws_moto_server.py PORT

It is ``python -m moto.server`` (the same WSGI app, werkzeug's threaded server) wrapped in a
middleware that counts every request by AWS service (from the SigV4 credential scope).
``GET /_bench/requests`` returns the counts as JSON (by service, and by service, method and
S3 subresource), ``POST /_bench/reset`` zeroes them; those
two paths are not counted.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class CountingMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.counts: Counter[str] = Counter()  # by AWS service
        self.operations: Counter[str] = Counter()  # by service, method and S3 subresource
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/requests":
            with self.lock:
                body = json.dumps({"services": dict(self.counts), "operations": dict(self.operations)}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path == "/_bench/reset":
            with self.lock:
                self.counts.clear()
                self.operations.clear()
            start_response("204 No Content", [])
            return [b""]
        match = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unsigned"
        query = environ.get("QUERY_STRING", "").split("&", 1)[0].split("=", 1)[0]
        with self.lock:
            self.counts[service] += 1
            self.operations[f"{service} {environ.get('REQUEST_METHOD')} {query or path}"] += 1
        return self.app(environ, start_response)


def main() -> None:
    port = int(sys.argv[1])
    app = CountingMiddleware(DomainDispatcherApplication(create_backend_app))
    run_simple("127.0.0.1", port, app, threaded=True)


if __name__ == "__main__":
    main()

"""A local AWS Config endpoint speaking Config's JSON protocol (awsJson1_1, ``StarlingDoveService.*``).

moto's Config records S3 buckets but not RDS or DynamoDB (its ``RESOURCE_MAP``), and its
``put_resource_config`` keeps custom types that BatchGet never returns. This server answers the
four reads policycheck makes from the items a test seeds, as AWS answers them: BaseConfigurationItems
without tags, at most 100 keys per BatchGet, the aggregator's filters on account and region, and
paging with NextToken. Every other service stays moto's (the client of ``config`` alone is pointed
here through ``AWS_ENDPOINT_URL_CONFIG_SERVICE``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT = "123456789012"
PAGE = 100
_REGION = re.compile(r"Credential=[^/]+/\d+/([a-z0-9-]+)/config/")


@dataclass
class ConfigService:
    """The items held (raw configuration items, as AWS Config stores them) and the requests answered."""

    url: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    aggregators: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def record(self, resource_type: str, name: str, configuration: Mapping[str, Any], *, region: str = "us-east-1",
               account: str = ACCOUNT, resource_id: str | None = None, arn: str = "",
               captured: dt.datetime | None = None, supplementary: Mapping[str, Any] | None = None,
               status: str = "OK") -> None:
        """Seed one item; configuration and supplementary values are stored as JSON strings, as Config does."""
        self.items.append({
            "version": "1.3", "accountId": account, "resourceType": resource_type,
            "resourceId": resource_id or name, "resourceName": name, "arn": arn, "awsRegion": region,
            "configurationItemStatus": status, "configurationStateId": "1",
            "configurationItemCaptureTime": (captured or dt.datetime.now(dt.UTC)).timestamp(),
            "configuration": json.dumps(configuration),
            "supplementaryConfiguration": {k: json.dumps(v) for k, v in (supplementary or {}).items()}})

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.requests]

    # -- the API --------------------------------------------------------------------------------
    def answer(self, operation: str, body: dict[str, Any], region: str) -> tuple[int, dict[str, Any]]:
        self.requests.append((operation, body))
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return 400, {"__type": "InvalidAction", "message": f"{operation} is not answered here"}
        return handler(body, region)

    def _BatchGetResourceConfig(self, body: dict[str, Any], region: str) -> tuple[int, dict[str, Any]]:
        keys = body["resourceKeys"]
        if len(keys) > PAGE:
            return 400, {"__type": "ValidationException", "message": "at most 100 resource keys"}
        wanted = {(k["resourceType"], k["resourceId"]) for k in keys}
        found = [self._base(i) for i in self.items if (i["resourceType"], i["resourceId"]) in wanted
                 and i["awsRegion"] == region and i["accountId"] == ACCOUNT]
        return 200, {"baseConfigurationItems": found, "unprocessedResourceKeys": []}

    def _ListAggregateDiscoveredResources(self, body: dict[str, Any], region: str) -> tuple[int, dict[str, Any]]:
        if body["ConfigurationAggregatorName"] not in self.aggregators:
            return 400, {"__type": "NoSuchConfigurationAggregatorException", "message": "no such aggregator"}
        filters = body.get("Filters") or {}
        limit = body.get("Limit") or PAGE
        if limit > PAGE:
            return 400, {"__type": "ValidationException", "message": "Limit at most 100"}
        matching = [i for i in self.items if i["resourceType"] == body["ResourceType"]
                    and i["configurationItemStatus"] != "ResourceDeleted"
                    and filters.get("AccountId", i["accountId"]) == i["accountId"]
                    and filters.get("Region", i["awsRegion"]) == i["awsRegion"]]
        start = int(body.get("NextToken") or 0)
        page = matching[start:start + limit]
        answer: dict[str, Any] = {"ResourceIdentifiers": [
            {"SourceAccountId": i["accountId"], "SourceRegion": i["awsRegion"], "ResourceId": i["resourceId"],
             "ResourceType": i["resourceType"], "ResourceName": i["resourceName"]} for i in page]}
        if start + limit < len(matching):
            answer["NextToken"] = str(start + limit)
        return 200, answer

    def _BatchGetAggregateResourceConfig(self, body: dict[str, Any], region: str) -> tuple[int, dict[str, Any]]:
        if body["ConfigurationAggregatorName"] not in self.aggregators:
            return 400, {"__type": "NoSuchConfigurationAggregatorException", "message": "no such aggregator"}
        identifiers = body["ResourceIdentifiers"]
        if len(identifiers) > PAGE:
            return 400, {"__type": "ValidationException", "message": "at most 100 identifiers"}
        wanted = {(i["SourceAccountId"], i["SourceRegion"], i["ResourceType"], i["ResourceId"]) for i in identifiers}
        found = [self._base(i) for i in self.items
                 if (i["accountId"], i["awsRegion"], i["resourceType"], i["resourceId"]) in wanted]
        return 200, {"BaseConfigurationItems": found, "UnprocessedResourceIdentifiers": []}

    @staticmethod
    def _base(item: dict[str, Any]) -> dict[str, Any]:
        return dict(item)  # a BaseConfigurationItem: no tags, no relationships


@contextmanager
def config_service() -> Iterator[ConfigService]:
    service = ConfigService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            match = _REGION.search(self.headers.get("Authorization", ""))
            status, answer = service.answer(operation, body, match.group(1) if match else "us-east-1")
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()

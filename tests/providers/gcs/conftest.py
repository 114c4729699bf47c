"""Fixtures: Cloud Storage JSON API servers on 127.0.0.1 and a provider pointed at them.

- ``emulator``: gcp-storage-emulator, in-process, on a port the OS picks (one per module, wiped per test);
- ``fake_gcs``: this folder's own server (fake_gcs.py) for what the emulator cannot answer;
- ``fake_crm``: a Cloud Resource Manager v3 server (fake_resource_manager.py) for organisations and folders;
- ``fake_asset``: a Cloud Asset Inventory v1 server (fake_cloud_asset.py) for ``--gcp-source inventory|auto``.

The provider reaches either through ``STORAGE_EMULATOR_HOST``, exactly as a user would.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from policycheck.model import Resource
from policycheck.provider import CollectPlan, ProviderContext

HERE = Path(__file__).parent


def _load(name: str) -> ModuleType:
    """Import a helper module of this folder (tests run with --import-mode=importlib)."""
    qualified = f"gcs_testkit_{name}"
    if qualified not in sys.modules:
        spec = importlib.util.spec_from_file_location(qualified, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return sys.modules[qualified]


fake_gcs_module = _load("fake_gcs")
fake_crm_module = _load("fake_resource_manager")
fake_asset_module = _load("fake_cloud_asset")
resources_module = _load("resources")


@pytest.fixture
def gcs_data() -> ModuleType:
    """Builders of documented resource shapes: bucket(), legacy_acl(), delete_rule(), binding()."""
    return resources_module


@pytest.fixture(autouse=True)
def _no_ambient_google_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the machine's gcloud configuration, ADC file or metadata server."""
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "STORAGE_EMULATOR_HOST",
                 "GCLOUD_PROJECT", "API_ENDPOINT_OVERRIDE", "DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # read when google-auth first looks for a metadata server


@pytest.fixture
def fake_gcs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server = fake_gcs_module.FakeGcs()
    url = server.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    yield server
    server.stop()


@pytest.fixture
def fake_crm() -> Iterator[Any]:
    """Cloud Resource Manager v3 on 127.0.0.1; point ``resource_manager_endpoint`` at its ``url``."""
    server = fake_crm_module.FakeResourceManager()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_asset() -> Iterator[Any]:
    """Cloud Asset Inventory v1 on 127.0.0.1; point ``asset_endpoint`` at its ``url``."""
    server = fake_asset_module.FakeCloudAsset()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def _emulator_server() -> Iterator[tuple[Any, str]]:
    from gcp_storage_emulator.server import create_server

    server = create_server("127.0.0.1", 0, in_memory=True)  # port 0: the OS picks a free one as it binds,
    server.start()                                           # so parallel pytest-xdist workers never share one
    port = server._api._httpd.server_port  # the emulator has no public accessor for the bound port
    yield server, f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def emulator(_emulator_server: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The emulator's URL, empty, with STORAGE_EMULATOR_HOST pointing at it."""
    server, url = _emulator_server
    server.wipe()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)
    yield url
    server.wipe()


@pytest.fixture
def collect() -> Callable[..., list[Resource]]:
    """collect(config, needs=None, context=None, load=False) -> resources of a GcsProvider.

    ``load`` runs every pending lazy group, as ``policycheck collect`` does.
    """
    from policycheck.providers.gcs import GcsProvider

    def run(config: dict[str, Any], needs: dict[str, frozenset[str]] | None = None,
            context: ProviderContext | None = None, load: bool = False, **plan: Any) -> list[Resource]:
        provider = GcsProvider(config, context or ProviderContext())
        resources = list(provider.collect(CollectPlan(needs=needs, **plan)))
        if load:
            for resource in resources:
                resource.load()
        return resources

    return run


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


@pytest.fixture
def named() -> Callable[[list[Resource]], dict[str, Resource]]:
    return by_name

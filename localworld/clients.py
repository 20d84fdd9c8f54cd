"""boto3 clients shared by every world in the process.

One session: it caches the service models, whose loading costs more than most calls (and
``mock_aws`` resets ``boto3.DEFAULT_SESSION`` at each start). One client per service and region:
building one costs 5-50 ms (botocore makes a class per service), and a client holds nothing of a
world's own: moto intercepts its requests and the keys are the fake ones. boto3 clients are
thread-safe; sessions are not, so clients are only made under ``SESSION_LOCK``.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

SESSION_LOCK = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, str], Any] = {}


def shared_session() -> boto3.session.Session:
    global _session
    with SESSION_LOCK:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def shared_client(service: str, region: str) -> Any:
    """Our own client for ``service`` (default botocore config)."""
    session = shared_session()
    with SESSION_LOCK:
        if (service, region) not in _clients:
            _clients[service, region] = session.client(service, region_name=region)  # type: ignore[call-overload]
        return _clients[service, region]


class CachingBoto3:
    """Stands in for ``boto3`` inside moto's ``asl.utils.boto_client`` module, whose
    ``boto_client_for`` builds a new client for every Task state: one client per service+region.
    moto passes the same fake keys and Config (no retries, no parameter validation) every time,
    so service and region decide the rest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, *, service_name: str, region_name: str, **kwargs: Any) -> Any:
        key = (service_name, region_name)
        with self._lock:
            if key not in self._clients:
                session = shared_session()
                with SESSION_LOCK:
                    self._clients[key] = session.client(  # type: ignore[call-overload]
                        service_name=service_name, region_name=region_name, **kwargs
                    )
            return self._clients[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(boto3, name)


INTERPRETER_BOTO3 = CachingBoto3()

"""The HTTP session the push sender uses: it connects only to addresses the guard vetted
(`pin`), keeps the endpoint's name for the Host header, TLS SNI and certificate check, never
follows a redirect, and ignores proxy settings from the environment (a proxy would resolve
the name again)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

from backend.push.guard import Address


class NotVetted(requests.ConnectionError):
    """A request to a host the guard has not vetted in this session."""


class PinnedAdapter(HTTPAdapter):
    def __init__(self, pool_maxsize: int) -> None:
        super().__init__(pool_maxsize=pool_maxsize, max_retries=0)
        self.pins: dict[str, Address] = {}
        self.lock = threading.Lock()

    def pin(self, host: str, address: Address) -> None:
        with self.lock:
            self.pins[host.lower()] = address

    def pinned(self, host: str) -> Address | None:
        with self.lock:
            return self.pins.get(host.lower())

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> HTTPConnectionPool:
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        name = str(host_params["host"])
        address = self.pinned(name)
        if address is None:
            raise NotVetted(f"{name} was not vetted", request=request)
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": name}
        return self.poolmanager.connection_from_host(
            scheme=host_params["scheme"], host=str(address), port=host_params["port"], pool_kwargs=pool_kwargs
        )

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # The pool's host is the address: name the server as the URL does.
        request.headers["Host"] = urlsplit(request.url).netloc


class PushSession(requests.Session):
    def __init__(self, pool_maxsize: int = 10) -> None:
        super().__init__()
        self.trust_env = False
        self.adapter = PinnedAdapter(pool_maxsize)
        self.mount("https://", self.adapter)
        self.mount("http://", self.adapter)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        # A 3xx comes back as the answer; its Location is never called.
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)

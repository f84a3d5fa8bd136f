"""Every link the LMS hands out (emails, printed links, PDFs, QR codes) is built here, from
the configured public address alone.

A request's Host or X-Forwarded-Host is never used: anyone can send any Host, and a password
reset link that followed it would hand the reset token to whoever set the header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class BaseURLMissing(RuntimeError):
    """Raised when a link is needed but LMS_BASE_URL is not set."""

    def __init__(self) -> None:
        super().__init__(
            "LMS_BASE_URL is not set: set it to the address people open the LMS on "
            "(for example https://training.example.org), in the environment or in instance/lms.toml"
        )


def check_base_url(value: str) -> str:
    """The address without a trailing slash, or ValueError saying what is wrong with it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"LMS_BASE_URL must be an http:// or https:// address, not {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"LMS_BASE_URL must be a plain address with no query, fragment or password, not {value!r}")
    return value.strip().rstrip("/")


def trusted_hosts(base_url: str, extra: str | list[str]) -> list[str]:
    """The Host names requests may use: the base URL's, the local ones and LMS_TRUSTED_HOSTS."""
    hosts = list(LOCAL_HOSTS)
    if base_url:
        hosts.insert(0, urlsplit(base_url).hostname)
    listed = extra.split(",") if isinstance(extra, str) else extra
    hosts += [h.strip().lower() for h in listed if h.strip()]
    return list(dict.fromkeys(hosts))


def base_url(app: Flask | None = None) -> str:
    value = (app or current_app).config["BASE_URL"]
    if not value:
        raise BaseURLMissing()
    return value.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` under LMS_BASE_URL, inside a request or not."""
    app = current_app._get_current_object()
    parts = urlsplit(base_url(app))
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)

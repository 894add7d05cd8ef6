"""Settings from the environment (prefix ``JUNHENG_``), so several workers share one config."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[3]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JUNHENG_", extra="ignore")

    database_url: str | None = None
    # Signs the session cookie. Every worker behind a load balancer must share it; without one
    # set, a random key is made per process (fine for one worker, logs everyone out on restart).
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    session_lifetime_minutes: int = 8 * 60
    # Each worker keeps a session it read from the database this many seconds, so a cached
    # page costs no query. Logging out or resetting a password takes effect at once in the
    # worker that did it, and in the others within this time. 0: read every request.
    session_cache_seconds: float = 2.0
    # Secure cookies need https; set true whenever the site is served over https.
    cookie_secure: bool = False
    assets_dir: Path = _REPO_ROOT / "web-assets" / "node_modules"
    default_language: str = "zh"
    # Login throttling, per (account, client): a client is an address, or a browser holding the
    # device cookie of an earlier successful login to that account. After the free failures,
    # each further one doubles the wait (base, 2×base, 4×base, ... up to the maximum), so one
    # guessing client never locks the account for anyone else.
    throttle_window_minutes: int = 60
    throttle_free_failures: int = 3
    throttle_backoff_base_seconds: float = 2.0
    throttle_backoff_max_seconds: float = 15 * 60
    # One address guessing many accounts is slowed the same way past this many failures.
    throttle_max_failures_per_ip: int = 20
    # This many failures for one account within the window (all clients together) is an
    # attack: a WARNING log line, one audit entry per account and window, a notice on the
    # audit page.
    throttle_alert_failures: int = 20
    # Addresses (or networks, CIDR) of reverse proxies whose X-Forwarded-For is believed.
    # Empty: the header is ignored and the connection's address is the client's.
    trusted_proxies: list[str] = []
    # Cached pages and evaluations per worker, least recently used dropped first.
    cache_max_entries: int = 256
    upload_max_bytes: int = 20 * 1024 * 1024
    # Request bodies are counted as they arrive and refused (413) past this size; only a
    # signed-in importer posting to the upload route may send up to upload_max_bytes (plus
    # the form's own overhead). Nothing larger is spooled to disk.
    request_max_bytes: int = 1024 * 1024
    # Workbook checks run in worker threads, at most this many at once per worker process;
    # a further upload is answered 503 "busy" at once rather than queued without bound.
    upload_check_slots: int = 2
    # Staged uploads (the file, with unmasked personal data, and its problems) are deleted
    # this many hours after upload; their content as soon as they are imported or cancelled.
    upload_retention_hours: float = 24.0
    standard_id: str = "quality-balance-2017"
    # Upper bound on how stale a cached evaluation may be when data is changed by another
    # process that does not bump the data version (e.g. ``junheng import`` on the command line).
    cache_ttl_seconds: int = 300
    # How often a worker asks the database whether the data changed. The worker that makes a
    # change sees it at once; the others within this many seconds.
    data_version_check_seconds: float = 1.0


@lru_cache
def get_settings() -> Settings:
    return Settings()

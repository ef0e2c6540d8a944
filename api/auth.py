"""
API keys for the ingest endpoints: created, listed and revoked with ``kaiteki keys``.

A key is ``kt_<key_id>_<secret>``; only its SHA-256 digest is stored (table ``api_keys`` of the
store, migration 2), so a stolen store file does not reveal usable keys. Checking a key looks
up its ``key_id`` and compares digests in constant time (:func:`hmac.compare_digest`).

The server checks keys against a :class:`KeyCache`, never the store itself on each request:
digests are re-read (read-only) at most every ``KAITEKI_KEY_REFRESH_S`` seconds, so a revoked
key is refused within that time; an unknown key id triggers an early re-read at most once per
``KAITEKI_KEY_RECHECK_S`` seconds per process, so a flood of made-up keys cannot keep the store
locked. Use times are collected in memory and written by the spool writer in batches
(``last_used_at`` is therefore up to ``KAITEKI_LAST_USED_FLUSH_S`` seconds late).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from api.errors import AuthError, BadRequestError, NotFoundError
from api.snapshot import StoreSnapshot
from sensors.store import Store

_PREFIX = "kt_"


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: the secret is shown once and never stored."""

    key_id: str
    name: str
    secret: str


def digest(secret: str) -> str:
    """
    SHA-256 hex digest of a key.

    Examples
    --------
    >>> digest("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key_id(secret: str) -> str | None:
    if not secret.startswith(_PREFIX):
        return None
    key_id, sep, _ = secret[len(_PREFIX) :].partition("_")
    return key_id if sep and key_id else None


def create_key(store_path: Path | str, name: str, wait_s: float = 0.0) -> NewKey:
    """
    Create an API key named ``name`` and store its digest (waiting up to ``wait_s`` seconds
    while another process holds the store).

    Returns
    -------
    NewKey
        ``secret`` is the key to hand to the client; it cannot be shown again.
    """
    name = name.strip()
    if not name:
        raise BadRequestError("a key needs a non-empty name (who or what uses it)")
    key_id = secrets.token_hex(4)
    secret = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
    with Store(store_path, wait_s=wait_s) as store:
        store.con.execute(
            "INSERT INTO api_keys (key_id, name, sha256) VALUES (?, ?, ?)",
            [key_id, name, digest(secret)],
        )
    return NewKey(key_id, name, secret)


def list_keys(store_path: Path | str, wait_s: float = 0.0) -> pd.DataFrame:
    """Every key: ``key_id``, ``name``, ``created_at``, ``revoked_at``, ``last_used_at``."""
    with Store(store_path, wait_s=wait_s) as store:
        return store.query(
            "SELECT key_id, name, created_at, revoked_at, last_used_at FROM api_keys "
            "ORDER BY created_at"
        )


def revoke_key(store_path: Path | str, key_id: str, wait_s: float = 0.0) -> None:
    """
    Revoke a key by its id; requests with it get 401 once the server's key cache is refreshed
    (within ``KAITEKI_KEY_REFRESH_S`` seconds).

    Raises
    ------
    NotFoundError
        No key has this id.
    """
    with Store(store_path, wait_s=wait_s) as store:
        row = store.con.execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, current_timestamp) "
            "WHERE key_id = ? RETURNING key_id",
            [key_id],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no API key with id {key_id!r}; `kaiteki keys list` shows the ids")


def _check(key_id: str, secret: str, row: tuple[str, bool] | None) -> str:
    if row is None or not hmac.compare_digest(row[0], digest(secret)):
        raise AuthError("unknown API key; create one with `kaiteki keys create NAME`")
    if row[1]:
        raise AuthError(f"API key {key_id} was revoked; create a new one")
    return key_id


def _parse(secret: str) -> str:
    key_id = _key_id(secret)
    if key_id is None:
        raise AuthError(
            "malformed API key: expected kt_<id>_<secret> as printed by `kaiteki keys create`"
        )
    return key_id


def verify_key(store_path: Path | str, secret: str, wait_s: float = 0.0) -> str:
    """
    The key id of a valid, unrevoked key, checked against the store itself (read-only).

    Raises
    ------
    AuthError
        The key is malformed, unknown or revoked.
    """
    key_id = _parse(secret)
    with Store(store_path, read_only=True, wait_s=wait_s) as store:
        row = store.con.execute(
            "SELECT sha256, revoked_at IS NOT NULL FROM api_keys WHERE key_id = ?", [key_id]
        ).fetchone()
    return _check(key_id, secret, None if row is None else (str(row[0]), bool(row[1])))


def _read_keys(store: Store) -> dict[str, tuple[str, bool]]:
    rows = store.con.execute(
        "SELECT key_id, sha256, revoked_at IS NOT NULL FROM api_keys"
    ).fetchall()
    return {str(k): (str(d), bool(r)) for k, d, r in rows}


class KeyCache:
    """
    API key digests of a store, in memory, and the use times still to be written.

    Parameters
    ----------
    store_path
        The store holding ``api_keys``.
    refresh_s
        Age (s) after which the digests are re-read (read-only); revocation takes effect
        within this time.
    recheck_s
        Least time (s) between early re-reads caused by unknown key ids (process-wide).
    """

    def __init__(self, store_path: Path | str, refresh_s: float, recheck_s: float) -> None:
        self.snapshot: StoreSnapshot[dict[str, tuple[str, bool]]] = StoreSnapshot(
            store_path, _read_keys, {}, refresh_s
        )
        self.recheck_s = recheck_s
        self._last_recheck = float("-inf")
        self._used: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def verify(self, secret: str) -> str:
        """
        The key id of a valid, unrevoked key; records its use.

        Raises
        ------
        AuthError
            The key is malformed, unknown or revoked (HTTP 401).
        api.errors.StoreBusyError
            The keys have never been read and the store is busy (HTTP 503).
        """
        key_id = _parse(secret)
        keys = self.snapshot.get()
        if key_id not in keys:
            now = time.monotonic()
            with self._lock:
                recheck = now - self._last_recheck >= self.recheck_s
                if recheck:
                    self._last_recheck = now
            if recheck:
                keys = self.snapshot.get(max_age_s=0.0)
        _check(key_id, secret, keys.get(key_id))
        with self._lock:
            self._used[key_id] = dt.datetime.now(dt.UTC)
        return key_id

    def take_used(self) -> dict[str, dt.datetime]:
        """The last use time of each key since the previous call (then forgotten)."""
        with self._lock:
            used, self._used = self._used, {}
        return used

"""
API keys for the ingest endpoints: created, listed and revoked with ``kaiteki keys``.

A key is ``kt_<key_id>_<secret>``; only its SHA-256 digest is stored (table ``api_keys`` of the
store, migration 2), so a stolen store file does not reveal usable keys. Checking a key looks
up its ``key_id`` and compares digests in constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from api.errors import AuthError, BadRequestError, NotFoundError
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


def create_key(store_path: Path | str, name: str) -> NewKey:
    """
    Create an API key named ``name`` and store its digest.

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
    with Store(store_path) as store:
        store.con.execute(
            "INSERT INTO api_keys (key_id, name, sha256) VALUES (?, ?, ?)",
            [key_id, name, digest(secret)],
        )
    return NewKey(key_id, name, secret)


def list_keys(store_path: Path | str) -> pd.DataFrame:
    """Every key: ``key_id``, ``name``, ``created_at``, ``revoked_at``, ``last_used_at``."""
    with Store(store_path) as store:
        return store.query(
            "SELECT key_id, name, created_at, revoked_at, last_used_at FROM api_keys "
            "ORDER BY created_at"
        )


def revoke_key(store_path: Path | str, key_id: str) -> None:
    """
    Revoke a key by its id; requests with it then get 401.

    Raises
    ------
    NotFoundError
        No key has this id.
    """
    with Store(store_path) as store:
        row = store.con.execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, current_timestamp) "
            "WHERE key_id = ? RETURNING key_id",
            [key_id],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no API key with id {key_id!r}; `kaiteki keys list` shows the ids")


def verify_key(store_path: Path | str, secret: str) -> str:
    """
    The key id of a valid, unrevoked key.

    Raises
    ------
    AuthError
        The key is malformed, unknown or revoked.
    """
    key_id = _key_id(secret)
    if key_id is None:
        raise AuthError(
            "malformed API key: expected kt_<id>_<secret> as printed by `kaiteki keys create`"
        )
    with Store(store_path) as store:
        row = store.con.execute(
            "SELECT sha256, revoked_at FROM api_keys WHERE key_id = ?", [key_id]
        ).fetchone()
        if row is None or not hmac.compare_digest(row[0], digest(secret)):
            raise AuthError("unknown API key; create one with `kaiteki keys create NAME`")
        if row[1] is not None:
            raise AuthError(f"API key {key_id} was revoked; create a new one")
        store.con.execute(
            "UPDATE api_keys SET last_used_at = current_timestamp WHERE key_id = ?", [key_id]
        )
    return key_id

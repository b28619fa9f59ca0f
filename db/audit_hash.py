"""The audit hash chain's link function, kept free of model imports so migrations can use it as is.

A link is SHA-256 over the canonical JSON of the event's content and the previous link's hash. The
format must never change once rows are written: ``verify-audit`` recomputes every link with it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any, Optional

GENESIS = "0" * 64


def utc_text(moment: datetime) -> str:
    """A timestamp as the chain hashes it: UTC, microseconds (SQLite returns it without its zone)."""
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def link_hash(
    *, chain_id: int, seq: int, at: datetime, user_id: Optional[int], action: str, entity: str, entity_id: Optional[int],
    initiative_id: Optional[int], before: Optional[dict], after: Optional[dict], prev_hash: str,
) -> str:
    """The hash of one audit event, chained to the one before, over canonical JSON the migrations agree on."""
    content = {
        "chain_id": chain_id, "seq": seq, "at": utc_text(at), "user_id": user_id, "action": action, "entity": entity,
        "entity_id": entity_id, "initiative_id": initiative_id, "before": before, "after": after,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()

"""A fair, recomputable draw: a secret seed committed to in advance orders a list of entries.

The procedure (what the audit pages publish, so anyone can check a draw):

1. Before entries open, a random ``seed`` is chosen (``new_seed``: 32 random bytes written as 64
   lowercase hex characters) and only its commitment is published:
   ``commitment = SHA-256(UTF-8 bytes of seed)``, as 64 lowercase hex characters.
2. After entries close the seed is published with the entry ids. Check
   ``sha256(seed.encode("utf-8")).hexdigest() == commitment``.
3. For each entry id (a positive integer), its key is
   ``SHA-256(UTF-8 bytes of seed + ":" + decimal id)`` as lowercase hex — e.g. seed ``"ab12"`` and
   entry 7 hash the 7 bytes ``ab12:7`` (``printf 'ab12:7' | sha256sum``).
4. The draw order is the entries sorted by key ascending (as hex strings — the same as comparing the
   digests as 256-bit numbers); equal keys (never seen in practice) fall back to the smaller id.
   The first in that order is drawn first (rank 1).

The order depends only on the seed and the set of ids — not on the order the ids are given in — and
nobody, the organiser included, can steer it once the commitment is out without the hash showing it.
This module imports nothing from the domain: launches' raffles and lucky draws both use it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

SEPARATOR = ":"


def new_seed() -> str:
    """A fresh secret seed: 256 bits from the OS's CSPRNG, as 64 lowercase hex characters."""
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    """What is published before the draw: SHA-256 of the seed's UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def entry_key(seed: str, entry_id: int) -> str:
    """One entry's place-deciding key: SHA-256 of ``f"{seed}:{entry_id}"`` in UTF-8, lowercase hex."""
    return hashlib.sha256(f"{seed}{SEPARATOR}{int(entry_id)}".encode()).hexdigest()


def draw_order(seed: str, entry_ids: Iterable[int]) -> list[int]:
    """The entry ids in draw order (first drawn first): by ``entry_key`` ascending, then by id.
    Duplicate ids are refused — each entry is drawn once."""
    ids = [int(entry_id) for entry_id in entry_ids]
    if len(set(ids)) != len(ids):
        raise ValueError("an entry id appears twice")
    return sorted(ids, key=lambda entry_id: (entry_key(seed, entry_id), entry_id))


def verify(seed: str, published_commitment: str) -> bool:
    """Whether the revealed seed is the one committed to."""
    return secrets.compare_digest(commitment(seed), published_commitment.lower())


#: shown on audit pages: the procedure in a few lines anyone can run
RECOMPUTE_SNIPPET = '''import hashlib

seed = "{seed}"
commitment = "{commitment}"
entry_ids = {entry_ids}

assert hashlib.sha256(seed.encode("utf-8")).hexdigest() == commitment

def key(entry_id):
    return hashlib.sha256(f"{{seed}}:{{entry_id}}".encode("utf-8")).hexdigest()

order = sorted(entry_ids, key=lambda i: (key(i), i))
print("draw order:", order)
print("winners:", order[:{slots}])'''


def recompute_snippet(seed: str, entry_ids: list[int], slots: int) -> str:
    """The Python an auditor pastes to recompute this draw."""
    return RECOMPUTE_SNIPPET.format(seed=seed, commitment=commitment(seed), entry_ids=list(entry_ids),
                                    slots=slots)

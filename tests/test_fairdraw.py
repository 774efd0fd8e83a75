"""The fair draw is a pure function of the seed and the set of entries: the same inputs give the same
order, every entry appears once, the order the entries come in changes nothing, and the published
recipe (``sha256sum`` over ``seed:id``) gives the same order."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import fairdraw

seeds = st.text(min_size=1, max_size=80)
entry_sets = st.sets(st.integers(1, 10**9), max_size=60)


@given(seeds, entry_sets)
def test_the_same_seed_and_entries_always_give_the_same_order(seed, ids):
    assert fairdraw.draw_order(seed, ids) == fairdraw.draw_order(seed, list(ids))


@given(seeds, entry_sets)
def test_the_draw_order_is_a_permutation_of_the_entries(seed, ids):
    order = fairdraw.draw_order(seed, ids)
    assert sorted(order) == sorted(ids) and len(order) == len(ids)


@given(seeds, entry_sets, st.randoms())
def test_the_order_the_entries_are_listed_in_changes_nothing(seed, ids, rnd):
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert fairdraw.draw_order(seed, shuffled) == fairdraw.draw_order(seed, sorted(ids))


def test_an_entry_key_is_the_sha256_of_seed_colon_id_in_utf8():
    assert fairdraw.entry_key("ab12", 7) == hashlib.sha256(b"ab12:7").hexdigest()
    assert fairdraw.entry_key("种子", 7) == hashlib.sha256("种子:7".encode()).hexdigest()


def test_a_different_seed_gives_a_different_order():
    ids = list(range(1, 41))
    assert fairdraw.draw_order("one", ids) != fairdraw.draw_order("two", ids)


def test_a_new_seed_is_secret_random_hex_and_its_commitment_verifies_only_it():
    seed = fairdraw.new_seed()
    assert len(seed) == 64 and int(seed, 16) >= 0 and seed != fairdraw.new_seed()
    published = fairdraw.commitment(seed)
    assert published == hashlib.sha256(seed.encode()).hexdigest()
    assert fairdraw.verify(seed, published) and not fairdraw.verify(seed + "0", published)


def test_an_entry_listed_twice_is_refused():
    with pytest.raises(ValueError):
        fairdraw.draw_order("seed", [1, 2, 1])


def test_the_snippet_shown_to_auditors_recomputes_the_same_winners(capsys):
    seed, ids = fairdraw.new_seed(), random.sample(range(1, 500), 25)
    exec(fairdraw.recompute_snippet(seed, sorted(ids), 5), {})  # noqa: S102 - our own snippet, as an auditor runs it
    printed = capsys.readouterr().out.splitlines()
    order = fairdraw.draw_order(seed, ids)
    assert printed == [f"draw order: {order}", f"winners: {order[:5]}"]

"""Training claims: one training per user in flight across processes, on both engines."""
from __future__ import annotations

from storage.files import write_atomic


def test_one_claim_at_a_time_until_released(store):
    store.ensure_user(1)
    assert store.claim_training(1, "worker-a", ttl_s=60)
    assert not store.claim_training(1, "worker-b", ttl_s=60)
    store.release_training(1, "worker-b")            # not b's claim: nothing happens
    assert not store.claim_training(1, "worker-b", ttl_s=60)
    store.release_training(1, "worker-a")
    assert store.claim_training(1, "worker-b", ttl_s=60)


def test_two_storages_racing_for_one_user_give_one_winner(store, open_store, clock):
    store.ensure_user(1)
    other = open_store(clock=clock)
    assert [store.claim_training(1, "a", 60), other.claim_training(1, "b", 60)] == [True, False]


def test_an_expired_claim_is_taken_over_and_its_owner_cannot_register(store, clock):
    store.ensure_user(1)
    assert store.claim_training(1, "killed-worker", ttl_s=60)
    clock.advance(61)
    assert store.claim_training(1, "next-worker", ttl_s=60)
    model = store.model_dir(1) / "model-1.npz"
    write_atomic(model, b"w")
    assert store.register_model(1, model, {}, 3, claim="killed-worker") is None
    assert store.latest_model(1) is None
    assert store.register_model(1, model, {}, 3, claim="next-worker").path == model


def test_an_unknown_or_erased_user_cannot_be_claimed_nor_registered(store):
    assert not store.claim_training(7, "w", ttl_s=60)
    assert store.get_user(7) is None                 # claiming did not create the user
    store.ensure_user(1)
    assert store.claim_training(1, "w", ttl_s=60)
    revision = store.user_revisions(1)["model"]
    store.erase_user(1)                              # /logout while the worker trains
    assert store.register_model(1, store.model_dir(1) / "m.npz", {}, 3, claim="w") is None
    assert store.get_user(1) is None and store.latest_model(1) is None
    assert store.user_revisions(1)["model"] == revision == 0

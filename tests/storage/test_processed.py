"""Processed update keys: claimed once per transaction, rolled back with it, replies appended
in order, old keys pruned. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from storage import processed
from storage.engine import Database

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def test_a_key_is_claimed_once(db: Database) -> None:
    assert db.call(processed.claim, "m:1:2", at=AT)
    assert not db.call(processed.claim, "m:1:2", at=AT)
    assert db.call(processed.claim, "m:1:3", at=AT)
    assert db.call(processed.claim, "e:1:2:1764151200", at=AT)


def test_a_rolled_back_claim_leaves_the_key_free(db: Database) -> None:
    def claim_then_fail(conn: Connection) -> None:
        assert processed.claim(conn, "cb:99", at=AT)
        raise Boom

    with pytest.raises(Boom):
        db.call(claim_then_fail)
    assert db.call(processed.claim, "cb:99", at=AT)


def test_replies_are_kept_in_order_only_for_claimed_keys(db: Database) -> None:
    assert not db.call(processed.add_reply, "m:1:2", "never claimed")
    assert db.call(processed.replies, "m:1:2") == ()
    db.call(processed.claim, "m:1:2", at=AT)
    assert db.call(processed.replies, "m:1:2") == ()
    assert db.call(processed.add_reply, "m:1:2", "✓ one-to-one\nline two")
    assert db.call(processed.add_reply, "m:1:2", "second")
    assert db.call(processed.replies, "m:1:2") == ("✓ one-to-one\nline two", "second")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.text(
            st.characters(exclude_characters=processed.SEPARATOR, exclude_categories=("Cs",)),
            min_size=1,
        ).filter(lambda t: "\x00" not in t),
        min_size=1,
        max_size=4,
    )
)
def test_any_replies_come_back_as_stored(texts: list[str], db: Database) -> None:
    db.call(processed.prune, before=AT + timedelta(days=1))  # each example starts afresh
    db.call(processed.claim, "m:5:6", at=AT)
    for text in texts:
        db.call(processed.add_reply, "m:5:6", text)
    assert db.call(processed.replies, "m:5:6") == tuple(texts)


def test_prune_forgets_keys_processed_before_the_cut(db: Database) -> None:
    for days, key in ((10, "m:1:1"), (8, "m:1:2"), (6, "m:1:3"), (0, "m:1:4")):
        db.call(processed.claim, key, at=AT - timedelta(days=days))
    assert db.call(processed.prune, before=AT - timedelta(days=7)) == 2
    assert db.call(processed.claim, "m:1:1", at=AT)  # forgotten: free again
    assert not db.call(processed.claim, "m:1:3", at=AT)
    assert not db.call(processed.claim, "m:1:4", at=AT)
    assert db.call(processed.prune, before=AT - timedelta(days=30)) == 0

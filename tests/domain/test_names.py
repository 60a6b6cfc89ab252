"""Tests for organiser_bot.domain.names: people listed together are told apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.names import distinct_names, isolated, name_key

Person = tuple[int, str, str | None]


def test_unique_names_are_kept_as_they_are() -> None:
    people: list[Person] = [(1, "Sam Murphy", "sam"), (2, "علي حسن", None), (3, "Zoë 🌟", None)]
    assert distinct_names(people) == {1: "Sam Murphy", 2: "علي حسن", 3: "Zoë 🌟"}


def test_equal_names_get_their_usernames() -> None:
    labels = distinct_names([(7, "Sam Murphy", "sam_m"), (3, "Sam Murphy", "@smurphy")])
    assert labels == {7: "Sam Murphy (@sam_m)", 3: "Sam Murphy (@smurphy)"}


def test_names_compare_case_free_normalised_and_whitespace_collapsed() -> None:
    labels = distinct_names(
        [(1, "Sam  Murphy", None), (2, "sam murphy ", None), (3, "ＳＡＭ MURPHY", None)]
    )
    assert labels == {1: "Sam  Murphy (1)", 2: "sam murphy  (2)", 3: "ＳＡＭ MURPHY (3)"}
    assert name_key("ＳＡＭ\tMurphy ") == "sam murphy"


def test_without_a_username_the_place_by_person_id_is_the_suffix() -> None:
    labels = distinct_names(
        [(20, "Sam Murphy", None), (5, "Sam Murphy", "sam"), (9, "Sam Murphy", None)]
    )
    assert labels == {5: "Sam Murphy (@sam)", 9: "Sam Murphy (2)", 20: "Sam Murphy (3)"}


def test_a_username_two_of_them_hold_is_no_use() -> None:
    # One changed their username without writing to the bot since: both rows still hold it.
    labels = distinct_names([(1, "Sam", "sam"), (2, "Sam", "SAM"), (3, "Sam", "other")])
    assert labels == {1: "Sam (1)", 2: "Sam (2)", 3: "Sam (@other)"}


def test_a_label_that_is_someone_elses_name_moves_on() -> None:
    labels = distinct_names([(1, "Sam", None), (2, "Sam", None), (3, "Sam (2)", None)])
    assert labels == {1: "Sam (1)", 2: "Sam (3)", 3: "Sam (2)"}
    labels = distinct_names([(1, "Sam", "sam"), (2, "Sam", None), (3, "Sam (@sam)", None)])
    assert labels[1] == "Sam (1)" and labels[3] == "Sam (@sam)"


def test_a_person_given_twice_counts_once() -> None:
    assert distinct_names([(1, "Sam", None), (1, "Sam", None)]) == {1: "Sam"}


_names = st.sampled_from(["Sam", "sam", "Sam (2)", "Sam (@a)", "علي", "Ali 🌟", "", " "]) | st.text(
    max_size=8
)
_people = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        _names,
        st.none() | st.sampled_from(["a", "@a", "b", "A", "sam"]),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(people=_people)
def test_labels_are_distinct_and_cover_everyone(people: list[Person]) -> None:
    labels = distinct_names(people)
    assert set(labels) == {p[0] for p in people}
    assert len({name_key(label) for label in labels.values()}) == len(labels)
    first = {p[0]: p[1] for p in reversed(people)}
    assert all(label.startswith(first[pid]) for pid, label in labels.items())


@settings(max_examples=400, deadline=None)
@given(people=_people, extra=_names, extra_id=st.integers(min_value=41, max_value=80))
def test_labels_are_stable_when_unrelated_people_are_added(
    people: list[Person], extra: str, extra_id: int
) -> None:
    before = distinct_names(people)
    known = {name_key(p[1]) for p in people} | {name_key(v) for v in before.values()}
    if name_key(extra) in known:
        return
    after = distinct_names([*people, (extra_id, extra, None)])
    assert after[extra_id] == extra
    assert {pid: after[pid] for pid in before} == before


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200f", "\u200e", "\u00ad", "\u2060", "\ufeff", "\u2068"]
)
def test_names_differing_by_an_invisible_character_are_told_apart(invisible: str) -> None:
    plain, marked = "Sam Murphy", f"Sam{invisible} Murphy"
    assert name_key(plain) == name_key(marked)
    labels = distinct_names([(1, plain, None), (2, marked, None)])
    assert name_key(labels[1]) != name_key(labels[2]), labels


@pytest.mark.parametrize(
    ("name", "wrapped"),
    [("علي حسن", True), ("שרה כהן", True), ("Zoë 王", False), ("Sam (@sam_m)", False)],
)
def test_right_to_left_names_are_isolated_and_others_left_alone(name: str, wrapped: bool) -> None:
    shown = isolated(name)
    assert shown == (f"\u2068{name}\u2069" if wrapped else name)

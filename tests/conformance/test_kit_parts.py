"""The kit's own building blocks: ID families that follow the ID rule, large samples, bounded shrinking."""

from __future__ import annotations

import pytest
from hypothesis.internal.conjecture import engine

from persist_core import codec
from persist_core.ids import MAX_ID_LENGTH, check_id
from persist_core.testing.idfamilies import CASE, ID_PUNCTUATION, LONGEST, PREFIXES, PUNCTUATION, IdFamily
from persist_core.testing.profiles import bounded_shrinking
from persist_core.testing.samples import LARGE_RECORD, large_container, large_sandbox


@pytest.mark.parametrize("family", [PREFIXES, CASE, PUNCTUATION, LONGEST], ids=lambda family: family.name)
def test_every_family_is_valid_and_distinct(family: IdFamily) -> None:
    assert len(family.ids) >= 4
    assert len(set(family.ids)) == len(family.ids)
    for sandbox_id in family.ids:
        check_id(sandbox_id)


def test_punctuation_is_asked_of_the_id_rule() -> None:
    assert set(ID_PUNCTUATION) == set("_.+-")  # today's rule; "/", " " and "\\" never


def test_families_follow_the_id_rule() -> None:
    assert max(map(len, LONGEST.ids)) == MAX_ID_LENGTH
    assert len({sandbox_id.lower() for sandbox_id in CASE.ids}) == 1
    for mark in ID_PUNCTUATION:
        assert any(mark in sandbox_id for sandbox_id in PUNCTUATION.ids), f"no ID holds {mark!r}"
    assert all(a in PREFIXES.ids for a in ("a", "ab", "a.b", "a-1", "a_"))


def test_large_samples_exceed_a_mebibyte() -> None:
    assert len(codec.dumps(large_sandbox("sb"))) > LARGE_RECORD
    assert len(codec.dumps(large_container("c"))) > LARGE_RECORD


def test_bounded_shrinking_lowers_hypothesis_limit_and_restores_it() -> None:
    before = engine.MAX_SHRINKING_SECONDS
    seen: list[int] = []

    def failing_kit_test() -> None:
        with bounded_shrinking(3):
            seen.append(engine.MAX_SHRINKING_SECONDS)
            raise RuntimeError("the test failed")

    with pytest.raises(RuntimeError):
        failing_kit_test()
    assert seen == [3]
    assert before == engine.MAX_SHRINKING_SECONDS

"""Filters, weights, encoding and the minimum-data rules of local training (reference §5, §6)."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_reconcile.local import seams
from personalize_reconcile.local.training import TrainingFailed
from personalize_reconcile.local.training.data import check_minimum, encode, prepare


def _columns(n_users: int, per_user: int, types=("click",), values=None) -> dict:
    users, items, kinds, stamps = [], [], [], []
    for u in range(n_users):
        for k in range(per_user):
            users.append(f"u{u}")
            items.append(f"i{(u + k) % 50}")
            kinds.append(types[k % len(types)])
            stamps.append(1_600_000_000 + u * 100 + k)
    cols = {
        "USER_ID": np.array(users, dtype=object),
        "ITEM_ID": np.array(items, dtype=object),
        "EVENT_TYPE": np.array(kinds, dtype=object),
        "TIMESTAMP": np.array(stamps, dtype=np.int64),
    }
    if values is not None:
        cols["EVENT_VALUE"] = np.resize(np.asarray(values, dtype=np.float64), len(users))
    return cols


def test_encode_codes_ids_by_sorted_order():
    inter = encode(
        np.array(["b", "a", "b"], dtype=object),
        np.array(["y", "x", "x"]),
        np.array([3, 1, 2]),
        np.ones(3),
    )
    assert inter.user_ids.tolist() == ["a", "b"]
    assert inter.user.tolist() == [1, 0, 1]
    assert inter.item.tolist() == [1, 0, 0]
    assert (inter.n, inter.n_users, inter.n_items) == (3, 2, 2)


def test_no_filter_keeps_every_row_with_weight_one():
    out = prepare(_columns(10, 3))
    assert out.interactions.n == 30 and out.total_rows == 30
    assert set(out.interactions.weight.tolist()) == {1.0}
    assert out.notes == ()


def test_event_type_keeps_only_that_type():
    out = prepare(_columns(10, 4, types=("click", "buy")), event_type="buy")
    assert out.interactions.n == 20
    assert out.notes == ("trained on events of type 'buy' only (solution eventType)",)


def test_event_value_threshold_keeps_values_at_or_above():
    cols = _columns(10, 4, values=[1.0, 2.0, 3.0, np.nan])
    out = prepare(cols, solution_config={"eventValueThreshold": "2"})
    assert out.interactions.n == 20  # 2.0 and 3.0 of every 4; NaN never passes
    assert out.notes == ("kept events with EVENT_VALUE >= 2 (eventValueThreshold)",)


def test_events_config_filters_types_and_weights_them():
    cols = _columns(10, 6, types=("click", "buy", "view"), values=[1.0, 5.0, 2.0])
    config = {
        "eventsConfig": {
            "eventParametersList": [
                {"eventType": "click", "weight": 0.25},
                {"eventType": "buy", "eventValueThreshold": 6.0, "weight": 1.0},
                {"eventType": "view", "eventValueThreshold": 2.0},
            ]
        }
    }
    out = prepare(cols, solution_config=config)
    # click kept (weight .25), buy dropped (5 < 6), view kept (2 >= 2, default weight 1)
    assert out.interactions.n == 40
    assert sorted(set(out.interactions.weight.tolist())) == [0.25, 1.0]
    assert out.notes == (
        "kept event types 'click', 'buy', 'view' with their weights (eventsConfig)",
    )


def test_missing_event_type_values_are_empty_strings():
    cols = _columns(5, 2)
    cols["EVENT_TYPE"][0] = None
    out = prepare(cols, event_type="click")
    assert out.interactions.n == 9


def test_missing_required_column_fails():
    cols = _columns(2, 2)
    del cols["TIMESTAMP"]
    with pytest.raises(TrainingFailed) as err:
        prepare(cols)
    assert err.value.reason == "The Interactions dataset has no TIMESTAMP column."


def test_non_numeric_threshold_fails():
    with pytest.raises(TrainingFailed) as err:
        prepare(_columns(2, 2), solution_config={"eventValueThreshold": "high"})
    assert err.value.reason == "eventValueThreshold 'high' is not a number."


def test_training_failed_is_the_job_runners_failure():
    assert issubclass(TrainingFailed, seams.TrainingFailed)
    assert str(TrainingFailed("x y.")) == "x y."


def test_minimum_data_passes_at_the_limits():
    # 1000 interactions, 500 users with 2 each: every rule just holds
    check_minimum(prepare(_columns(500, 2)).interactions)


def test_999_interactions_fail_with_every_count():
    cols = _columns(333, 3)  # 999 rows
    with pytest.raises(TrainingFailed) as err:
        check_minimum(prepare(cols).interactions)
    assert err.value.reason == (
        "Insufficient data to train after filtering: 999 interactions (at least 1000 "
        "required); 333 users with 2 or more interactions (at least 25 required); 333 of "
        "333 users (100.00%) have 2 or more interactions (at least 1% required)."
    )


def test_too_few_users_with_two_interactions_fail():
    cols = _columns(24, 50)  # 1200 rows but only 24 users
    with pytest.raises(TrainingFailed) as err:
        check_minimum(prepare(cols).interactions)
    assert err.value.reason == (
        "Insufficient data to train after filtering: 1200 interactions (at least 1000 "
        "required); 24 users with 2 or more interactions (at least 25 required); 24 of "
        "24 users (100.00%) have 2 or more interactions (at least 1% required)."
    )


def test_too_small_share_of_users_with_two_interactions_fails():
    heavy = _columns(30, 40)  # 1200 rows, 30 users with 40 each
    single = {k: v[:1].repeat(3000) for k, v in heavy.items()}
    single["USER_ID"] = np.array([f"s{i}" for i in range(3000)], dtype=object)
    cols = {k: np.concatenate([heavy[k], single[k]]) for k in heavy}
    with pytest.raises(TrainingFailed) as err:
        check_minimum(prepare(cols).interactions)
    assert err.value.reason == (
        "Insufficient data to train after filtering: 4200 interactions (at least 1000 "
        "required); 30 users with 2 or more interactions (at least 25 required); 30 of "
        "3030 users (0.99%) have 2 or more interactions (at least 1% required)."
    )


def _encode_by_unique(users, items, stamps, weights):
    """The reference formulation of encode: np.unique of the string forms."""
    uids, uinv = np.unique(np.asarray(users).astype(str), return_inverse=True)
    iids, iinv = np.unique(np.asarray(items).astype(str), return_inverse=True)
    return uids, uinv.reshape(-1), iids, iinv.reshape(-1)


@pytest.mark.parametrize(
    "users",
    [
        np.array(["b", "a", "b", "c", "a"], dtype=object),
        np.array(["b", "a", "b", "c", "a"]),
        # values that print alike are one id, as their string forms say
        np.array([1, "1", 2, "2", 1], dtype=object),
        np.array(["é", "e", "z", "É", "e"], dtype=object),
    ],
)
def test_encode_matches_unique_of_the_string_forms(users):
    items = np.array(["y", "x", "x", "z", "y"], dtype=object)
    inter = encode(users, items, np.arange(5), np.ones(5))
    uids, uinv, iids, iinv = _encode_by_unique(users, items, None, None)
    assert inter.user_ids.tolist() == uids.tolist()
    assert inter.user.tolist() == uinv.tolist()
    assert inter.item_ids.tolist() == iids.tolist()
    assert inter.item.tolist() == iinv.tolist()


def test_subset_matches_encoding_the_kept_rows_afresh():
    rng = np.random.default_rng(3)
    users = np.array([f"u{k}" for k in rng.integers(0, 40, 500)], dtype=object)
    items = np.array([f"i{k}" for k in rng.integers(0, 60, 500)], dtype=object)
    inter = encode(users, items, np.arange(500), rng.random(500))
    mask = rng.random(500) < 0.2
    sub = inter.subset(mask)
    fresh = encode(users[mask], items[mask], np.arange(500)[mask], inter.weight[mask])
    for name in ("user", "item", "timestamp", "weight", "user_ids", "item_ids"):
        assert getattr(sub, name).tolist() == getattr(fresh, name).tolist(), name


def test_distinct_sorted_matches_unique():
    from personalize_reconcile.local.training.data import distinct_sorted

    rng = np.random.default_rng(4)
    for keys in (np.zeros(0, np.int64), np.array([5]), rng.integers(-50, 50, 1000)):
        assert distinct_sorted(keys).tolist() == np.unique(keys).tolist()


def test_top_indices_rows_matches_top_indices_row_by_row():
    from personalize_reconcile.local.training.model import top_indices, top_indices_rows

    rng = np.random.default_rng(5)
    # few distinct values, so that ties at the cut are common
    scores = rng.integers(0, 4, (60, 30)).astype(np.float32)
    scores[7] = 1.0
    scores[9, 3] = np.nan
    for n in (0, 1, 5, 29, 30, 40):
        rows = top_indices_rows(scores, n)
        for r in range(scores.shape[0]):
            assert rows[r].tolist() == top_indices(scores[r], n).tolist(), (n, r)


def test_top_indices_is_the_same_for_short_and_long_score_arrays():
    """Short arrays take one stable sort, long ones a partition: the same order."""
    from personalize_reconcile.local.training import model

    rng = np.random.default_rng(6)
    for width in (30, 3000):
        scores = rng.integers(0, 5, width).astype(np.float64)
        expected = np.lexsort((np.arange(width), -scores))
        for n in (1, 10, 25, width):
            assert model.top_indices(scores, n).tolist() == expected[:n].tolist(), (width, n)


def _doubled(cols: dict, rows: list[int]) -> dict:
    """``cols`` with copies of ``rows`` appended (exact duplicates)."""
    return {k: np.concatenate([v, v[rows]]) for k, v in cols.items()}


def test_exact_duplicate_rows_are_left_out_and_noted():
    cols = _doubled(_columns(10, 3), [4, 4, 7])
    out = prepare(cols)
    assert (out.total_rows, out.duplicates, out.interactions.n) == (33, 3, 30)
    assert out.notes == (
        "left out 3 exact duplicate rows (the same in every column as an earlier row; the "
        "first is record 31)",
    )


def test_rows_that_differ_in_any_column_are_not_duplicates():
    cols = _doubled(_columns(10, 3, values=[1.0]), [0, 1])
    cols["EVENT_VALUE"][-2:] = [5.0, np.nan]
    out = prepare(cols)
    assert (out.duplicates, out.interactions.n, out.notes) == (0, 32, ())


def test_duplicates_left_out_after_the_event_filter_are_only_kept_rows():
    cols = _doubled(_columns(10, 4, types=("click", "buy")), [0, 1])  # row 0 click, 1 buy
    out = prepare(cols, event_type="buy")
    assert (out.duplicates, out.interactions.n) == (1, 20)


def test_the_minimum_counts_distinct_rows_and_says_how_many_were_left_out():
    cols = _doubled(_columns(333, 3), list(range(10)))
    out = prepare(cols)
    with pytest.raises(TrainingFailed) as err:
        check_minimum(out.interactions, out.duplicates)
    assert err.value.reason == (
        "Insufficient data to train after filtering: 999 interactions (at least 1000 "
        "required; 10 exact duplicate rows not counted); 333 users with 2 or more "
        "interactions (at least 25 required); 333 of 333 users (100.00%) have 2 or more "
        "interactions (at least 1% required)."
    )


def test_data_a_year_older_than_the_training_gets_a_note():
    cols = _columns(10, 3)
    newest = int(cols["TIMESTAMP"].max())  # 2020-09-13
    assert prepare(cols, now=newest + 364 * 86400).notes == ()
    assert prepare(cols, now=newest + 400 * 86400).notes == (
        "the newest interaction in the Interactions data is from 2020-09-13, more than a "
        "year ago; a model trained on it recommends what was popular then",
    )


def test_an_events_config_type_absent_from_the_data():
    cols = _columns(10, 4, types=("click", "buy"))
    listed = {"eventsConfig": {"eventParametersList": [{"eventType": "BUY", "weight": 1}]}}
    with pytest.raises(TrainingFailed) as err:
        prepare(cols, solution_config=listed)
    assert err.value.reason == (
        "eventsConfig.eventParametersList eventType 'BUY' matches no event in the Interactions "
        "data; its event types are 'buy' and 'click'; did you mean 'buy'?"
    )
    some = {
        "eventsConfig": {
            "eventParametersList": [{"eventType": "buy"}, {"eventType": "view", "weight": 0.5}]
        }
    }
    out = prepare(cols, solution_config=some)
    assert out.interactions.n == 20
    assert out.notes[0] == (
        "eventsConfig.eventParametersList eventType 'view' matches no event in the "
        "Interactions data; its event types are 'buy' and 'click'"
    )


def test_an_event_type_with_no_event_types_in_the_data():
    cols = _columns(10, 3)
    del cols["EVENT_TYPE"]
    with pytest.raises(TrainingFailed) as err:
        prepare(cols, event_type="click")
    assert err.value.reason == (
        "eventType 'click' matches no event in the Interactions data; the data has no "
        "EVENT_TYPE values: leave the event type out."
    )

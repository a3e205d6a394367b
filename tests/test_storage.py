"""The store's all-or-nothing upserts, deletes and provenance."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from revarch.errors import InputError
from revarch.storage import Store, TableLoad


def opportunity_rows(ids: list[str], amount: float = 100.0) -> ibis.Table:
    return ibis.memtable(
        {
            "id": ids,
            "name": [f"Opportunity {i}" for i in ids],
            "status": ["open"] * len(ids),
            "amount": [amount] * len(ids),
            "created_at": [dt.datetime(2025, 1, 2, 3, 4)] * len(ids),
            "source_id": ids,
            "import_file": ["Opportunity.csv"] * len(ids),
        }
    )


def load(
    store: Store,
    ids: list[str],
    *,
    source: str = "test:a",
    full: bool = True,
    amount: float = 100.0,
):
    return store.apply_import(
        importer="test",
        source=source,
        files=["Opportunity.csv"],
        loads=[
            TableLoad("opportunities", opportunity_rows(ids, amount), "Opportunity.csv")
        ],
        full_export=full,
        rows_read=len(ids),
    )


@pytest.fixture
def store():
    store = Store.in_memory()
    yield store
    store.close()


def test_first_import_inserts(store: Store) -> None:
    result = load(store, ["a", "b"])
    assert result.total("inserted") == 2
    assert store.count("opportunities") == 2
    assert store.data_version == 1


def test_same_import_changes_nothing(store: Store) -> None:
    load(store, ["a", "b"])
    before = store.snapshot()
    result = load(store, ["a", "b"])
    assert result.total("unchanged") == 2
    assert result.total("inserted") == result.total("updated") == 0
    assert store.snapshot() == before
    assert store.data_version == 1


def test_changed_row_counts_as_updated(store: Store) -> None:
    load(store, ["a", "b"])
    result = load(store, ["a", "b"], amount=250.0)
    assert result.total("updated") == 2
    amounts = {row[0]: row[6] for row in store.snapshot()["opportunities"]}
    assert amounts == {"a": 250.0, "b": 250.0}


def test_full_import_marks_missing_deleted(store: Store) -> None:
    load(store, ["a", "b"])
    result = load(store, ["a"])
    assert result.total("deleted") == 1
    deleted = {row[0]: row[-1] for row in store.snapshot()["opportunities"]}
    assert deleted == {"a": False, "b": True}


def test_partial_import_keeps_missing(store: Store) -> None:
    load(store, ["a", "b"])
    result = load(store, ["c"], full=False)
    assert result.total("deleted") == 0
    assert store.count("opportunities") == 3


def test_other_source_keeps_its_records(store: Store) -> None:
    load(store, ["a"], source="test:first")
    load(store, ["z"], source="test:second")
    deleted = {row[0]: row[-1] for row in store.snapshot()["opportunities"]}
    assert deleted == {"a": False, "z": False}


def test_id_owned_by_other_source_is_rejected(store: Store) -> None:
    load(store, ["a"], source="test:first")
    before = store.snapshot()
    with pytest.raises(InputError, match="already imported from source 'test:first'"):
        load(store, ["a"], source="test:second")
    assert store.snapshot() == before


def test_duplicate_key_names_ids(store: Store) -> None:
    with pytest.raises(InputError) as caught:
        load(store, ["a", "a", "b"])
    assert "duplicate id for table opportunities: a (2 times" in str(caught.value)
    assert store.count("opportunities") == 0


def test_failed_table_rolls_back_others(store: Store) -> None:
    good = TableLoad("opportunities", opportunity_rows(["a"]), "Opportunity.csv")
    bad = TableLoad(
        "fx_rates",
        ibis.memtable({"currency": ["EUR"], "date": ["not a date"], "rate": [1.1]}),
        "fx_rates.csv",
    )
    with pytest.raises(Exception, match="not a date"):
        store.apply_import(
            importer="test",
            source="test:a",
            files=["x"],
            loads=[good, bad],
            full_export=True,
            rows_read=2,
        )
    assert store.count("opportunities") == 0
    assert store.list_imports() == []


def test_import_log_records_counts(store: Store) -> None:
    load(store, ["a", "b"])
    load(store, ["a"])
    log = store.list_imports()
    assert [(e["inserted"], e["unchanged"], e["deleted"]) for e in log] == [
        (2, 0, 0),
        (0, 1, 1),
    ]


def seller_load(ids: list[str], emails: list[str | None]) -> TableLoad:
    rows = ibis.memtable(
        {"id": ids, "name": [f"Seller {i}" for i in ids], "email": emails},
        schema={"id": "string", "name": "string", "email": "string"},
    )
    return TableLoad("sellers", rows, "User.csv")


def test_seller_matched_by_email_across_sources(store: Store) -> None:
    store.apply_import(
        importer="test",
        source="test:first",
        files=["User.csv"],
        loads=[seller_load(["005A"], ["Ann@Example.com"])],
        full_export=True,
        rows_read=1,
    )
    opportunity = ibis.memtable(
        {"id": ["o1"], "seller_id": ["owner-7"], "status": ["open"]}
    )
    store.apply_import(
        importer="test",
        source="test:second",
        files=["deals.csv"],
        loads=[
            seller_load(["owner-7"], ["ann@example.com "]),
            TableLoad("opportunities", opportunity, "deals.csv"),
        ],
        full_export=True,
        rows_read=2,
    )
    sellers = [row[0] for row in store.snapshot()["sellers"]]
    owners = [row[3] for row in store.snapshot()["opportunities"]]
    assert sellers == ["005A"]
    assert owners == ["005A"]


def test_seller_with_same_id_is_shared(store: Store) -> None:
    store.apply_import(
        importer="test",
        source="test:first",
        files=["a.csv"],
        loads=[seller_load(["Ann Lee"], [None])],
        full_export=True,
        rows_read=1,
    )
    result = store.apply_import(
        importer="test",
        source="test:second",
        files=["b.csv"],
        loads=[seller_load(["Ann Lee", "Bo"], [None, None])],
        full_export=True,
        rows_read=2,
    )
    assert result.total("inserted") == 1
    assert store.count("sellers") == 2


def test_empty_full_import_keeps_rows(store: Store) -> None:
    load(store, ["a", "b"])
    before = store.snapshot()
    with pytest.raises(InputError) as caught:
        load(store, [])
    assert "would mark all 2 opportunities of source 'a' deleted" in str(caught.value)
    assert "--partial" in str(caught.value)
    assert store.snapshot() == before


def test_clash_names_the_source_flag(store: Store) -> None:
    load(store, ["a"], source="test:weekly-1")
    with pytest.raises(InputError, match="pass --source weekly-1"):
        load(store, ["a"], source="test:weekly-2")

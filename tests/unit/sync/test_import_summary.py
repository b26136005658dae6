"""The import's log-panel summary with the counts of issue 17: records gone from Billit
(deactivated or reported) and products moved to another group, in English and Dutch."""

import pytest

from billit_sync import messages
from billit_sync.sync.imports.mapping import Skipped
from billit_sync.sync.imports.report import EntityCounts, ImportedEntity, ImportReport


def render(params: dict[str, str], language: messages.Language) -> str:
    return messages.render(messages.IMPORT_FINISHED, {"duration": "1.5"} | params, language)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "Import finished in 1.5 s: customers 0 created, 2 updated, 0 skipped, "
            "1 deactivated (no longer in Billit); products 1 created, 0 updated, 1 skipped, "
            "3 moved to another group, 2 reported (no longer in Billit); "
            "full comparison with Billit done",
        ),
        (
            "nl",
            "Import klaar in 1,5 s: klanten 0 nieuw, 2 bijgewerkt, 0 overgeslagen, "
            "1 op inactief gezet (niet meer in Billit); producten 1 nieuw, 0 bijgewerkt, "
            "1 overgeslagen, 3 naar een andere groep verplaatst, 2 gemeld (niet meer in Billit); "
            "volledige vergelijking met Billit gedaan",
        ),
    ],
)
def test_gone_and_moved_counts_are_shown_in_both_languages(
    language: messages.Language, expected: str
) -> None:
    params = {
        "counts.customers": "0/2/0/1/0/0",
        "counts.products": "1/0/1/0/3/2",
        "compared": "1",
    }
    assert render(params, language) == expected


def test_zero_gone_counts_and_older_entries_stay_short() -> None:
    """Entries written before issue 17 carry three numbers; zeros of the new ones are not shown."""
    assert render({"counts.customers": "3/0/1"}, "en") == (
        "Import finished in 1.5 s: customers 3 created, 0 updated, 1 skipped"
    )
    assert render({"counts.customers": "3/0/1/0/0/0"}, "en") == (
        "Import finished in 1.5 s: customers 3 created, 0 updated, 1 skipped"
    )


def test_batch_tallies_add_up_in_the_run_report() -> None:
    """Reader threads count each batch apart; the run adds them up (issue 16)."""
    run, first, second = ImportReport(), ImportReport(), ImportReport()
    first.of(ImportedEntity.CUSTOMERS).created = 3
    first.skip(ImportedEntity.CUSTOMERS, Skipped(billit_id="7", label="A", reason="no street"))
    second.of(ImportedEntity.CUSTOMERS).created = 2
    second.of(ImportedEntity.CUSTOMERS).unchanged = 5
    second.of(ImportedEntity.PRODUCTS).updated = 1

    run.merge(first)
    run.merge(second)

    assert run.of(ImportedEntity.CUSTOMERS) == EntityCounts(created=5, unchanged=5, skipped=1)
    assert run.of(ImportedEntity.PRODUCTS) == EntityCounts(updated=1)
    assert [s.label for _, s in run.skipped] == ["A"]

"""The Billit fake's benchmark switch (``reuse_ordered_rows``) changes its speed, not its pages."""

from tests.integration.sync.import_harness import import_harness


def test_reusing_ordered_rows_gives_the_same_pages() -> None:
    pages = []
    for reuse in (False, True):
        with import_harness() as h:
            h.fill_large_account(500, 300, groups=7, contacts=True)
            h.billit.reuse_ordered_rows = reuse
            parties = [p.party_id for p in h.billit_client.parties.iter_parties()]
            products = [p.product_id for p in h.billit_client.products.iter_products()]
            pages.append((parties, products, len(h.billit.calls)))
    assert pages[0] == pages[1]
    assert len(pages[0][0]) == 500
    assert len(pages[0][1]) == 300

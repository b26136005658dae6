"""Parties: the model, incremental import on LastModified, lookups."""

from datetime import UTC, datetime, timedelta

from billit_sync.billit import BillitClient, Party
from billit_sync.billit.model import billit_naive_to_utc
from tests.unit.billit.conftest import Harness

PARTIES = "/v1/parties"
DAY = 86_400


def test_party_model_tolerates_unknown_fields_and_parses_naive_timestamps() -> None:
    party = Party.model_validate(
        {
            "PartyID": 884211,
            "Name": "Peeters BV",
            "Nr": 1042,
            "LastModified": "2024-05-01T10:20:30.297",
            "BrandNewField": {"x": 1},
        }
    )
    assert party.party_id == 884211
    assert party.nr == "1042"
    assert party.last_modified == datetime(2024, 5, 1, 10, 20, 30, 297000, tzinfo=UTC)
    assert party.model_extra == {"BrandNewField": {"x": 1}}
    assert Party.model_validate({"PartyID": 1}).name is None


def test_naive_to_utc_helper() -> None:
    naive = datetime(2024, 5, 1, 12, 0)  # noqa: DTZ001 - Billit's zone-less timestamps
    assert billit_naive_to_utc(naive) == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    aware = datetime(2024, 5, 1, 14, 0, tzinfo=UTC) + timedelta(0)
    assert billit_naive_to_utc(aware) is not None
    assert billit_naive_to_utc(aware).tzinfo == UTC


def test_iter_parties_is_incremental_on_last_modified(
    harness: Harness, client: BillitClient
) -> None:
    fake, company = harness.fake, harness.company_id
    fake.add_party(company, Name="Old customer")
    fake.add_party(company, Name="Old supplier", PartyType="Supplier")
    harness.clock.advance(2 * DAY)
    since = harness.clock.utc()
    harness.clock.advance(60)
    fake.add_party(company, Name="New customer", Email="new@example.be")
    fake.add_party(company, Name="New supplier", PartyType="Supplier")

    assert [p.name for p in client.parties.iter_parties()] == ["Old customer", "New customer"]
    recent = list(client.parties.iter_parties(modified_since=since))
    assert [p.name for p in recent] == ["New customer"]
    assert recent[0].last_modified is not None
    assert recent[0].last_modified >= since
    assert recent[0].email == "new@example.be"
    query = harness.calls("GET", PARTIES)[-1].query
    day = since.date().isoformat()
    assert query["$filter"] == f"PartyType eq 'Customer' and LastModified ge DateTime'{day}'"
    assert query["$orderby"] == "LastModified asc"
    suppliers = list(client.parties.iter_parties(party_type="Supplier"))
    assert [p.name for p in suppliers] == ["Old supplier", "New supplier"]


def test_get_party_returns_the_full_record(harness: Harness, client: BillitClient) -> None:
    seeded = harness.fake.add_party(
        harness.company_id,
        Name="Peeters BV",
        VATNumber="BE0123456749",
        Street="Kerkstraat",
        StreetNumber="12",
        Zipcode="9000",
        City="Gent",
        CountryCode="BE",
        ContactFirstName="Jan",
        ContactLastName="Peeters",
        Language="NL",
    )
    party = client.parties.get_party(seeded["PartyID"])
    assert party.vat_number == "BE0123456749"
    assert (party.street, party.street_number, party.zipcode, party.city) == (
        "Kerkstraat",
        "12",
        "9000",
        "Gent",
    )
    assert party.contact_first_name == "Jan"
    assert party.created is not None
    assert party.created.tzinfo == UTC


def test_find_customers_by_number_or_vat(harness: Harness, client: BillitClient) -> None:
    harness.fake.add_party(harness.company_id, Name="O'Brien & Zn", Nr="C-7", VATNumber="BE0111")
    harness.fake.add_party(harness.company_id, Name="Other", Nr="C-8", VATNumber="BE0222")
    harness.fake.add_party(harness.company_id, Name="Supp", Nr="C-7", PartyType="Supplier")
    assert [p.name for p in client.parties.find_customers(nr="C-7")] == ["O'Brien & Zn"]
    assert [p.name for p in client.parties.find_customers(vat_number="BE0222")] == ["Other"]
    assert client.parties.find_customers(nr="C-7", vat_number="BE0222") == []
    assert client.parties.find_customers(nr="x' or Nr eq 'C-8") == []

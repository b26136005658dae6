"""Who connected and which Billit companies (PartyIDs) they may act for."""

from pydantic import Field

from billit_sync.billit.errors import BillitUnauthorizedError, BillitValidationError
from billit_sync.billit.http import BillitHttp
from billit_sync.billit.model import BillitModel, parse_model

ACCOUNT_INFORMATION_PATH = "/v1/account/accountInformation"
# ⚠ One doc says to send a PartyID header here, a working client sends only the bearer token
# (reference §2). Right after connecting no PartyID is known yet, so: bearer token only.
ACCOUNT_INFORMATION_SENDS_PARTY_ID = False


class Company(BillitModel):
    party_id: int = Field(alias="PartyID")
    name: str | None = Field(default=None, alias="Name")
    vat_number: str | None = Field(default=None, alias="VATNumber")
    commercial_name: str | None = Field(default=None, alias="CommercialName")
    email: str | None = Field(default=None, alias="Email")
    country_code: str | None = Field(default=None, alias="CountryCode")


class UserCompanyRole(BillitModel):
    party_id: int = Field(alias="PartyID")
    user_role_types: list[str] = Field(default_factory=list, alias="UserRoleTypes")


class AccountInformation(BillitModel):
    email: str | None = Field(default=None, alias="Email")
    first_name: str | None = Field(default=None, alias="FirstName")
    last_name: str | None = Field(default=None, alias="LastName")
    companies: list[Company] = Field(default_factory=list, alias="Companies")
    user_company_roles: list[UserCompanyRole] = Field(
        default_factory=list, alias="UserCompanyRoles"
    )

    def company(self, party_id: int) -> Company | None:
        return next((item for item in self.companies if item.party_id == party_id), None)


class AccountApi:
    def __init__(self, http: BillitHttp) -> None:
        self._http = http

    def get_account_information(self) -> AccountInformation:
        """The user's companies; callable right after connecting, before a PartyID is chosen.

        Reference §2 "safe order": without ``PartyID`` first; a 400/401 without a token code
        is retried once with the PartyID the connection already knows (a reconnect), since
        one Billit page says the header is required here.
        """
        try:
            data = self._http.get_json(
                ACCOUNT_INFORMATION_PATH, company=ACCOUNT_INFORMATION_SENDS_PARTY_ID
            )
        except (BillitValidationError, BillitUnauthorizedError):
            if self._http.party_id is None:
                raise
            data = self._http.get_json(ACCOUNT_INFORMATION_PATH, company=True)
        return parse_model(AccountInformation, data, method="GET", path=ACCOUNT_INFORMATION_PATH)

"""What connecting to Billit answers, apart from the flow that decides it: the pages' errors and
the results the OAuth handler and the settings page turn into a redirect or a page. Light on
purpose (no HTTP client, no Billit client): ``/connect`` and every settings page view import
these without loading the rest of the flow (cold start, issue 16)."""

from dataclasses import dataclass

from billit_sync.errors import BadInputError
from billit_sync.messages import Language
from billit_sync.store import BillitCompany


class InvalidStateError(BadInputError):
    """Unknown, expired, already used or other-browser OAuth state (a 400 page)."""


class BrowserNotBoundError(InvalidStateError):
    """The callback came without the cookie ``/connect`` set: another browser (a phished or
    injected link), or cookies blocked. Answered with a 400 page; nothing is touched."""


class ConfirmationExpiredError(BadInputError):
    """Unknown, expired, used or other-browser confirmation (a 400 page)."""


@dataclass(frozen=True)
class CompanyTakenError(BadInputError):
    """The chosen Billit company is connected to another tenant (a 409 page)."""

    company: str
    language: Language

    def __str__(self) -> str:
        return "this Billit company is connected to another tenant"


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class StartedLogin:
    """Where to send the browser, and the nonce to set in its cookie."""

    location: str
    browser_nonce: str


@dataclass(frozen=True)
class CompanyChoice:
    company: BillitCompany
    taken: bool  # connected to another tenant: shown, but cannot be chosen


@dataclass(frozen=True)
class ConfirmationNeeded:
    """The page the browser gets instead of a connection: the user has to say yes."""

    tenant_id: str
    language: Language
    confirmation_id: str
    choices: list[CompanyChoice]
    preselected: str | None

"""Where the executor gets its bearer token and company (PartyID) from.

The real provider (refresh under a DynamoDB lease, rotating refresh tokens) implements
``BillitCredentials`` elsewhere; ``StaticCredentials`` serves tests and tools.
"""

from typing import Protocol

from pydantic import SecretStr


class BillitCredentials(Protocol):
    """A connection's current access token and the Billit company it acts for."""

    def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token; ``force_refresh`` after Billit said ``AccessTokenExpired``."""
        ...

    @property
    def party_id(self) -> int | None:
        """The PartyID of the connected company; ``None`` before one is chosen."""
        ...


class StaticCredentials:
    """A fixed token (it cannot refresh) and PartyID, for tests and one-off tools."""

    def __init__(self, access_token: str | SecretStr, party_id: int | None = None) -> None:
        self._token = (
            access_token if isinstance(access_token, SecretStr) else SecretStr(access_token)
        )
        self._party_id = party_id

    def access_token(self, *, force_refresh: bool = False) -> str:
        return self._token.get_secret_value()

    @property
    def party_id(self) -> int | None:
        return self._party_id

    def __repr__(self) -> str:
        return f"StaticCredentials(access_token=SecretStr('**********'), party_id={self._party_id})"

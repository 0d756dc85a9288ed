"""Organisations: creating them and finding them by name."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Organisation
from app.models.organisation import ORGANISATION_NAME_MAX_LENGTH
from app.services.errors import InvalidOrganisationName, OrganisationExists


def clean_organisation_name(name: str) -> str:
    """The name as stored: trimmed; InvalidOrganisationName unless 1 to 100 characters."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= ORGANISATION_NAME_MAX_LENGTH:
        raise InvalidOrganisationName(f"an organisation's name is 1 to {ORGANISATION_NAME_MAX_LENGTH} characters")
    return cleaned


class OrganisationService:
    def __init__(self, db: Session) -> None:
        self._db = db

    def create(self, name: str) -> Organisation:
        """A new organisation (OrganisationExists if the name is taken)."""
        cleaned = clean_organisation_name(name)
        if self.find_by_name(cleaned) is not None:
            raise OrganisationExists(cleaned)
        organisation = Organisation(name=cleaned)
        self._db.add(organisation)
        self._db.flush()
        return organisation

    def find_by_name(self, name: str) -> Organisation | None:
        return self._db.scalar(select(Organisation).where(Organisation.name == name.strip()))

    def all(self) -> list[Organisation]:
        return list(self._db.scalars(select(Organisation).order_by(Organisation.name)))

"""One page of a longer list, with the numbers a pager needs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(db: Session, statement: Select[Any], *, page: int, per_page: int) -> Page[Any]:
    """The ``page``-th page of an ordered ``statement``'s rows (ORM entities when it selects one).

    A page before the first or past the last is answered with the nearest
    real page, so an old bookmark or a hand-edited URL still shows something.
    """
    total = db.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    items = db.scalars(statement.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items=items, number=number, per_page=per_page, total=total)

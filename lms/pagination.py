"""Pagination for every list: the page number read safely, for a database query or a list
computed in Python (both with db.paginate's interface)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from .extensions import db

# No list comes near this many pages. A larger number would overflow the database's OFFSET
# (a 64-bit integer) and fail the query, so it is answered like any page past the end.
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 200


def requested_page() -> int:
    """The request's ?page= (1 when absent); 404 for anything that is not a page a list could
    have: not a whole number, below 1, or absurdly large."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    try:
        page = int(raw)
    except ValueError:  # also a number too long to read
        abort(404)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def paginate(statement: Select, per_page: int | None = None) -> Pagination:
    """db.paginate at the requested page, PAGE_SIZE items a page unless told otherwise."""
    return db.paginate(
        statement,
        page=requested_page(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        max_per_page=MAX_PER_PAGE,
    )


class ListPagination(Pagination):
    """Pages over an already-computed list."""

    def _query_items(self) -> list[Any]:
        items = self._query_args["items"]
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: list[Any], per_page: int, max_per_page: int = MAX_PER_PAGE) -> ListPagination:
    return ListPagination(page=requested_page(), per_page=per_page, max_per_page=max_per_page, items=items)

"""Pagination of a list computed in Python, with the same interface as db.paginate's."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """Pages over an already-computed list (page and per_page come from the request)."""

    def _query_items(self) -> list[Any]:
        items = self._query_args["items"]
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def paginate_list(items: list[Any], per_page: int, max_per_page: int = 200) -> ListPagination:
    return ListPagination(per_page=per_page, max_per_page=max_per_page, items=items)

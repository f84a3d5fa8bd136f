"""What a person should do next about a requirement: each kind's module registers its link.

A kind with no registered action shows its status without a link; nothing here invents one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .compliance import Item


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    more: tuple[Action, ...] = ()  # further steps, shown after the main one


ActionProvider = Callable[[Item], Action | None]
BatchProvider = Callable[[list[Item]], dict[tuple[str, str], Action | None]]
ACTIONS: dict[str, BatchProvider] = {}


def register_actions(kind: str) -> Callable[[BatchProvider], BatchProvider]:
    """Register a provider that answers for all of a person's items of one kind at once, so
    a page costs one query per kind rather than one per item."""

    def decorator(provider: BatchProvider) -> BatchProvider:
        ACTIONS[kind] = provider
        return provider

    return decorator


def register_action(kind: str) -> Callable[[ActionProvider], ActionProvider]:
    """Register a provider that needs nothing but the item itself."""

    def decorator(provider: ActionProvider) -> ActionProvider:
        ACTIONS[kind] = lambda items: {item.key: provider(item) for item in items}
        return provider

    return decorator


def next_actions(items: list[Item]) -> dict[tuple[str, str], Action | None]:
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    actions: dict[tuple[str, str], Action | None] = {item.key: None for item in items}
    for kind, group in by_kind.items():
        provider = ACTIONS.get(kind)
        if provider:
            actions.update(provider(group))
    return actions

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
ACTIONS: dict[str, ActionProvider] = {}


def register_action(kind: str) -> Callable[[ActionProvider], ActionProvider]:
    def decorator(provider: ActionProvider) -> ActionProvider:
        ACTIONS[kind] = provider
        return provider

    return decorator


def next_action(item: Item) -> Action | None:
    provider = ACTIONS.get(item.kind)
    return provider(item) if provider else None

"""The running simulator, reachable from moto's patched models (which know nothing of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.ecs import models as ecs_models

if TYPE_CHECKING:
    from .ecs_sim import Simulator


def current() -> "Simulator":
    return ecs_models._awssim_sim


def set_current(sim: Any) -> None:
    ecs_models._awssim_sim = sim

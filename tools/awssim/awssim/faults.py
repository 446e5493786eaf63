"""Image faults: what a task's images do wrong, decided once when the task is created.

The rules themselves are plain data in config.py (`ImageRule`); this module applies them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto.ecs.models import Task

from .config import ImageRule

if TYPE_CHECKING:
    from .ecs_sim import Simulator


class FaultsMixin:
    """Simulator methods that apply image fault rules."""

    def _apply_image_faults(self: "Simulator", task: Task) -> None:
        """Fault rules, evaluated once per task at creation."""
        sim = task._awssim
        start_delay = self.settings.get("taskStartDelaySeconds")
        exit_after: float | None = None
        for c in task.containers:
            rule: ImageRule | None = self.settings.image_rule(c["image"] or "")
            if rule is None:
                continue
            start_delay = max(start_delay, self.settings.get("taskStartDelaySeconds")
                              + rule.start_delay_seconds)
            if rule.fail_to_start and sim.fail_reason is None:
                sim.fail_reason = rule.reason or (
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                    f"failed to resolve ref {c['image']}: {c['image']}: not found"
                )
            if rule.exit_code is not None or rule.run_seconds is not None:
                sim.exit_codes[c["name"]] = rule.exit_code if rule.exit_code is not None else 0
                if c["_essential"]:
                    run = rule.run_seconds if rule.run_seconds is not None else (
                        self.settings.get("runTaskSeconds"))
                    exit_after = run if exit_after is None else min(exit_after, run)
        sim.start_delay = start_delay
        sim.exit_after = exit_after

"""Load balancers: service tasks registered in (and deregistered from) ELBv2 target groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto.ecs.models import Task
from moto.elbv2.models import elbv2_backends

if TYPE_CHECKING:
    from .tasks import TaskSim


class LoadBalancersMixin:
    """Simulator methods for target registration."""

    def _register_targets(self, task: Task) -> None:
        sim: TaskSim = task._awssim
        ss = sim.service
        if ss is None or not task._awssim_ip:
            return
        for lb in ss.service.load_balancers or []:
            tg = lb.get("targetGroupArn")
            if not tg:
                continue
            region = tg.split(":")[3]
            target = {"Id": task._awssim_ip, "Port": int(lb.get("containerPort") or 80)}
            try:
                elbv2_backends[task._account_id][region].register_targets(tg, [target])
            except Exception:
                continue
            sim.targets.append((region, tg, target))
            ss.registered[tg] = ss.registered.get(tg, 0) + 1

    def _deregister_targets(self, task: Task) -> None:
        sim: TaskSim = task._awssim
        ss = sim.service
        for region, tg, target in sim.targets:
            try:
                elbv2_backends[task._account_id][region].deregister_targets(tg, [target])
            except Exception:
                continue
            if ss is not None:
                ss.deregistered[tg] = ss.deregistered.get(tg, 0) + 1
        sim.targets = []


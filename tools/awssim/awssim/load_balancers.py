"""Load balancers: service tasks registered in (and deregistered from) ELBv2 target groups,
target health that follows the image's fault rule, and the listeners' loopback HTTP
servers (lb_http.py) started and stopped with the listeners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.ecs.models import Task
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup, elbv2_backends

from .current import current as _sim
from .faults import target_health

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
            sim.targets.append((region, tg, target, lb.get("containerName")))
            ss.registered[tg] = ss.registered.get(tg, 0) + 1

    def _deregister_targets(self, task: Task) -> None:
        sim: TaskSim = task._awssim
        ss = sim.service
        for region, tg, target, _container in sim.targets:
            try:
                elbv2_backends[task._account_id][region].deregister_targets(tg, [target])
            except Exception:
                continue
            if ss is not None:
                ss.deregistered[tg] = ss.deregistered.get(tg, 0) + 1
        sim.targets = []



def install_patches() -> None:
    """Target health from the image rules; listeners served on loopback while they exist."""
    orig_health_for = FakeTargetGroup.health_for

    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        status = orig_health_for(self, target, ec2_backend)
        if status.status != "healthy":
            return status
        sim = _sim()
        for task in sim.tasks:
            if task.last_status != "RUNNING":
                continue
            for _region, tg, t, container_name in task._awssim.targets:
                if tg == self.arn and t["Id"] == target["Id"]:
                    image = next((c.get("image") or "" for c in task.containers
                                  if c.get("name") == container_name), "")
                    timeout = float(getattr(self, "health_check_timeout_seconds", 5) or 5)
                    state, reason, description = target_health(sim.settings, image, timeout)
                    status.status, status.reason, status.description = state, reason, description
                    return status
        return status

    FakeTargetGroup.health_for = health_for

    orig_create_listener = ELBv2Backend.create_listener

    def create_listener(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        listener = orig_create_listener(self, *args, **kwargs)
        _sim().lb_http.start(listener, self.account_id, self.region_name)
        return listener

    ELBv2Backend.create_listener = create_listener

    orig_delete_listener = ELBv2Backend.delete_listener

    def delete_listener(self: ELBv2Backend, listener_arn: str) -> Any:
        listener = orig_delete_listener(self, listener_arn)
        _sim().lb_http.stop(listener.arn)
        return listener

    ELBv2Backend.delete_listener = delete_listener

    orig_delete_load_balancer = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: ELBv2Backend, arn: str) -> None:
        lb = self.load_balancers.get(arn)
        listeners = list(lb.listeners.values()) if lb is not None else []
        orig_delete_load_balancer(self, arn)
        for listener in listeners:
            _sim().lb_http.stop(listener.arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer

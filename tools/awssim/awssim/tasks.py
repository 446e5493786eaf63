"""Tasks: their lifecycle (PROVISIONING -> PENDING -> RUNNING -> ... -> STOPPED) and moto's task APIs.

RunTask/StartTask tasks and service tasks alike are moto `Task`s adopted by the
simulator (`task._awssim` is their `TaskSim`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task

from .current import current as _sim

if TYPE_CHECKING:
    from .services import DeploymentSim, ServiceSim

ACTIVE_TASK_STATES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


class TaskSim:
    def __init__(self, kind: str) -> None:
        self.kind = kind  # "run" (RunTask/StartTask) or "service"
        self.service: ServiceSim | None = None
        self.deployment: DeploymentSim | None = None
        self.next_at: float | None = None
        self.exit_at: float | None = None
        self.exit_codes: dict[str, int] = {}
        self.fail_reason: str | None = None
        # (region, tg arn, target, container name)
        self.targets: list[tuple[str, str, dict[str, Any], str | None]] = []
        self.stopped_sim_at: float | None = None
        self.unexpected = False



class TasksMixin:
    """Simulator methods for the task lifecycle."""

    def _expire(self, now: float) -> None:
        ttl = self.settings.get("stoppedTaskTtlSeconds")
        keep = []
        for task in self.tasks:
            sim = task._awssim
            if sim.stopped_sim_at is not None and now - sim.stopped_sim_at > ttl:
                backend = task._backend
                backend.tasks.get(task.cluster_name, {}).pop(task.task_arn, None)
                if sim.service is not None and task in sim.service.tasks:
                    sim.service.tasks.remove(task)
                    self._touch(sim.service)
            else:
                keep.append(task)
        self.tasks = keep

    def adopt_task(self, task: Task, kind: str = "run") -> None:
        """Take over a freshly constructed moto Task."""
        now = self._now()
        wall = self.clock.wall(now)
        task._awssim = TaskSim(kind)
        task.last_status = "PROVISIONING"
        task.desired_status = "RUNNING"
        task.created_at = wall
        task.version = 1
        task.stopped_reason = None
        task.stop_code = None
        task.health_status = "UNKNOWN"
        task.connectivity = "CONNECTED"
        task.connectivity_at = wall
        task_def = task._backend.describe_task_definition(task.task_definition_arn)
        task.cpu = str(task_def.cpu) if getattr(task_def, "cpu", None) else None
        task.memory = str(task_def.memory) if getattr(task_def, "memory", None) else None
        if task.launch_type == "FARGATE":
            task.platform_version = task.platform_version or "1.4.0"
            task.platform_family = "Linux"
        ip = None
        eni_id = None
        for att in task.attachments:
            for detail in att.get("details", []):
                if detail["name"] == "privateIPv4Address":
                    ip = detail["value"]
                if detail["name"] == "networkInterfaceId":
                    eni_id = detail["value"]
                if detail["name"] == "subnetId":
                    try:
                        subnet = ec2_backends[task._account_id][task.region_name].get_subnet(
                            detail["value"]
                        )
                        task.availability_zone = subnet.availability_zone
                    except Exception:
                        pass
        task._awssim_ip = ip
        task._awssim_eni = eni_id
        task.containers = []
        for cdef in task_def.container_definitions:
            c: dict[str, Any] = {
                "containerArn": f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/"
                f"{task.cluster_name}/{task.id}/{uuid.uuid4()}",
                "taskArn": task.task_arn,
                "name": cdef.get("name"),
                "image": cdef.get("image"),
                "lastStatus": "PENDING",
                "healthStatus": "UNKNOWN",
            }
            if cdef.get("cpu") is not None:
                c["cpu"] = str(cdef.get("cpu"))
            if cdef.get("memory") is not None:
                c["memory"] = str(cdef.get("memory"))
            if ip:
                c["networkInterfaces"] = [
                    {"attachmentId": task.attachments[0]["id"], "privateIpv4Address": ip}
                ]
            c["_essential"] = cdef.get("essential", True) is not False
            task.containers.append(c)
        sim = task._awssim
        self._apply_image_faults(task)
        sim.next_at = now + self.settings.get("provisioningSeconds")
        self.tasks.append(task)

    def _set_containers(self, task: Task, status: str, reason: str | None = None,
                        exit_codes: dict[str, int] | None = None) -> None:
        for c in task.containers:
            c["lastStatus"] = status
            if reason:
                c["reason"] = reason
            if exit_codes is not None:
                c["exitCode"] = exit_codes.get(c["name"], 0)

    def _advance_task(self, task: Task, now: float) -> None:
        sim: TaskSim = task._awssim
        while sim.next_at is not None and sim.next_at <= now:
            at = sim.next_at
            wall = self.clock.wall(at)
            status = task.last_status
            sim.next_at = None
            self._touch(sim.service)
            task.version = getattr(task, "version", 1) + 1
            if status == "PROVISIONING":
                task.last_status = "PENDING"
                task.pull_started_at = wall
                sim.next_at = at + self.settings.get("pendingSeconds") + sim.start_delay
            elif status == "PENDING":
                if sim.fail_reason:
                    task.pull_stopped_at = wall
                    self._begin_stop(task, at, "TaskFailedToStart", sim.fail_reason,
                                     unexpected=True, container_reason=sim.fail_reason)
                    continue
                task.last_status = "RUNNING"
                task.pull_stopped_at = wall
                task.started_at = wall
                task.health_status = "UNKNOWN"
                self._set_containers(task, "RUNNING")
                self._register_targets(task)
                exit_after = sim.exit_after
                if exit_after is None and sim.kind == "run":
                    exit_after = self.settings.get("runTaskSeconds")
                if exit_after is not None:
                    sim.exit_at = at + exit_after
                    sim.next_at = sim.exit_at
            elif status == "RUNNING":
                if task.desired_status == "STOPPED":
                    # deregistration delay finished
                    self._set_containers(task, "STOPPED", None, sim.exit_codes)
                    task.execution_stopped_at = wall
                    task.last_status = "DEACTIVATING"
                    sim.next_at = at + self.settings.get("stoppingSeconds") / 3
                elif sim.exit_at is not None:
                    task.execution_stopped_at = wall
                    self._begin_stop(task, at, "EssentialContainerExited",
                                     "Essential container in task exited",
                                     unexpected=True, exit_codes=dict(sim.exit_codes))
            elif status == "DEACTIVATING":
                task.last_status = "STOPPING"
                sim.next_at = at + self.settings.get("stoppingSeconds") / 3
            elif status == "STOPPING":
                task.last_status = "DEPROVISIONING"
                sim.next_at = at + self.settings.get("stoppingSeconds") / 3
            elif status == "DEPROVISIONING":
                task.last_status = "STOPPED"
                task.stopped_at = wall
                sim.stopped_sim_at = at
                self._release_eni(task)

    def _begin_stop(self, task: Task, at: float, stop_code: str, reason: str,
                    unexpected: bool = False, exit_codes: dict[str, int] | None = None,
                    container_reason: str | None = None) -> None:
        """Set desiredStatus STOPPED and start the stop sequence."""
        sim: TaskSim = task._awssim
        if task.last_status == "STOPPED" or task.desired_status == "STOPPED":
            return
        wall = self.clock.wall(at)
        self._touch(sim.service)
        task.desired_status = "STOPPED"
        task.stopping_at = wall
        task.stop_code = stop_code
        task.stopped_reason = reason
        sim.unexpected = unexpected
        sim.exit_at = None
        status = task.last_status
        if status == "RUNNING":
            if exit_codes is None:
                exit_codes = {c["name"]: 143 for c in task.containers}
            if sim.targets and not unexpected:
                # containers keep running while the load balancer drains
                sim.exit_codes = exit_codes
                self._deregister_targets(task)
                sim.next_at = at + self.settings.get("deregistrationDelaySeconds")
                return
            self._set_containers(task, "STOPPED", container_reason, exit_codes)
            self._deregister_targets(task)
            task.last_status = "DEACTIVATING"
        else:
            # never ran: no exit codes
            self._set_containers(task, "STOPPED", container_reason)
            task.last_status = "STOPPING"
        if getattr(task, "execution_stopped_at", None) is None:
            task.execution_stopped_at = wall
        sim.next_at = at + self.settings.get("stoppingSeconds") / 3
        if unexpected and sim.service is not None:
            self._task_failed(sim.service, task, at)

    def stop_task_by_user(self, task: Task, reason: str | None) -> None:
        now = self._now()
        self._begin_stop(task, now, "UserInitiated", reason or "Task stopped by user")

    def _release_eni(self, task: Task) -> None:
        for att in task.attachments:
            att["status"] = "DELETED"
        eni_id = getattr(task, "_awssim_eni", None)
        if not eni_id:
            return
        try:
            ec2_backends[task._account_id][task.region_name].delete_network_interface(eni_id)
        except Exception:
            pass

    # --------------------------------------------------------- load balancers


def install_patches() -> None:
    """moto's ENIs and task APIs (RunTask, StopTask, ListTasks, DescribeTasks)."""
    # --- moto 5.2.1 bug: ENIs without DNS hostnames lack private_dns_name.
    def _dns_get(self: NetworkInterface) -> str | None:
        value = self.__dict__.get("_awssim_private_dns_name")
        if value:
            return value
        ip = getattr(self, "private_ip_address", None)
        return generate_dns_from_ip(ip) if ip else None

    def _dns_set(self: NetworkInterface, value: str | None) -> None:
        self.__dict__["_awssim_private_dns_name"] = value

    NetworkInterface.private_dns_name = property(_dns_get, _dns_set)

    # --- tasks: the simulator owns the lifecycle, not moto's state manager.
    Task.status = property(lambda self: self._status,
                           lambda self, value: setattr(self, "_status", value))
    orig_task_init = Task.__init__

    def task_init(self: Task, *args: Any, **kwargs: Any) -> None:
        orig_task_init(self, *args, **kwargs)
        self.execution_stopped_at = None
        _sim().adopt_task(self)

    Task.__init__ = task_init

    B = EC2ContainerServiceBackend
    R = ecs_responses.EC2ContainerServiceResponse

    # --- ListTasks: serviceName filter, desiredStatus defaults to RUNNING.
    def list_tasks(self: B, cluster_str: str | None = None, container_instance: str | None = None,
                   family: str | None = None, started_by: str | None = None,
                   service_name: str | None = None, desiredStatus: str | None = None) -> list[Task]:
        cluster = self._get_cluster(cluster_str or "default")
        result = []
        family_arns = set(self.list_task_definitions(family)) if family else None
        for task in self.tasks.get(cluster.name, {}).values():
            if container_instance and container_instance not in (task.container_instance_arn or ""):
                continue
            if family_arns is not None and task.task_definition_arn not in family_arns:
                continue
            if started_by and task.started_by != started_by:
                continue
            if service_name:
                ss = getattr(task, "_awssim", None)
                ss = ss.service if ss else None
                if ss is None or ss.service.name != service_name.split("/")[-1]:
                    continue
            if task.desired_status != (desiredStatus or "RUNNING"):
                continue
            result.append(task)
        result.sort(key=lambda t: t.created_at)
        return result

    B.list_tasks = list_tasks

    # --- RunTask: FARGATE and EC2 (virtual capacity when no instances).
    orig_run_task = B.run_task

    def run_task(self: B, cluster_str: str, task_definition_str: str, count: int,
                 overrides: Any, started_by: str, tags: Any, launch_type: str | None,
                 networking_configuration: Any = None, group: str | None = None,
                 platform_version: str | None = None) -> list[Task]:
        if count is not None and not (1 <= int(count) <= 10):
            raise InvalidParameterException("count must be between 1 and 10.")
        cluster = self._get_cluster(cluster_str)
        instances = [ci for ci in self.container_instances.get(cluster.name, {}).values()
                     if ci.status == "ACTIVE"]
        if launch_type not in ("FARGATE", "EXTERNAL") and instances:
            return orig_run_task(self, cluster_str, task_definition_str, count, overrides,
                                 started_by, tags, launch_type, networking_configuration,
                                 group, platform_version)
        task_definition = self.describe_task_definition(task_definition_str)
        self.tasks.setdefault(cluster.name, {})
        tasks = []
        for _ in range(count or 1):
            task = Task(
                cluster=cluster, task_definition=task_definition, container_instance_arn=None,
                resource_requirements=None, backend=self,
                group=group or f"family:{task_definition.family}",
                overrides=overrides or {}, started_by=started_by or "", tags=tags or [],
                launch_type=launch_type or "", networking_configuration=networking_configuration,
                platform_version=platform_version,
            )
            tasks.append(task)
            self.tasks[cluster.name][task.task_arn] = task
        return tasks

    B.run_task = run_task

    def stop_task(self: B, cluster_str: str, task_str: str, reason: str) -> Task:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.split("/")[-1]
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.split("/")[-1] == task_id:
                _sim().stop_task_by_user(task, reason)
                return task
        raise InvalidParameterException("The referenced task was not found.")

    B.stop_task = stop_task

    # --- DescribeTasks: exact matches, MISSING failures.
    def describe_tasks_resp(self: Any) -> Any:
        cluster = self._get_param("cluster", "default")
        wanted = self._get_param("tasks", [])
        if not wanted:
            raise InvalidParameterException("Tasks cannot be empty.")
        backend = self.ecs_backend
        c = backend._get_cluster(cluster)
        by_id = {arn.split("/")[-1]: t for arn, t in backend.tasks.get(c.name, {}).items()}
        found, failures = [], []
        for ref in wanted:
            task = by_id.get(ref.split("/")[-1])
            if task is None:
                arn = ref if ref.startswith("arn:") else (
                    f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:task/{c.name}/{ref}")
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(task)
        if "TAGS" in (self._get_param("include", []) or []):
            self._include_in_response(ecs_responses.DESCRIBE_TASKS_TAGS)
        else:
            self._exclude_from_response(ecs_responses.DESCRIBE_TASKS_TAGS)
        return ecs_responses.ActionResult({"tasks": found, "failures": failures})

    R.describe_tasks = describe_tasks_resp

    # --- RunTask honours clientToken: a retried call gets the first call's tasks, never new ones.
    orig_run_task_resp = R.run_task
    run_task_tokens: dict[tuple[str, str, str], list[str]] = {}

    def run_task_resp(self: Any) -> Any:
        token = self._get_param("clientToken")
        if token is not None and (not isinstance(token, str) or not 1 <= len(token) <= 64):
            raise InvalidParameterException("clientToken must be 1 to 64 characters.")
        if not token:
            return orig_run_task_resp(self)
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        key = (backend.account_id, cluster.name, token)
        arns = run_task_tokens.get(key)
        if arns is None:
            result = orig_run_task_resp(self)
            tasks = result.result.get("tasks", []) if isinstance(result.result, dict) else []
            run_task_tokens[key] = [t.task_arn for t in tasks]
            return result
        by_arn = backend.tasks.get(cluster.name, {})
        return ecs_responses.ActionResult({"tasks": [by_arn[a] for a in arns if a in by_arn], "failures": []})

    R.run_task = run_task_resp

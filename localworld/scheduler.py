"""The Scheduler seam: EventBridge Scheduler's one-time schedules run in the local world.

moto (5.2.5, moto/scheduler/models.py) stores schedules in their groups and answers Create, Get, List
and Delete, but has no clock: a schedule never runs. The drill's dead-man switch (issue 17) relies on
one running (``at(<deadline>)``, universal target ec2:startInstances, ActionAfterCompletion DELETE),
so this seam does what Scheduler does for it: a thread looks at the world's schedules a few times a
second, and for each ENABLED one-time schedule that is due it calls the target through moto's EC2
backend (whose patched StartInstances boots the simulated node, localworld.patches.install_ec2), then
deletes the schedule when asked to. Only that one universal target is run; any other target is
recorded as not run. The target role must exist (Scheduler assumes it); what it may do is the IAM
audit's concern (localworld.iam_audit), not this seam's.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from moto.ec2 import models as ec2_models
from moto.iam import models as iam_models
from moto.scheduler import models as scheduler_models

LOG = logging.getLogger(__name__)
START_INSTANCES = "arn:aws:scheduler:::aws-sdk:ec2:startInstances"
# How often due schedules are looked for: Scheduler itself runs a one-time schedule within a minute of
# its time (FlexibleTimeWindow OFF); locally the deadline is seconds away, so a tenth of a second.
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Ran:
    """One schedule the seam ran (or could not)."""

    group: str
    name: str
    due_epoch: float
    ran_epoch: float
    target: str
    instance_ids: tuple[str, ...]
    error: str | None = None


def due_epoch(expression: str, timezone: str | None) -> float | None:
    """The moment of ``at(yyyy-mm-ddThh:mm:ss)`` in its time zone; None for rate() and cron()."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    moment = datetime.strptime(expression[3:-1], "%Y-%m-%dT%H:%M:%S")
    zone = UTC if timezone in (None, "", "UTC") else ZoneInfo(str(timezone))
    return moment.replace(tzinfo=zone).timestamp()


class ScheduleRunner:
    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.ran: list[Ran] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="localworld-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.run_due(time.time())
            except Exception:  # a seam bug must not kill the thread: say so and go on
                LOG.exception("localworld: the Scheduler seam failed")

    def run_due(self, now: float) -> list[Ran]:
        """Run every ENABLED one-time schedule due at ``now``; returns what ran."""
        backend = scheduler_models.scheduler_backends[self.account_id][self.region]
        done: list[Ran] = []
        with self._lock:
            for group in list(backend.schedule_groups.values()):
                for schedule in list(group.schedules.values()):
                    due = due_epoch(schedule.schedule_expression, schedule.schedule_expression_timezone)
                    if schedule.state != "ENABLED" or due is None or due > now:
                        continue
                    ran = self._invoke(group.name, schedule, due, now)
                    done.append(ran)
                    if ran.error is None and schedule.action_after_completion == "DELETE":
                        group.delete_schedule(schedule.name)
                    elif ran.error is not None:
                        schedule.state = "DISABLED"  # tried once: not again every tick
            self.ran += done
        return done

    def _invoke(self, group: str, schedule: Any, due: float, now: float) -> Ran:
        target: dict[str, Any] = schedule.target
        arn = str(target.get("Arn", ""))
        try:
            ids = tuple(json.loads(target.get("Input") or "{}").get("InstanceIds", []))
        except (ValueError, AttributeError):
            ids = ()
        ran = Ran(group, schedule.name, due, now, arn, ids)
        if arn != START_INSTANCES:
            return Ran(**{**ran.__dict__, "error": f"target {arn} is not run by the local Scheduler seam"})
        role = str(target.get("RoleArn", "")).rsplit("/", 1)[-1]
        roles = {r.name for r in iam_models.iam_backends[self.account_id]["aws"].roles.values()}
        if role not in roles:
            return Ran(**{**ran.__dict__, "error": f"role {target.get('RoleArn')} does not exist"})
        try:
            ec2_models.ec2_backends[self.account_id][self.region].start_instances(list(ids))
        except Exception as error:  # Scheduler would retry, then give up: say why
            return Ran(**{**ran.__dict__, "error": f"StartInstances: {error}"})
        LOG.info("localworld: schedule %s/%s started %s", group, schedule.name, ", ".join(ids))
        return ran


@contextmanager
def running(account_id: str, region: str) -> Iterator[ScheduleRunner]:
    runner = ScheduleRunner(account_id, region)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()

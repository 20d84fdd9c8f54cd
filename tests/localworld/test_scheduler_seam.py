"""The Scheduler seam (localworld/scheduler.py, issue 17): moto stores schedules and never runs them;
in the local world a due one-time schedule whose universal target is ec2:startInstances starts the
instance (the node backend sees the start), then is deleted when ActionAfterCompletion says DELETE."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from lw_fakes import FakeCluster  # type: ignore[import-not-found]

from localworld import LocalWorld
from localworld.scheduler import START_INSTANCES, due_epoch
from support.waiting import wait_until

GROUP = "seam-test"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _at(seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def _schedule(
    world: LocalWorld, name: str, instance_id: str, *, when: str, arn: str = START_INSTANCES, after: str = "DELETE"
) -> None:
    role = world.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    world.client("scheduler").create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=when,
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion=after,
        Target={"Arn": arn, "RoleArn": role["Role"]["Arn"], "Input": json.dumps({"InstanceIds": [instance_id]})},
    )


def _names(world: LocalWorld) -> list[str]:
    return [s["Name"] for s in world.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"]]


def test_due_one_time_schedule_starts_the_instance_then_is_deleted(world: LocalWorld, cluster: FakeCluster) -> None:
    primary = cluster.instance_ids[0]
    world.client("scheduler").create_schedule_group(Name=GROUP)
    world.client("ec2").stop_instances(InstanceIds=[primary])
    when = _at(2.5)  # whole seconds: due 1.5-2.5 s from now
    due = due_epoch(when, "UTC")
    assert due is not None
    _schedule(world, "start-later", primary, when=when)
    assert wait_until(lambda: ("start", primary) in cluster.actions), "started at its time"
    started = time.time()
    assert started >= due, "not before its time"
    assert world.scheduler is not None
    [ran] = world.scheduler.ran
    assert ran.error is None and ran.instance_ids == (primary,) and ran.ran_epoch >= ran.due_epoch == due
    assert wait_until(lambda: "start-later" not in _names(world)), "deleted after it ran"
    state = world.client("ec2").describe_instances(InstanceIds=[primary])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "running"


def test_other_targets_and_missing_roles_are_not_run(world: LocalWorld, cluster: FakeCluster) -> None:
    world.client("scheduler").create_schedule_group(Name=GROUP)
    _schedule(
        world,
        "other-target",
        cluster.instance_ids[1],
        when=_at(-1),
        arn="arn:aws:scheduler:::aws-sdk:ec2:stopInstances",
    )
    assert world.scheduler is not None
    assert wait_until(lambda: any(r.name == "other-target" for r in world.scheduler.ran))  # type: ignore[union-attr]
    [ran] = [r for r in world.scheduler.ran if r.name == "other-target"]
    assert ran.error is not None and "not run" in ran.error
    assert ("stop", cluster.instance_ids[1]) not in cluster.actions
    schedule = world.client("scheduler").get_schedule(Name="other-target", GroupName=GROUP)
    assert schedule["State"] == "DISABLED", "kept, and not tried again"


def test_due_epoch_reads_at_expressions_only() -> None:
    assert due_epoch("at(2023-11-14T22:13:20)", "UTC") == 1_700_000_000.0
    assert due_epoch("at(2023-11-15T07:13:20)", "Asia/Tokyo") == 1_700_000_000.0
    assert due_epoch("rate(5 minutes)", None) is None

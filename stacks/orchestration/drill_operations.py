"""Running drills as operations: schedules, an alarm on failed drills, and an RTO dashboard."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import DeploymentConfig, DrillSchedule
from stacks.orchestration import wiring

METRIC_PERIOD = cdk.Duration.days(1)


def schedule_rule(
    scope: Construct,
    schedule: DrillSchedule,
    machine: sfn.IStateMachine,
    execution_input: dict[str, object],
    *,
    description: str,
) -> events.Rule:
    """An EventBridge rule that starts ``machine`` with ``execution_input`` on the schedule (off until
    the config enables it: a drill takes production HULFT through a real takeover)."""
    rule = events.Rule(
        scope,
        f"Schedule-{schedule.name}",
        description=description,
        schedule=events.Schedule.expression(schedule.schedule),
        enabled=schedule.enabled,
    )
    rule.add_target(targets.SfnStateMachine(machine, input=events.RuleTargetInput.from_object(execution_input)))
    return rule


class DrillOperations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        drill: sfn.IStateMachine,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        name = config.cluster_name
        drills = config.drills

        self.schedules: list[events.Rule] = []
        for schedule in drills.schedules:
            drill_input = wiring.drill_input(
                cluster=name,
                scenario=schedule.scenario,
                switchback=schedule.switchback,
                max_rto_seconds=drills.max_rto_seconds,
                takeover_timeout_seconds=drills.takeover_timeout_seconds,
                stop_condition_alarms=list(drills.stop_condition_alarms),
            )
            description = f"{schedule.scenario} drill of {name} ({schedule.name})"
            self.schedules.append(schedule_rule(self, schedule, drill, drill_input, description=description))

        dimensions = {"service": wiring.DRILL_SERVICE, wiring.METRIC_DIMENSION_CLUSTER: name}

        def metric(metric_name: str, statistic: str, label: str | None = None) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=wiring.METRIC_NAMESPACE,
                metric_name=metric_name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=METRIC_PERIOD,
                label=label,
            )

        # A drill that ABORTED (stop condition, lock, bad preflight) needs a look as much as a FAILED one.
        failed = cloudwatch.MathExpression(
            expression="FILL(failed, 0) + FILL(aborted, 0)",
            using_metrics={
                "failed": metric(wiring.METRIC_DRILL_FAILED, "Sum"),
                "aborted": metric(wiring.METRIC_DRILL_ABORTED, "Sum"),
            },
            label="drills FAILED or ABORTED",
            period=METRIC_PERIOD,
        )
        rto = metric(wiring.METRIC_DRILL_RTO, "Maximum")
        # What a HULFT partner saw (issue 17): fault -> first successful connect to the VIP's receive port.
        client_rto = metric(wiring.METRIC_CLIENT_RTO, "Maximum", label="client-visible RTO")
        self.failed_alarm = cloudwatch.Alarm(
            self,
            "DrillFailedAlarm",
            alarm_description=f"A failover drill of {name} FAILED or was ABORTED",
            metric=failed,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"hadrill-{name}")
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=f"Drill RTO (s) of {name}, node and client-visible, against the SLO",
                left=[rto, client_rto],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=drills.max_rto_seconds, label="max RTO (SLO)")],
                width=16,
            ),
            cloudwatch.AlarmStatusWidget(title="Drills", alarms=[self.failed_alarm], width=8),
        )

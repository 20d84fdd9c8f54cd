"""The local AWS world: moto running the real workflows against simulated cluster nodes.

Step Functions executes ASL (moto's vendored interpreter), Lambda handlers run in this process,
SSM Run Command reaches the simulated nodes asynchronously, and the EC2 API stops, starts and
reboots them. Tests and the local runner/CLI share it::

    with LocalWorld(time_scale=0.01, handler_paths=["lambdas"], strict_documents=True) as world:
        world.add_documents("documents")            # SendCommand then checks parameters like SSM
        world.add_nodes(cluster, names=["node-a", "node-b"])    # + EC2 instances with the same ids
        validate = world.add_lambda("validate", "handlers.setup.validate_input", environment={...})
        machine = world.create_state_machine("setup", asl_text, {"ValidateFunctionArn": validate})
        result = world.run_execution(machine, {"cluster": "demo"}, name="setup-1")
        result.status, result.output, result.state_transitions, result.ssm_commands_sent
"""

from localworld.protocol import OUTCOME_STATUSES, CommandOutcome, NodeBackend, Outcome
from localworld.results import ExecutionResult
from localworld.substitutions import SubstitutionError, placeholders, render_definition
from localworld.world import LocalWorld, WorldError

__all__ = [
    "OUTCOME_STATUSES",
    "CommandOutcome",
    "ExecutionResult",
    "LocalWorld",
    "NodeBackend",
    "Outcome",
    "SubstitutionError",
    "WorldError",
    "placeholders",
    "render_definition",
]

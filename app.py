#!/usr/bin/env python3
"""CDK entry point: load and validate the deployment config, then build the stacks.

`cdk synth -c config=PATH` picks the config file (default config/default.yaml); `-c fleet=PATH`
builds a fleet instead: every cluster its file lists, and the fleet stack. A bad config stops here
with one line naming the field, before any construct is built.
"""

from __future__ import annotations

import sys

from stacks.app_builder import build_fleet, build_stacks, new_app
from stacks.config import DEFAULT_CONFIG_PATH, ConfigError, load_config
from stacks.fleet.config import load_fleet


def main() -> int:
    app = new_app()
    fleet_path = app.node.try_get_context("fleet")
    config_path = app.node.try_get_context("config")
    if fleet_path and config_path:
        print("config error: give -c config=PATH (one cluster) or -c fleet=PATH (a fleet), not both", file=sys.stderr)
        return 2
    try:
        if fleet_path:
            build_fleet(app, load_fleet(fleet_path))
        else:
            build_stacks(app, load_config(config_path or str(DEFAULT_CONFIG_PATH)))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())

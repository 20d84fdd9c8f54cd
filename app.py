#!/usr/bin/env python3
"""CDK entry point: load and validate the deployment config, then build the stacks.

`cdk synth -c config=PATH` picks the config file (default config/default.yaml). A bad config
stops here with one line naming the field, before any construct is built.
"""

from __future__ import annotations

import sys

from stacks.app_builder import build_stacks, new_app
from stacks.config import DEFAULT_CONFIG_PATH, ConfigError, load_config


def main() -> int:
    app = new_app()
    config_path = app.node.try_get_context("config") or str(DEFAULT_CONFIG_PATH)
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    build_stacks(app, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())

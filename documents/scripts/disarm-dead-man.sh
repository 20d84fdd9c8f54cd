#!/bin/bash
# HADrill-DisarmDeadMan (run on the primary once it is back): stop the dead-man switch's timer that
# HADrill-InjectFault armed, or say that it fired or that a reboot already removed it.
# Result: "outcome" fired | disarmed | gone, "fired_epoch_ms" when it fired.
# Exit codes: 0 done, 2 parameter missing, 4 the timer could not be stopped, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=dead-man.sh
. "$(dirname "${BASH_SOURCE[0]}")/dead-man.sh"
# hadrill:include-end

declare unit
hadrill_params unit=Unit

node="${HADRILL_NODE_NAME:-$(uname -n)}"
dead_man_disarm "$unit" || hadrill_fail 4 "could not stop ${unit}.timer on ${node}: it still reboots the node at the deadline"
case "$DEAD_MAN_OUTCOME" in
  fired)
    [[ "$DEAD_MAN_FIRED_MS" =~ ^[1-9][0-9]{0,17}$ ]] || DEAD_MAN_FIRED_MS=0
    hadrill_result true false "${unit} fired on ${node}: the node rebooted itself at the deadline" \
      str:outcome fired int:fired_epoch_ms "$DEAD_MAN_FIRED_MS"
    ;;
  disarmed)
    hadrill_result true true "${unit}.timer stopped on ${node}" str:outcome disarmed
    ;;
  *)
    hadrill_result true false "no ${unit}.timer on ${node}: a reboot removed it before it fired" str:outcome gone
    ;;
esac

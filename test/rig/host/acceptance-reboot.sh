#!/bin/bash
# After the second boot the backing files must still pass the first boot's
# host checks: the second boot's probes did not touch the reserved areas.
set -euo pipefail
exec bash "$RIG_DIR/host/acceptance.sh" "$RIG_WORK/facts.json"

#!/bin/bash
# Host side of xen-reserve: the same checks as the acceptance test's.
set -euo pipefail
exec bash "$RIG_DIR/host/acceptance.sh" "$@"

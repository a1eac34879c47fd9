#!/usr/bin/env bash
# berth run's previews against a fork's pull requests: tests/attacks/preview.sh
# (which a person can run alone) crafts tree entries that lead out of the
# checkout, peeks at another tenant's objects and sends a 64 MiB manifest.
exec bash "$(dirname "$0")/../attacks/preview.sh"

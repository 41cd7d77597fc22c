"""``python -m persist_core.cli``, for environments where the console script is not on PATH."""

import sys

from persist_core.cli.app import main

sys.exit(main())

"""``python -m reference_services {order|shipping|invoicing} ...``"""

from __future__ import annotations

import sys

from reference_services.common.cli import main

if __name__ == "__main__":
    sys.exit(main())

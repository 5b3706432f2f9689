"""The script PyInstaller freezes (``packaging/calldesk.spec``): runs calldesk's command line."""

from __future__ import annotations

import sys

from calldesk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())

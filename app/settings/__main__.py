"""`python -m app.settings --write | --check`: the generated settings reference (see reference.py)."""

import sys

from app.settings.reference import main

sys.exit(main())

import sys

from codesign.scenarios.cli import main

sys.exit(main())

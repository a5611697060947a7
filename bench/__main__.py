import sys

from codesign.scenarios.cli import main

sys.exit(main(["bench", *sys.argv[1:]]))

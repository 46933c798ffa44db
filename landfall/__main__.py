import sys

from landfall.cli import main

sys.exit(main())

import sys

from landfall.cli.main import main

sys.exit(main())

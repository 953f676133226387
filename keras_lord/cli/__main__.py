"""`python -m keras_lord.cli`: the `keras-lord` command."""

import sys

from keras_lord.cli import main

sys.exit(main())

"""The test suite's settings: the app's own, with a test-only SECRET_KEY.

The app refuses to start with DEBUG=False and no SECRET_KEY; the key is put in the environment
(not only in settings) so the workers and servers the tests start as subprocesses inherit it.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-0c9f1e7a4b2d")

from config.settings import *  # noqa: E402, F403

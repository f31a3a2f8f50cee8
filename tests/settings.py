"""The test suite's settings: the app's own, with a test-only SECRET_KEY and encryption key.

The app refuses to start with DEBUG=False and without these; they are put in the environment
(not only in settings) so the workers and servers the tests start as subprocesses inherit them.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret-0c9f1e7a4b2d")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdHMtb25seS1ub3QtYS1zZWNyZXQta2V5LTAwMDA=")

from config.settings import *  # noqa: E402, F403

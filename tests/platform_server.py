"""A real HTTP server on loopback that answers like the platforms' send APIs (and Graph profile
lookups), and records calls.

The same server the demo runs (`config.demo.sink`), so the demo's replies and the tests' go
through one implementation of the platforms' answers.
"""

from config.demo.sink import PlatformSink as PlatformServer
from config.demo.sink import Recorded
from config.demo.sink import start_platform_sink as start_platform_server

__all__ = ["PlatformServer", "Recorded", "start_platform_server"]

"""Runs one benchmark function in its own process, bound to the database in DATABASE_URL.

    python bench/child.py bench.pages.measure_pages [json-args]
Prints "RESULT <json>".
"""

import importlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()
module_name, function_name = sys.argv[1].rsplit(".", 1)
arguments = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
print("RESULT " + json.dumps(getattr(importlib.import_module(module_name), function_name)(*arguments)))

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG")}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_app_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_check(DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_app_starts_with_a_secret_key_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 60 + "\n")
    assert run_check(DEBUG="False", SECRET_KEY_FILE=str(key_file)).returncode == 0


def test_demo_starts_without_a_secret_key():
    assert run_check(DEBUG="True").returncode == 0

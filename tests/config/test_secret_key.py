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


def test_production_like_settings_with_every_security_setting_pass_check_deploy(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text("c2VjdXJpdHktdGVzdC1ub3QtYS1yZWFsLWtleS0wMDA=,b2xkLXNlY3VyaXR5LXRlc3Qta2V5LW5vdC1yZWFsLTA=")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests' conftest when they share this process.
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
            },
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "False",
            "HTTPS": "True",
            "SECRET_KEY": "x7$k2!p9qv@3m8#zr5wt^b6n1yh4cf0j&ld*ue-s_ga+oi(e)w",
            "FIELD_ENCRYPTION_KEYS_FILE": str(key_file),
            "ALLOWED_HOSTS": "inbox.example.com",
            "TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8",
            "STAFF_TWO_FACTOR": "True",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_app_refuses_to_start_without_an_encryption_key_when_debug_is_off():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("FIELD_ENCRYPTION_KEYS", "DEBUG")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "False",
            "SECRET_KEY": "k" * 60,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr

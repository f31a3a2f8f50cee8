"""Adding a channel kind means adding one package under channels/platforms: nothing else in the
application asks which kind a channel is (docs/architecture.md)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "contacts", "conversations", "channels", "merging")
KIND_TEST = re.compile(
    r"(\bchannel\w*\.kind|ChannelKind\.\w+)\s*(==|!=|\bin\b)|(==|!=)\s*ChannelKind\.|\.kind\s*(==|!=)\s*['\"]"
    r"(whatsapp|telegram|messenger|instagram|email|webchat)['\"]"
)


def _application_sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith("channels/platforms/"):
                continue
            yield relative, path.read_text()


def test_no_code_outside_the_platform_registry_branches_on_a_channel_kind():
    found = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _application_sources()
        for number, line in enumerate(text.splitlines(), 1)
        if KIND_TEST.search(line)
    ]
    assert found == []


def test_the_rule_sees_a_branch_on_a_kind():
    assert KIND_TEST.search('if channel.kind == "whatsapp":')
    assert KIND_TEST.search("if kind == ChannelKind.TELEGRAM and rng.random() < 0.5:")
    assert not KIND_TEST.search('if kind == "email":  # a workflow question that asks for an e-mail')

"""The dashboard's charts and workload table, and the 403 page."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.views.defaults import permission_denied
from hypothesis import given
from hypothesis import strategies as st

from config.dashboard.charts import bar_chart, nice_step
from tests.factories import UserFactory, inbound

pytestmark = pytest.mark.django_db


def chart_svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title[^"]*">(.*?)</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(1)


def texts(svg: str, css_class: str) -> list[str]:
    return re.findall(rf'<text class="{css_class}"[^>]*>([^<]*)</text>', svg)


def test_conversation_chart_shows_axis_values_bar_values_and_a_table(client, manager, whatsapp):
    for n in range(7):
        inbound(whatsapp, f"62812345678{n:02d}", "halo")
    client.force_login(manager)
    html = client.get("/dashboard/").content.decode()
    svg = chart_svg(html, "chart-conversations")
    assert texts(svg, "tick") == ["0", "2", "4", "6", "8"]
    assert texts(svg, "value") == ["7"]  # only today has conversations
    assert str(timezone.localdate().day) in texts(svg, "day")
    assert "Conversations opened per day" in svg  # the <title> names it
    today = date_format(timezone.localdate(), "DATE_FORMAT")
    assert f"<tr><td>{today}</td><td>7</td></tr>" in html  # the table alternative
    assert re.search(r"<th scope=\"row\">Total</th><td>7</td>", html)


def test_chart_geometry_is_not_localised_with_decimal_commas(client, manager, whatsapp):
    inbound(whatsapp, "6281234567890", "halo")
    client.force_login(manager)
    html = client.get("/dashboard/", headers={"accept-language": "fr"}).content.decode()
    assert 'lang="fr"' in html
    svg = chart_svg(html, "chart-conversations")
    assert not re.search(r'(x|y|width|height)="\d+,\d', svg)


def test_an_empty_chart_still_has_an_axis_from_zero(client, manager):
    client.force_login(manager)
    svg = chart_svg(client.get("/dashboard/").content.decode(), "chart-merges")
    assert texts(svg, "tick") == ["0", "1"]
    assert texts(svg, "value") == []


@given(st.integers(min_value=1, max_value=10_000_000))
def test_the_axis_covers_the_peak_in_at_most_four_round_steps(peak):
    step = nice_step(peak)
    assert re.fullmatch(r"[125]0*", str(step))
    assert step * 4 >= peak


def test_bars_stand_on_the_baseline_and_the_tallest_reaches_the_top_tick():
    days = [timezone.localdate()] * 3
    chart = bar_chart(list(zip(days, [0, 5, 10], strict=True)), id="c", title="t", value_label="v")
    assert {round(bar.y + bar.height, 1) for bar in chart.bars} == {chart.baseline}
    assert chart.ticks[-1].value == 10
    assert chart.bars[2].y == chart.ticks[-1].y


def test_workload_lists_agents_only(client, owner, manager, admin_user, agent):
    UserFactory(username="siti", role="agent", first_name="Siti", last_name="Rahma")
    client.force_login(manager)
    html = client.get("/dashboard/").content.decode()
    workload = html.split("Workload", 1)[1].split("</table>", 1)[0]
    assert "Siti Rahma" in workload and "ayu" in workload
    for not_an_agent in (owner.username, manager.username, admin_user.username):
        assert not_an_agent not in workload


def test_forbidden_page_says_why_and_offers_a_way_back_in_the_layout(client, agent):
    client.force_login(agent)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "The Dashboard is for managers and owners." in html
    assert 'aria-label="Modules"' in html  # the navigation is there
    assert 'href="/inbox/"' in html
    assert 'href="/"' in html and "Back to your start page" in html


def test_forbidden_page_without_a_reason_gives_a_general_one(rf, agent):
    request = rf.get("/somewhere/")
    request.user = agent
    response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role or your channel access does not include this page." in html
    assert "Back to your start page" in html

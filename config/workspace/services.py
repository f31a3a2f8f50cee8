"""Writes on users and teams."""

from django.contrib.auth.models import Group
from django.db import transaction

from config.workspace.models import Team, User


def user_set_availability(*, user: User, available: bool) -> User:
    User.objects.filter(pk=user.pk).update(is_available=available)
    user.is_available = available
    return user


def team_create(*, name: str, members=()) -> Team:
    """A team with its own auth group: channel grants to the group reach every member."""
    with transaction.atomic():
        team = Team(name=name.strip(), group=Group.objects.create(name=f"team:{name.strip()}"))
        team.full_clean()
        team.save()
        team.members.set(members)
    return team


def team_members_set(*, team: Team, members) -> Team:
    team.members.set(members)
    return team


def team_round_robin_advance(*, team: Team, assignee: User) -> None:
    """Round-robin remembers who was given the last conversation (callers hold the team's lock)."""
    Team.objects.filter(pk=team.pk).update(last_assigned=assignee)

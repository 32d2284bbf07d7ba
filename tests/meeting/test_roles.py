"""The staff roles exist after migrate as groups with exactly the intended permissions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from meeting.roles import ADMINISTRATOR, DISPLAY, OPERATOR, ROLE_PERMISSIONS, sync_role_groups

pytestmark = pytest.mark.django_db


def perms_of(group_name):
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def user_in(group_name, username):
    user = get_user_model().objects.create_user(username)
    user.groups.add(Group.objects.get(name=group_name))
    return get_user_model().objects.get(pk=user.pk)  # fresh: permission caches start empty


@pytest.mark.parametrize("group_name", [OPERATOR, ADMINISTRATOR, DISPLAY])
def test_groups_exist_after_migrate_with_the_intended_permissions(group_name):
    assert perms_of(group_name) == set(ROLE_PERMISSIONS[group_name])


def test_every_intended_permission_exists():
    # A typo in roles.py would otherwise silently grant nothing.
    for perms in ROLE_PERMISSIONS.values():
        for dotted in perms:
            app_label, codename = dotted.split(".")
            assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists(), dotted


def test_operator_runs_meetings_but_does_not_edit_records():
    operator = user_in(OPERATOR, "op")
    assert operator.has_perm("meeting.operate_meeting")
    assert operator.has_perm("meeting.view_member")
    assert not operator.has_perm("meeting.add_member")
    assert not operator.has_perm("meeting.change_meeting")
    assert not operator.has_perm("meeting.administer_records")


def test_administrator_edits_records():
    administrator = user_in(ADMINISTRATOR, "adm")
    for perm in ("meeting.operate_meeting", "meeting.administer_records", "meeting.add_member",
                 "meeting.change_seat", "meeting.delete_seatassignment"):
        assert administrator.has_perm(perm), perm
    assert not administrator.has_perm("meeting.change_auditentry")
    assert not administrator.is_superuser


def test_display_account_only_shows_the_hall_display():
    screen = user_in(DISPLAY, "screen")
    assert screen.has_perm("meeting.view_hall_display")
    assert not screen.has_perm("meeting.operate_meeting")
    assert not screen.has_perm("meeting.view_member")


def test_nobody_may_vote_through_a_staff_role():
    # Delegates vote from their tablets as participants, never as staff users.
    for perms in ROLE_PERMISSIONS.values():
        assert "meeting.vote_in_meeting" not in perms


def test_sync_restores_drifted_groups():
    group = Group.objects.get(name=OPERATOR)
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="delete_member"))
    sync_role_groups()
    assert perms_of(OPERATOR) == set(ROLE_PERMISSIONS[OPERATOR])

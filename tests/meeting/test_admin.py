"""The admin site: every meeting model's pages render in Chinese and English; roles limit what staff may do."""

from django.conf import settings

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from meeting import admin as meeting_admin
from meeting.models import AuditEntry, Body, Event, Meeting, Member, Notice
from meeting.roles import DISPLAY, OPERATOR

pytestmark = pytest.mark.django_db

MEETING_MODELS = [m for m in admin.site._registry if m._meta.app_label == "meeting"]
LANGUAGES = ["zh-hans", "en"]


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEMO = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--deputies", "40", "--standing", "15", stdout=io.StringIO())
    meeting = Meeting.objects.get(kind=Meeting.Kind.PLENARY)
    operator = get_user_model().objects.get(username="operator")
    AuditEntry.objects.create(meeting=meeting, actor=operator, action="meeting.open", detail={"n": 1})
    Event.objects.create(meeting=meeting, seq=1, kind="meeting.state", audience="all")
    Notice.objects.create(meeting=meeting, text="请各位代表入座", sent_by=operator)


def staff_client(client, username, lang="zh-hans"):
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang  # what the language switch sets
    return client


def admin_url(lang, model, view, *args):
    # One URL for every language: the page follows the language cookie (config.middleware).
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_meeting_model_is_registered():
    from meeting import models

    registered = {m.__name__ for m in MEETING_MODELS}
    defined = {name for name, obj in vars(models).items()
               if isinstance(obj, type) and getattr(obj, "_meta", None) and obj.__module__ == models.__name__}
    assert defined <= registered


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("model", MEETING_MODELS, ids=lambda m: m._meta.model_name)
def test_pages_render_for_the_administrator(demo, client, model, lang):
    client = staff_client(client, "admin", lang)
    model_admin = admin.site._registry[model]

    changelist = client.get(admin_url(lang, model, "changelist"))
    assert changelist.status_code == 200
    assert f'lang="{lang}"' in changelist.content.decode()

    request = changelist.wsgi_request
    add = client.get(admin_url(lang, model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, "the demo should give every model at least one row"
    assert client.get(admin_url(lang, model, "change", obj.pk)).status_code == 200


def test_admin_speaks_chinese_and_english(demo, client):
    client = staff_client(client, "admin")
    chinese = client.get(admin_url("zh-hans", Member, "changelist")).content.decode()
    assert "会堂 · 人大会议与电子表决系统" in chinese and "增加" in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(admin_url("en", Member, "changelist")).content.decode()
    assert "Add " in english and "增加" not in english


def test_switching_language_leads_to_the_english_admin(demo, client):
    # The switch sets the cookie and comes back to the same page, now in English.
    client = staff_client(client, "admin")
    response = client.post("/i18n/setlang/", {"language": "en", "next": admin_url("zh-hans", Member, "changelist")},
                           follow=True)
    assert response.redirect_chain[-1][0] == admin_url("en", Member, "changelist")
    assert response.status_code == 200 and 'lang="en"' in response.content.decode()


def test_records_are_read_only(demo, client):
    client = staff_client(client, "admin")
    for model in (Event, AuditEntry):
        obj = model.objects.first()
        assert client.get(admin_url("zh-hans", model, "add")).status_code == 403
        assert client.get(admin_url("zh-hans", model, "delete", obj.pk)).status_code == 403
        page = client.get(admin_url("zh-hans", model, "change", obj.pk))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.post(admin_url("zh-hans", model, "change", obj.pk), {}).status_code == 403


def test_meeting_live_state_is_not_editable(demo, client):
    client = staff_client(client, "admin")
    meeting = Meeting.objects.get(kind=Meeting.Kind.PLENARY)
    page = client.get(admin_url("zh-hans", Meeting, "change", meeting.pk)).content.decode()
    assert 'name="state"' not in page and 'name="current_item"' not in page
    assert 'name="title"' in page and 'name="agenda-0-title"' in page


def test_long_rosters_are_linked_not_inlined(demo, client, monkeypatch):
    monkeypatch.setattr(meeting_admin, "INLINE_LIMIT", 20)
    client = staff_client(client, "admin")
    congress = Body.objects.get(kind=Body.Kind.CONGRESS)
    standing = Body.objects.get(kind=Body.Kind.STANDING_COMMITTEE)
    big = client.get(admin_url("zh-hans", Body, "change", congress.pk)).content.decode()
    assert "memberships-TOTAL_FORMS" not in big and "body__id__exact" in big
    small = client.get(admin_url("zh-hans", Body, "change", standing.pk)).content.decode()
    assert "memberships-TOTAL_FORMS" in small


def test_member_autocomplete_finds_deputies(demo, client):
    client = staff_client(client, "admin")
    member = Member.objects.filter(kind=Member.Kind.DEPUTY).first()
    with translation.override("zh-hans"):
        url = reverse("admin:autocomplete")
    response = client.get(url, {
        "app_label": "meeting", "model_name": "participant", "field_name": "member", "term": member.member_number,
    })
    assert response.status_code == 200
    assert str(member.pk) in [r["id"] for r in response.json()["results"]]


def test_operator_may_look_but_not_add_members(demo, client):
    client = staff_client(client, "operator")
    assert client.get(admin_url("zh-hans", Member, "changelist")).status_code == 200
    assert client.get(admin_url("zh-hans", Member, "add")).status_code == 403
    response = client.post(admin_url("zh-hans", Member, "add"), {"member_number": "X1", "name": "某某", "kind": "deputy"})
    assert response.status_code == 403
    assert not Member.objects.filter(member_number="X1").exists()


def test_display_account_cannot_enter_the_admin(demo, client):
    user = get_user_model().objects.create_user("screen", is_staff=True)
    user.groups.add(Group.objects.get(name=DISPLAY))
    client.force_login(user)
    assert client.get(admin_url("zh-hans", Member, "changelist")).status_code == 403


def test_operator_group_is_what_the_demo_operator_has(demo):
    operator = get_user_model().objects.get(username="operator")
    assert operator.groups.filter(name=OPERATOR).exists()

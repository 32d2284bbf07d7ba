"""Import from CSV/XLSX on a Django admin changelist: upload → preview → confirm.

Use it on a ModelAdmin and name the importer with a class attribute::

    from meeting.admin_import import ImportAdminMixin

    @admin.register(Member)
    class MemberAdmin(ImportAdminMixin, admin.ModelAdmin):
        importer = "roster"        # SeatAdmin: "seatmap"; SeatAssignmentAdmin: "assignments"

What the mixin adds:

* the URL ``<changelist>/import/``, named ``admin:<app>_<model>_import``;
* an "导入" button on the changelist, shown to users with ``meeting.administer_records``. It
  comes from ``change_list_template = "admin/meeting/change_list_import.html"``; a ModelAdmin
  with its own changelist template should extend that one instead of ``admin/change_list.html``;
* the upload form asks for the file and the target (机构 for a roster, 会场 for a seat map,
  会议 for seat assignments). The preview lists what would be created or updated, or every bad
  row with its row number; nothing is written until the user confirms a clean preview.

The whole view requires ``meeting.administer_records`` (403 otherwise). Between preview and
confirm the file waits in ``VAR_DIR/imports/`` under a random name that only this user's
session knows; it is deleted when confirmed or cancelled, and stale ones after a day. On confirm
the file is checked again against the database, so a change made in between is caught.
"""

import os
import re
import secrets
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _, gettext_lazy

from .importing import assignments, roster, seatmap
from .importing.reader import max_bytes
from .models import Body, Meeting, Venue

PERMISSION = "meeting.administer_records"
SESSION_KEY = "huitang_pending_imports"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
STALE_SECONDS = 24 * 3600
MAX_PENDING = 5
PREVIEW_LIMIT = 1000  # rows shown; the summary still counts them all


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("CSV（UTF-8 或 GB18030 编码）或 XLSX 文件，第1行为表头"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(_("文件太大，上限为 %(limit).1f MB") % {"limit": max_bytes() / (1024 * 1024)})
        return upload

    def target_ref(self):
        """What to import into, as JSON-safe data that survives in the session until confirm."""
        raise NotImplementedError


class RosterForm(ImportForm):
    body = forms.ModelChoiceField(Body.objects.all(), label=gettext_lazy("导入到机构"))
    create_delegations = forms.BooleanField(
        label=gettext_lazy("自动新建文件中未知的代表团"), required=False,
    )

    def target_ref(self):
        return {"body": self.cleaned_data["body"].pk, "create_delegations": self.cleaned_data["create_delegations"]}


class SeatMapForm(ImportForm):
    venue = forms.ModelChoiceField(Venue.objects.all(), label=gettext_lazy("导入到会场"), required=False)
    new_venue = forms.CharField(
        label=gettext_lazy("或新建会场"), required=False, max_length=Venue._meta.get_field("name").max_length,
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("venue")) == bool(data.get("new_venue", "").strip()):
            raise forms.ValidationError(_("请选择一个会场，或填写新会场的名称（二者选一）"))
        return data

    def target_ref(self):
        venue = self.cleaned_data["venue"]
        return {"venue": venue.pk} if venue else {"venue_name": self.cleaned_data["new_venue"].strip()}


class AssignmentsForm(ImportForm):
    meeting = forms.ModelChoiceField(Meeting.objects.select_related("venue"), label=gettext_lazy("导入到会议"))

    def target_ref(self):
        return {"meeting": self.cleaned_data["meeting"].pk}


def _parse_roster(content, filename, ref):
    body = Body.objects.get(pk=ref["body"])
    return roster.parse(content, filename, body, create_delegations=ref["create_delegations"])


def _parse_seatmap(content, filename, ref):
    venue = Venue.objects.get(pk=ref["venue"]) if "venue" in ref else seatmap.venue_for(ref["venue_name"])
    return seatmap.parse(content, filename, venue)


def _parse_assignments(content, filename, ref):
    return assignments.parse(content, filename, Meeting.objects.select_related("venue").get(pk=ref["meeting"]))


IMPORTERS = {
    "roster": (RosterForm, _parse_roster, roster),
    "seatmap": (SeatMapForm, _parse_seatmap, seatmap),
    "assignments": (AssignmentsForm, _parse_assignments, assignments),
}
TITLES = {
    "roster": gettext_lazy("导入人员名册"),
    "seatmap": gettext_lazy("导入座位图"),
    "assignments": gettext_lazy("导入座位安排"),
}


class ImportAdminMixin:
    importer = None  # "roster", "seatmap" or "assignments"
    change_list_template = "admin/meeting/change_list_import.html"

    def get_urls(self):
        if self.importer not in IMPORTERS:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.importer must be one of {sorted(IMPORTERS)}, not {self.importer!r}"
            )
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="%s_%s_import" % info),
        ] + super().get_urls()

    def has_import_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if self.has_import_permission(request):
            extra_context["import_url"] = self._import_url()
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        request.current_app = self.admin_site.name  # so admin templates reverse into this site
        if request.method == "POST" and "token" in request.POST:
            return self._confirm(request)
        form_class = IMPORTERS[self.importer][0]
        form = form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read(max_bytes() + 1)
            ref = form.target_ref()
            return self._preview(request, self._parse(content, upload.name, ref), content, upload.name, ref)
        return TemplateResponse(request, "admin/meeting/import_form.html", {
            **self._context(request), "form": form, "columns": IMPORTERS[self.importer][2].COLUMNS,
        })

    def _parse(self, content, filename, ref):
        return IMPORTERS[self.importer][1](content, filename, ref)

    def _preview(self, request, plan, content, filename, ref, notice=None):
        token = _stash(request, self.importer, content, filename, ref, plan.digest()) if plan.ok else None
        return TemplateResponse(request, "admin/meeting/import_preview.html", {
            **self._context(request), "plan": plan, "filename": filename, "token": token, "notice": notice,
            "items": plan.items[:PREVIEW_LIMIT], "hidden_items": max(0, len(plan.items) - PREVIEW_LIMIT),
        })

    def _confirm(self, request):
        pending = _unstash(request, request.POST["token"], self.importer)
        if pending is None:
            messages.error(request, _("这次导入已完成、已取消或已过期，请重新上传文件"))
            return HttpResponseRedirect(self._import_url())
        if "cancel" in request.POST:
            messages.info(request, _("已取消导入，未写入任何数据"))
            return HttpResponseRedirect(self._changelist_url())
        content, filename, ref, digest = pending
        plan = self._parse(content, filename, ref)
        if plan.ok and plan.digest() != digest:
            return self._preview(request, plan, content, filename, ref,
                                 notice=_("预览之后数据已有变化，请核对下面的内容后再次确认"))
        if not plan.ok:
            return self._preview(request, plan, content, filename, ref)
        try:
            IMPORTERS[self.importer][2].apply(plan, actor=request.user)
        except IntegrityError:
            messages.error(request, _("导入时与他人同时修改的数据冲突，未写入任何数据，请重新导入"))
            return HttpResponseRedirect(self._import_url())
        messages.success(request, _("导入完成：%(summary)s") % {"summary": plan.summary()})
        return HttpResponseRedirect(self._changelist_url())

    def _context(self, request):
        return {
            **self.admin_site.each_context(request), "opts": self.opts, "title": TITLES[self.importer],
            "import_url": self._import_url(), "changelist_url": self._changelist_url(),
            "index_url": reverse(f"{self.admin_site.name}:index"),
            "app_list_url": reverse(f"{self.admin_site.name}:app_list", kwargs={"app_label": self.opts.app_label}),
        }

    def _import_url(self):
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_import")

    def _changelist_url(self):
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")


def import_dir():
    directory = settings.VAR_DIR / "imports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _stash(request, importer, content, filename, ref, digest):
    """Keep the upload server-side until confirm; the client only ever holds a random token."""
    directory = import_dir()
    _remove_stale(directory)
    token = secrets.token_urlsafe(24)
    # Rosters hold phone numbers: only the server account may read the waiting file.
    handle = os.open(directory / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    pending = dict(request.session.get(SESSION_KEY, {}))
    while len(pending) >= MAX_PENDING:
        oldest = min(pending, key=lambda t: pending[t]["at"])
        _discard(directory, oldest)
        del pending[oldest]
    pending[token] = {"importer": importer, "filename": filename, "ref": ref, "digest": digest, "at": time.time()}
    request.session[SESSION_KEY] = pending
    return token


def _unstash(request, token, importer):
    """(content, filename, ref, digest) for a token this session made, and forget it; else None."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    if not TOKEN.match(token or "") or token not in pending or pending[token]["importer"] != importer:
        return None
    entry = pending.pop(token)
    request.session[SESSION_KEY] = pending
    file = import_dir() / f"{token}.upload"
    try:
        content = file.read_bytes()
    except FileNotFoundError:
        return None
    finally:
        file.unlink(missing_ok=True)
    return content, entry["filename"], entry["ref"], entry["digest"]


def _discard(directory, token):
    if TOKEN.match(token):
        (directory / f"{token}.upload").unlink(missing_ok=True)


def _remove_stale(directory):
    cutoff = time.time() - STALE_SECONDS
    for file in directory.glob("*.upload"):
        try:
            if file.stat().st_mtime < cutoff:
                file.unlink()
        except FileNotFoundError:
            pass  # another request cleaned it first

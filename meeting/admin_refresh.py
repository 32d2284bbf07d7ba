"""Admin edits of a meeting's records reach the connected clients, and the audit log.

Put RefreshingAdminMixin first on the ModelAdmin of every meeting-shaped model (see meeting.admin).
For each add, change and delete, in the admin's own transaction:

1. before anything is written (save_model, delete_model, delete_queryset), it works out which
   meetings the edit may change (meeting.refresh.affected, from the record as stored and as
   posted) and captures their state;
2. after the record and its inlines are written (save_related runs after the inline formsets,
   still inside the admin's atomic block; delete_model/delete_queryset after the delete), it
   publishes what changed as ``meeting.refresh`` events (meeting.refresh.Refresh.publish);
3. it writes an AuditEntry (``admin.add``, ``admin.change``, ``admin.delete``): one per meeting
   whose clients were told, else one without a meeting. It names the fields, never their values
   (a roster holds phone numbers).

The bulk "delete selected" action goes through delete_queryset, which the admin does not wrap in a
transaction: the mixin does. The admin's list_editable path calls save_model and save_related too.
"""

from django.db import router, transaction

from .models import AuditEntry, Meeting
from .refresh import Refresh, affected, stored

_PENDING = "_huitang_meeting_refresh"
MAX_REPR = 200


class RefreshingAdminMixin:
    # Fields of the model that only the console's services change (readonly here). A change saves
    # every other field but never these: the form's copy of them may be older than the row.
    live_fields = ()

    # -- add and change --

    def save_model(self, request, obj, form, change):
        refresh = Refresh("admin.change" if change else "admin.add")
        refresh.capture(*affected([obj, stored(obj) if change else None]))
        if change and self.live_fields:
            fields = [f.name for f in obj._meta.concrete_fields
                      if not f.primary_key and f.name not in self.live_fields]
            obj.save(update_fields=fields)
        else:
            super().save_model(request, obj, form, change)
        setattr(request, _PENDING, refresh)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh = getattr(request, _PENDING, None)
        if refresh is None:  # save_model was not ours to see; nothing was captured
            return
        delattr(request, _PENDING)
        refreshed = refresh.publish()
        detail = _describe(form.instance)
        detail["fields"] = list(form.changed_data)
        inlines = [_inline_summary(formset) for formset in formsets]
        if any(inlines):
            detail["inlines"] = [i for i in inlines if i]
        _audit(request, "admin.change" if change else "admin.add", refreshed, detail)

    # -- delete --

    def delete_model(self, request, obj):
        refresh = Refresh("admin.delete")
        refresh.capture(*affected([obj]))
        detail = _describe(obj)
        super().delete_model(request, obj)
        _audit(request, "admin.delete", refresh.publish(), detail)

    def delete_queryset(self, request, queryset):
        # The delete_selected action runs outside any transaction of the admin's.
        with transaction.atomic(using=router.db_for_write(self.model)):
            objs = list(queryset)
            refresh = Refresh("admin.delete")
            refresh.capture(*affected(objs))
            details = [_describe(obj) for obj in objs]
            super().delete_queryset(request, queryset)
            refreshed = refresh.publish()
            if details:
                _audit(request, "admin.delete", refreshed, {
                    "model": details[0]["model"], "objects": [{"id": d["id"], "object": d["object"]} for d in details],
                })


def _describe(obj):
    detail = {"model": obj._meta.label_lower, "id": obj.pk, "object": str(obj)[:MAX_REPR]}
    meeting = obj.pk if isinstance(obj, Meeting) else getattr(obj, "meeting_id", None)
    if meeting is not None:
        detail["meeting"] = meeting
    return detail


def _inline_summary(formset):
    added, changed, deleted = (len(getattr(formset, name, ()) or ())
                               for name in ("new_objects", "changed_objects", "deleted_objects"))
    if not (added or changed or deleted):
        return None
    return {"model": formset.model._meta.label_lower, "added": added, "changed": changed, "deleted": deleted}


def _audit(request, action, refreshed, detail):
    """One entry per meeting whose clients were told of the edit, or one with no meeting."""
    actor = request.user if getattr(request.user, "pk", None) else None
    meetings = sorted(refreshed) or [None]
    AuditEntry.objects.bulk_create(
        AuditEntry(meeting_id=meeting, actor=actor, action=action, detail=detail) for meeting in meetings
    )

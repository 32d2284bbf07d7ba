"""Posting the admin's own forms back, the way a browser would: read the change page, keep every
field as rendered, change a few, submit. So a test goes through the real admin view, its form,
its inline formsets and its transaction, without spelling out every field by hand."""

from html.parser import HTMLParser

from django.urls import reverse


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []  # (name, value) in page order
        self._select = None  # (name, multiple, [selected values])
        self._textarea = None  # (name, [text])

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside or "name" not in a and tag in ("input", "select", "textarea"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None and "selected" in a:
            self._select[1].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, chosen = self._select
            self.fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # The browser drops one newline right after <textarea>; Django renders one there.
            value = "".join(text)
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self._textarea = None


class AdminForm:
    """The fields of an admin add/change page, ready to be changed and posted back."""

    def __init__(self, client, url, form_id):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        reader = _FormReader(form_id)
        reader.feed(page.content.decode())
        self.client, self.url = client, url
        self.data, self.templates = {}, {}
        for name, value in reader.fields:
            target = self.templates if "__prefix__" in name else self.data
            target.setdefault(name, []).append(value)
        assert self.data, f"no form {form_id!r} on {url}"

    def __getitem__(self, name):
        return self.data[name][0]

    def __setitem__(self, name, value):
        self.data[name] = [value]

    def add_inline(self, prefix, **values):
        """Fill the inline formset's next empty form (from its template), like 'Add another'."""
        index = int(self[f"{prefix}-TOTAL_FORMS"])
        for name, value in self.templates.items():
            if name.startswith(f"{prefix}-__prefix__-"):
                self.data[name.replace("__prefix__", str(index))] = list(value)
        for field, value in values.items():
            self[f"{prefix}-{index}-{field}"] = value
        self[f"{prefix}-TOTAL_FORMS"] = str(index + 1)

    def post(self):
        response = self.client.post(self.url, {**self.data, "_save": "save"})
        assert response.status_code == 302, _errors(response)
        return response


def _errors(response):
    context = response.context or {}
    found = []
    for key in ("adminform", "errors"):
        if key in context:
            found.append(str(context[key].form.errors if key == "adminform" else context[key]))
    for formset in context.get("inline_admin_formsets", []):
        found.append(str(formset.formset.errors) + str(formset.formset.non_form_errors()))
    return found or response.status_code


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def change_form(client, obj):
    return AdminForm(client, url(type(obj), "change", obj.pk), f"{obj._meta.model_name}_form")


def add_form(client, model):
    return AdminForm(client, url(model, "add"), f"{model._meta.model_name}_form")


def delete(client, obj):
    response = client.post(url(type(obj), "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 302, response.status_code
    return response


def delete_selected(client, model, objs):
    response = client.post(url(model, "changelist"), {
        "action": "delete_selected", "_selected_action": [str(o.pk) for o in objs], "post": "yes",
    })
    assert response.status_code == 302, response.status_code
    return response

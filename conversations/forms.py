from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from config.workspace import permissions
from config.workspace.models import User
from conversations.attachments import Upload


class SendForm(forms.Form):
    identity = forms.IntegerField(label=_("Channel"))
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4096, required=False
    )
    # A plain file input: the default "clearable" one turns a posted `file-clear` into False.
    file = forms.FileField(label=_("File"), required=False, widget=forms.FileInput)

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file is not None and file.size > settings.MEDIA_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("Files can be up to %(size)s.") % {"size": filesizeformat(settings.MEDIA_UPLOAD_MAX_BYTES)}
            )
        return file

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("file"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return cleaned

    def upload(self) -> Upload | None:
        file = self.cleaned_data.get("file")
        if file is None:
            return None
        return Upload(name=file.name, declared_type=file.content_type or "", content=file.read())


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4096)


class AssignForm(forms.Form):
    """Only users who may see the conversation can be chosen."""

    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, conversation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = permissions.assignable_users(conversation)

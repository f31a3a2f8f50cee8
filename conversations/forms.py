from django import forms
from django.utils.translation import gettext_lazy as _

from config.models import User


class SendForm(forms.Form):
    identity = forms.IntegerField(label=_("Channel"))
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4096)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4096)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.filter(is_active=True).order_by("username"), required=False
    )

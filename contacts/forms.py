from django import forms
from django.utils.translation import gettext_lazy as _


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=320, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=64, required=False)

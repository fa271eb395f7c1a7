"""Serializers of the incident's communications endpoint: messages as sent, and what a
sender gives to send one. Like every serializer here they never write."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Audience, CommChannel, TemplateKind
from .fields import ChoiceField
from .serializers import StrictSerializer, text_field


class CommunicationSerializer(serializers.Serializer):
    """One message as it was sent (for external ones: exactly what customers got)."""

    id = serializers.IntegerField()
    template = serializers.CharField(
        help_text="initial | update | resolved", source="template_name"
    )
    audience = ChoiceField(choices=Audience.choices)
    channels = serializers.ListField(child=ChoiceField(choices=CommChannel.choices))
    email_recipients = serializers.ListField(child=serializers.EmailField())
    fields = serializers.DictField(child=serializers.CharField(), help_text="The sender fields.")
    subject = serializers.CharField()
    body = serializers.CharField()
    public_status = serializers.CharField(
        allow_blank=True, help_text="External: the status customers were told."
    )
    sent_by = serializers.CharField(allow_null=True, help_text="Username.")
    sent_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return super().to_representation(
            {
                "id": instance.pk,
                "template_name": API_TEMPLATE_NAMES.get(instance.kind, instance.kind),
                "audience": instance.audience,
                "channels": list(instance.channels or []),
                "email_recipients": [a for a in instance.email_recipients.splitlines() if a],
                "fields": dict(instance.fields or {}),
                "subject": instance.subject,
                "body": instance.body,
                "public_status": instance.public_status,
                "sent_by": instance.sent_by.get_username() if instance.sent_by else None,
                "sent_at": instance.sent_at,
            }
        )


# The API's template names (the spec's three) → TemplateKind values.
API_TEMPLATE_NAMES = {
    TemplateKind.INITIAL: "initial",
    TemplateKind.UPDATE: "update",
    TemplateKind.RESOLUTION: "resolved",
}


class SenderFieldsSerializer(StrictSerializer):
    eta = text_field(max_length=500, help_text="Estimated resolution time.")
    updates = text_field(max_length=500, help_text="Where updates are posted.")
    progress = text_field(help_text="What has been done.")
    next_steps = text_field(help_text="Planned actions.")
    root_cause = text_field(help_text="Brief explanation.")
    prevention = text_field(help_text="Steps to prevent recurrence.")


class CommunicationSendSerializer(StrictSerializer):
    template = ChoiceField(
        choices=[(name, name) for name in API_TEMPLATE_NAMES.values()],
        help_text="initial, update or resolved: the spec's three templates.",
    )
    audience = ChoiceField(choices=Audience.choices)
    channels = serializers.ListField(
        child=ChoiceField(choices=CommChannel.choices),
        min_length=1,
        max_length=len(CommChannel.choices),
    )
    email_recipients = serializers.ListField(
        child=serializers.EmailField(),
        required=False,
        max_length=200,
        help_text="For the email channel.",
    )
    fields = SenderFieldsSerializer(required=False, help_text="The sender fields.")

    def validate_template(self, value):
        return {name: kind for kind, name in API_TEMPLATE_NAMES.items()}[value]

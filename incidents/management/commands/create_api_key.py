"""`manage.py create_api_key NAME --scopes SCOPE[,SCOPE...]`: prints the key once, alone on
the last line (so `... | tail -n 1` captures it). Only its hash is stored."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.domain import DomainError
from incidents.models import ApiScope
from incidents.services.api_keys import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for an integration and print it once (last line). "
        "Scopes: " + ", ".join(ApiScope.values) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Which integration uses the key, e.g. cloudwatch-prod.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated: " + ",".join(ApiScope.values) + ".",
        )
        parser.add_argument(
            "--created-by", default="", help="Username recorded as the key's creator."
        )

    def handle(self, *args, name, scopes, created_by, **options):
        creator = None
        if created_by:
            creator = get_user_model().objects.filter(username=created_by).first()
            if creator is None:
                raise CommandError(f"No user {created_by!r} (--created-by).")
        try:
            api_key, raw_key = api_key_create(name=name, scopes=scopes, user=creator)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Created API key {api_key.name!r} (prefix {api_key.prefix}) with scopes: "
            + ", ".join(api_key.scopes)
            + "."
        )
        self.stdout.write(f"It acts as the service account {api_key.user.get_username()!r}.")
        self.stdout.write(
            "Copy the key now: it is not stored and cannot be shown again. "
            "Send it as 'Authorization: Bearer <key>'."
        )
        self.stdout.write(raw_key)

"""What post-mortems add to the incident page (incidents.admin.page.incident_page),
registered from PostmortemsConfig.ready(): the link to the incident's post-mortem."""

from django.urls import reverse

from incidents.admin.page import incident_page


def postmortem_button(request, incident):
    postmortem = getattr(incident, "postmortem", None)
    if postmortem is not None and request.user.has_perm("postmortems.view_postmortem"):
        return ("Post-mortem", reverse("admin:postmortems_postmortem_change", args=[postmortem.pk]))
    return None


def register() -> None:
    incident_page.add_button(postmortem_button, order=300)

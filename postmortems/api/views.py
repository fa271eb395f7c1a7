"""GET /api/v1/incidents/{reference}/postmortem/ (JSON) and …/postmortem.md (Markdown, the
spec's template). Need-to-know exactly as the other incident endpoints."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.schema import error_responses
from incidents.api.visibility import incidents_visible_to_request
from incidents.models import ApiScope

from ..models import PostMortem
from ..selectors import postmortem_json, postmortem_markdown

PERMS = ("incidents.view_incident", "postmortems.view_postmortem")


class _PostMortemBase(APIView):
    required_scopes = {"GET": ApiScope.INCIDENTS_READ}
    required_perms = {"GET": PERMS}
    http_method_names = ["get", "head"]

    def get_postmortem(self, reference: str):
        incident = incidents_visible_to_request(self.request).filter(reference=reference).first()
        if incident is None:
            raise NotFound("No such incident.")
        postmortem = (
            PostMortem.objects.select_related("incident", "approved_by", "owner")
            .filter(incident=incident)
            .first()
        )
        if postmortem is None:
            raise NotFound(f"{reference} has no post-mortem.")
        return postmortem


class PostMortemJsonView(_PostMortemBase):
    @extend_schema(
        summary="An incident's post-mortem (JSON)",
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request, reference: str):
        return Response(postmortem_json(self.get_postmortem(reference)))


class PostMortemMarkdownView(_PostMortemBase):
    @extend_schema(
        summary="An incident's post-mortem (Markdown, the spec's template)",
        responses={
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request, reference: str):
        postmortem = self.get_postmortem(reference)
        response = HttpResponse(
            postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{reference}-postmortem.md"'
        return response

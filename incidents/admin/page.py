"""The incident page as an extension point.

The incident admin (incidents.admin.incident.IncidentAdmin) is registered once. Other parts
of the project add to its page through `incident_page`, from their AppConfig.ready():

    incident_page.add_button(fn, order=300)
        fn(request, incident) -> (label, url), a list of them, or None. Buttons show in the
        page's object tools, sorted by `order` (then by registration): the incident's own
        buttons are 100, communications 200, post-mortems 300, compliance 400 and 500.
    incident_page.add_panel(fn, order=300)
        fn(request, incident) -> a section of the page: a rendered HTML fragment, a
        (title, template name, context) triple rendered with the request, or None to show
        nothing. Sections show below the incident's own (checklist 100, timeline 110,
        communications 120, deliveries 130), sorted by `order`: compliance 400,
        post-mortems 300.
    incident_page.add_urls(fn)
        fn(model_admin) -> URL patterns added to the incident admin's URLs (before its own).
    incident_page.add_bulk_action(fn, name=..., description=..., allowed=...)
        an action of the incident list, fn(model_admin, request, queryset) as Django calls
        it; `allowed(request)` says whether this person is offered it.

Nothing here knows who contributes: incidents never import the apps built on them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

Button = tuple[str, str]


@dataclass(frozen=True)
class Panel:
    """A section of the incident page: `title` (may be empty when the fragment brings its
    own heading) and the rendered `html`."""

    title: str
    html: SafeString
    order: int


@dataclass(frozen=True)
class BulkAction:
    func: Callable
    name: str
    description: str
    allowed: Callable = lambda request: True
    order: int = 0


@dataclass
class IncidentPage:
    _buttons: list = field(default_factory=list)
    _urls: list = field(default_factory=list)
    _bulk_actions: list = field(default_factory=list)
    _panels: list = field(default_factory=list)

    def add_button(self, fn: Callable, *, order: int) -> Callable:
        if all(existing is not fn for _, _, existing in self._buttons):
            self._buttons.append((order, len(self._buttons), fn))
        return fn

    def add_panel(self, fn: Callable, *, order: int) -> Callable:
        if all(existing is not fn for _, _, existing in self._panels):
            self._panels.append((order, len(self._panels), fn))
        return fn

    def add_urls(self, fn: Callable) -> Callable:
        if fn not in self._urls:
            self._urls.append(fn)
        return fn

    def add_bulk_action(
        self,
        fn: Callable,
        *,
        name: str,
        description: str,
        allowed: Callable | None = None,
        order: int = 0,
    ) -> Callable:
        if all(action.name != name for action in self._bulk_actions):
            action = BulkAction(fn, name, description, allowed or (lambda request: True), order)
            self._bulk_actions.append(action)
        return fn

    def buttons(self, request, incident) -> list[Button]:
        found: list[Button] = []
        for _, _, fn in sorted(self._buttons, key=lambda entry: entry[:2]):
            made = fn(request, incident)
            if made is None:
                continue
            found.extend([made] if isinstance(made, tuple) else made)
        return found

    def panels(self, request, incident) -> list[Panel]:
        found: list[Panel] = []
        for order, _, fn in sorted(self._panels, key=lambda entry: entry[:2]):
            made = fn(request, incident)
            if made is None:
                continue
            if isinstance(made, tuple):
                title, template, context = made
                html = render_to_string(template, context, request=request)
                found.append(Panel(str(title), mark_safe(html), order))
            else:
                found.append(Panel("", mark_safe(str(made)), order))
        return found

    def urls(self, model_admin) -> list:
        return [pattern for fn in self._urls for pattern in fn(model_admin)]

    def bulk_actions(self, request) -> list[BulkAction]:
        ordered = sorted(self._bulk_actions, key=lambda action: action.order)
        return [action for action in ordered if action.allowed(request)]


incident_page = IncidentPage()

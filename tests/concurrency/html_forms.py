"""What a browser would post back from a rendered page: the fields of one <form>, read from
the HTML (not from the view's context), so a test sees the version the user's page really
carries, and a template that forgot the hidden field fails."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

# Inputs a browser never submits on their own (a submit button is sent only when clicked).
_NOT_SUBMITTED = {"submit", "button", "reset", "image", "file"}


class _FormReader(HTMLParser):
    def __init__(self, action: str, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.page = action, page
        self.inside = False
        self.found = False
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_multiple = False
        self._options: list[tuple[str, bool]] = []
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.found:
            # A form without an action posts to the page it is on.
            target = urlsplit(attr.get("action", "")).path or self.page
            self.inside = target == self.action
            self.found = self.inside
            return
        if not self.inside or "disabled" in attr:
            return
        if tag == "input" and attr.get("name"):
            kind = attr.get("type", "text").lower()
            if kind in _NOT_SUBMITTED:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.pairs.append((attr["name"], attr.get("value", "on")))
                return
            self.pairs.append((attr["name"], attr.get("value", "")))
        elif tag == "textarea" and attr.get("name"):
            self._textarea, self._text = attr["name"], ""
        elif tag == "select" and attr.get("name"):
            self._select, self._options = attr["name"], []
            self._select_multiple = "multiple" in attr
        elif tag == "option" and self._select is not None:
            self._option_value = attr.get("value")
            self._option_selected = "selected" in attr
            self._option_text = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._select is not None and self._option_value is None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline right after <textarea>, as HTML says.
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else self._option_text
            self._options.append((value, self._option_selected))
            self._option_value = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._select_multiple and self._options:
                chosen = [self._options[0][0]]  # a single select submits its first option
            self.pairs.extend((self._select, value) for value in chosen)
            self._select = None


def form_fields(html: str, *, action: str, page: str) -> dict[str, list[str]]:
    """The fields the <form> on `page` posting to `action` (paths) submits as rendered,
    name → values. Fails when the page has no such form."""
    reader = _FormReader(action, page)
    reader.feed(html)
    assert reader.found, f"no <form action={action!r}> on the page"
    fields: dict[str, list[str]] = {}
    for name, value in reader.pairs:
        fields.setdefault(name, []).append(value)
    return fields

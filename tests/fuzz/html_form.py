"""What a browser would send back from a page's form controls: every named input, text area
and select with its current value (a tick box only when ticked, a select's chosen option or
its first)."""

from __future__ import annotations

from collections import defaultdict
from html.parser import HTMLParser

SKIPPED_TYPES = {"submit", "button", "image", "file", "reset"}


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = defaultdict(list)
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: tuple[str | None, bool] | None = None
        self._option_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in SKIPPED_TYPES:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name].append(a.get("value", "on"))
                else:
                    self.values.setdefault(name, [])
            else:
                self.values[name].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select:
            self._option, self._option_text = (a.get("value"), "selected" in a), []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        if self._option is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.values[self._textarea].append(text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected = self._option
            self._options.append(
                (value if value is not None else "".join(self._option_text).strip(), selected)
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options and not self._multiple:
                chosen = [self._options[0][0]]
            self.values[self._select].extend(chosen)
            self._select = None


def form_values(html: str) -> dict[str, list[str]]:
    parser = _Controls()
    parser.feed(html)
    return dict(parser.values)

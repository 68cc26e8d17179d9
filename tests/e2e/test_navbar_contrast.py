"""Every text in the navigation bar (the language switch among them) keeps the WCAG 2.x
contrast of 4.5:1 against what is behind it, at rest, under the pointer and focused from the
keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from tests.e2e.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMUM_CONTRAST = 4.5  # WCAG 2.x, 1.4.3 (AA) for normal-size text

# The contrast of each visible element inside `root` that holds text of its own: its text
# colour against the background it is drawn on (its own and its ancestors' backgrounds,
# composited down to the first opaque one, over the white canvas).
CONTRASTS_JS = """
(root) => {
  for (const a of document.getAnimations()) if (a instanceof CSSTransition) a.finish();
  const rgba = (css) => {
    const m = css.match(/^rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?\\)$/);
    if (!m) throw new Error('unexpected colour ' + css);
    return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
  };
  const over = (top, below) => [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3]));
  const backdrop = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      layers.push(colour);
      if (colour[3] === 1) break;
    }
    return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255]);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map(v => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ownText = (e) => Array.from(e.childNodes).some(
    n => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
  return [root, ...root.querySelectorAll('*')]
    .filter(e => ownText(e) && e.checkVisibility())
    .map(e => {
      const background = backdrop(e);
      const text = over(rgba(getComputedStyle(e).color), background);
      const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
      return {
        text: e.textContent.trim().replace(/\\s+/g, ' '),
        ratio: (light + 0.05) / (dark + 0.05),
        colour: 'rgb(' + text.map(Math.round) + ')',
        background: 'rgb(' + background.map(Math.round) + ')',
      };
    });
}
"""


def low_contrasts(root: Any, state: str) -> list[str]:
    return [
        f"{state}: {c['text']!r} {c['colour']} on {c['background']} = {c['ratio']:.2f}:1"
        for c in root.evaluate(CONTRASTS_JS)
        if c["ratio"] < MINIMUM_CONTRAST
    ]


def navbar_low_contrasts(page: Any) -> list[str]:
    """Each link and button of the navbar at rest, hovered, and focused by the Tab key."""
    nav = page.locator("nav.navbar")
    failures = low_contrasts(nav.element_handle(), "at rest")
    controls = nav.locator("a, button").filter(visible=True)
    assert controls.count() > 0
    for control in controls.all():
        control.hover()
        failures += low_contrasts(control.element_handle(), "hovered")
    page.mouse.move(0, page.viewport_size["height"] - 1)  # away from the navbar

    # Tab from the top of the page through the navbar: :focus-visible, as a keyboard user sees.
    page.locator("body").focus()
    focused_any = False
    for _ in range(50):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        inside = focused.evaluate("(e, nav) => nav.contains(e)", nav.element_handle())
        if not inside and focused_any:
            break
        if inside:
            focused_any = True
            failures += low_contrasts(focused, "focused")
    assert focused_any
    return failures


def test_navbar_text_contrast_on_the_sign_in_page(open_page: Any) -> None:
    page = open_page()
    page.goto("/accounts/login/")
    assert page.locator("[data-testid=lang-en]").is_visible()
    assert navbar_low_contrasts(page) == []


def test_navbar_text_contrast_when_signed_in(open_page: Any, alice: User) -> None:
    page = open_page()
    log_in(page, alice)
    assert page.locator("[data-testid=lang-en]").is_visible()
    assert page.locator("[data-testid=user-menu]").is_visible()
    assert navbar_low_contrasts(page) == []

"""Every console page worked with the keyboard alone: Tab reaches each control on the page, in
the order it is read, and the control that has the focus shows it (WCAG 2.2, 2.1.1 Keyboard,
2.4.3 Focus Order, 2.4.7 Focus Visible). Sync now's dialog has its own keyboard test
(test_sync_now.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session

from tests.browser.support import add_administrator, expect_heading, sign_in_with_password

PAGES = [
    ("/admin/identity", "Identity & Provisioning"),
    ("/admin/users", "Users"),
    ("/admin/provisioning-activity", "Provisioning activity"),
    ("/admin/file-storage", "File Storage"),
    ("/profile", "Profile"),
]
CONTROLS = ", ".join(
    (
        "a[href]",
        "button",
        "input:not([type=hidden])",
        "select",
        "textarea",
        "summary",
        "[tabindex]:not([tabindex='-1'])",
    )
)
# The controls the page shows, in document order, leaving out what cannot take the focus
# (disabled, not rendered, inside a closed <dialog>); a group of radio buttons is one Tab stop,
# its checked button (or its first), and the arrow keys move within it.
LIST_CONTROLS = """selector => {
  const shown = [...document.querySelectorAll(selector)].filter(e =>
    !e.disabled && e.getClientRects().length > 0 && !e.closest('dialog:not([open])'));
  const stops = shown.filter(e => {
    if (e.type !== 'radio') return true;
    const group = shown.filter(o => o.type === 'radio' && o.name === e.name && o.form === e.form);
    return e === (group.find(o => o.checked) || group[0]);
  });
  return stops.map(e => e.outerHTML.slice(0, 120));
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    || style.boxShadow !== 'none';
  return [e.outerHTML.slice(0, 120), visible];
}"""


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_tab_reaches_every_control_in_reading_order_with_a_visible_focus(
    page: Page, session: Session, path: str, heading: str
) -> None:
    ada = add_administrator(session)
    sign_in_with_password(page, ada, path)
    expect_heading(page, heading)
    controls: list[str] = page.evaluate(LIST_CONTROLS, CONTROLS)
    assert controls, "the page shows no control"

    reached: list[str] = []
    for _ in range(len(controls)):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, f"Tab left the page after {reached}"
        control, visible = focused
        assert visible, f"{control} has the focus but does not show it"
        reached.append(control)

    assert reached == controls

"""The search field on a phone and from the keyboard, in real Chromium: the placeholder a
user sees fits in the field at every width, and every control of the start page shows
where the keyboard focus is.

Run: .venv/bin/pytest -m browser tests/web/test_search_field.py"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# The placeholder the user sees: the native one, or (where the field is narrow) the
# shorter overlay that the CSS shows instead. Widths measured with the element's own font.
VISIBLE_PLACEHOLDER = """() => {
  const input = document.getElementById("q");
  const measure = (el, text) => {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = getComputedStyle(el).font;
    return ctx.measureText(text).width;
  };
  const room = (el) => {
    const cs = getComputedStyle(el);
    return el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  };
  const visible = (el) => {
    const cs = getComputedStyle(el);
    return cs.display !== "none" && cs.visibility !== "hidden" && !/, 0\\)$|transparent/.test(cs.color);
  };
  const native = getComputedStyle(input, "::placeholder").color;
  const shown = [];
  if (input.matches(":placeholder-shown") && !/, 0\\)$|transparent/.test(native)) {
    shown.push({kind: "native", text: input.placeholder, width: measure(input, input.placeholder),
                room: room(input), overflow: 0});
  }
  const alt = document.querySelector(".placeholder-alt");
  if (alt && visible(alt)) {
    const parts = Array.from(alt.children).filter(visible);
    const text = parts.map((el) => el.textContent).join("");
    const box = alt.getBoundingClientRect(), field = input.getBoundingClientRect();
    shown.push({kind: "overlay", text, width: measure(alt, text), room: room(alt),
                overflow: alt.scrollWidth - alt.clientWidth,
                inside: box.left >= field.left - 1 && box.right <= field.right + 1});
  }
  return shown;
}"""

# The focus indicator of the focused element: its outline and box shadow. The query field
# is borderless inside its rounded box, which draws the ring for it (:focus-within).
FOCUS_RING = """(el) => {
  const target = el.id === "q" ? el.closest(".search-box") : el;
  const cs = getComputedStyle(target);
  const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0
    ? `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}` : "";
  return {outline, shadow: cs.boxShadow === "none" ? "" : cs.boxShadow};
}"""

DESCRIBE = """(el) => el.id ? "#" + el.id :
  `${el.tagName.toLowerCase()}${el.className ? "." + el.className : ""} ${el.textContent.trim().slice(0, 40)}`"""

TAB_STOPS = """() => Array.from(document.querySelectorAll(
  "a[href], button:not([disabled]), input:not([type=hidden]), select, textarea, [tabindex]"
)).filter((el) => el.tabIndex >= 0 && (el.offsetParent !== null || el.classList.contains("skip-link"))).length"""


@pytest.mark.parametrize(
    ("width", "height", "path"),
    [
        (360, 740, "/"),
        (360, 740, "/?q=udsættelser"),
        (320, 640, "/"),
        (768, 1024, "/?q=udsættelser"),
        (1280, 900, "/"),
    ],
)
def test_placeholder_is_never_cut_off(page, width: int, height: int, path: str) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path)
    box = page.get_by_label("Søg i vidensbanken")
    box.fill("")  # a results page has the question in the field: empty it to see the hint
    shown = page.evaluate(VISIBLE_PLACEHOLDER)
    assert len(shown) == 1, shown  # one hint, never two on top of each other
    (hint,) = shown
    assert hint["text"].startswith("Søg i"), hint
    assert hint["width"] <= hint["room"], hint
    assert hint["overflow"] <= 0, hint
    assert hint.get("inside", True), hint
    if width >= 1280:
        assert hint["kind"] == "native" and "udsættelser" in hint["text"]
    box.fill("lejer")
    assert page.evaluate(VISIBLE_PLACEHOLDER) == []  # typing hides the hint
    assert box.get_attribute("placeholder").startswith("Søg i AlmenNets erfaringer")


def test_every_control_on_the_start_page_shows_keyboard_focus(page) -> None:
    # Without motion the ring is drawn at once (no .15 s transition), so a ring is measured
    # as it ends up, not halfway (the page honours prefers-reduced-motion).
    page.emulate_media(reduced_motion="reduce")
    page.goto("/")
    rings: dict[str, tuple[object, dict[str, str]]] = {}
    for _ in range(120):  # once round the page: the tab order wraps past its end
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        if page.evaluate("(el) => el === document.body", focused):
            continue
        name = page.evaluate(DESCRIBE, focused)
        if name in rings:
            break
        rings[name] = (focused, page.evaluate(FOCUS_RING, focused))
    assert {"#q", "a.skip-link Gå til indhold"} <= set(rings), list(rings)
    assert len(rings) == page.evaluate(TAB_STOPS), list(rings)
    page.evaluate("document.activeElement.blur()")
    unseen = []
    for name, (element, focused) in rings.items():
        rest = page.evaluate(FOCUS_RING, element)
        if not (focused["outline"] or focused["shadow"]) or focused == rest:
            unseen.append((name, focused, rest))
    assert not unseen, unseen

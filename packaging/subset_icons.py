"""Cut calldesk's icon font: the Phosphor glyphs ``calldesk.ui.icons.ICONS`` names, nothing else.

    python packaging/subset_icons.py [OUT]

Reads the Phosphor font and charmap that qtawesome ships (``pip install qtawesome fonttools``;
both only for this script), checks that every code point in ``ICONS`` still names the glyph it
says, and writes the subset (default ``resources/icons/phosphor-calldesk.ttf``, ~5 KB instead of
1.4 MB). The window loads that file at start-up without importing qtawesome. Run it after
changing ``ICONS`` and commit the font. Phosphor is MIT-licensed
(``resources/icons/LICENSE-phosphor``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from calldesk.ui.icons import FONT_FILE, ICONS  # noqa: E402


def phosphor_files() -> tuple[Path, Path]:
    """qtawesome's Phosphor font and its name → code point map."""
    spec = importlib.util.find_spec("qtawesome")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("qtawesome is not installed (pip install qtawesome)")
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return next(iter(sorted(fonts.glob("phosphor-[0-9]*.ttf")))), next(
        iter(sorted(fonts.glob("phosphor-charmap-*.json")))
    )


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "icons" / FONT_FILE
    font_file, charmap_file = phosphor_files()
    charmap = {name: int(code, 16) for name, code in json.loads(charmap_file.read_text()).items()}
    wrong = [
        f"{key}: {name} is {charmap.get(name, 0):#x} in {charmap_file.name}, ICONS says {code:#x}"
        for key, (name, code) in ICONS.items()
        if charmap.get(name) != code
    ]
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        return 1
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the family name Qt registers the font under
    options.notdef_outline = True
    options.layout_features = []
    font = subset.load_font(str(font_file), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for _name, code in ICONS.values()])
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), options)
    print(f"{out}: {len(ICONS)} glyphs, {out.stat().st_size} bytes (from {font_file.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

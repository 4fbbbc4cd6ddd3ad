"""Reading a chapter's Markdown as blocks, and counting what a slide shows.

Chapter: 00_how_to_use_this_course (for instructors; used by :mod:`.lecture`).

:func:`_blocks` splits a Markdown cell into headings, paragraphs, lists, display math and code
fences; :func:`visible_words` counts the words a projected slide shows (each formula counts as
one); :func:`truncate_words` cuts text at a word boundary.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_MATH_OPEN = re.compile(r"^ {0,3}(\$\$|\\begin\{([A-Za-z]+\*?)\})")
_LIST_ITEM = re.compile(r"^( *)([-*+]|\d{1,3}[.)])\s+(.*)$")
_INTERRUPTS = re.compile(r"^ {0,3}([-*+]|1[.)])\s+\S")       # a list that may start right below a paragraph
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_MATH_SPAN = re.compile(r"\$\$.+?\$\$|\\begin\{([A-Za-z]+\*?)\}.*?\\end\{\1\}|\\\[.+?\\\]|\\\(.+?\\\)"
                        r"|(?<![\\$])\$(?=\S)[^$\n]*?(?<![\s\\])\$(?!\$)", re.S)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w")


def visible_words(markdown: str) -> int:
    """Words a slide shows for this Markdown: text after dropping tags, link targets and math, plus
    one per math span (inline or display), so that an equation weighs what a word does."""
    text = _CODE_SPAN.sub(lambda m: f" {m.group(2)} ", markdown)
    text, maths = _MATH_SPAN.subn(" ", text)
    text = _TAG.sub(" ", _LINK.sub(lambda m: f" {m.group(1)} ", text))
    return maths + sum(1 for w in text.split() if _WORD.search(w))


def _atoms(markdown: str) -> list[str]:
    """Markdown cut at spaces, with code spans, math and links kept whole (truncation never splits them)."""
    kept: list[str] = []

    def hold(m: re.Match) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    held = re.sub(f"{_CODE_SPAN.pattern}|{_MATH_SPAN.pattern}|{_LINK.pattern}", hold, markdown, flags=re.S)
    return [re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], a) for a in held.split()]


def truncate_words(markdown: str, budget: int) -> str:
    """``markdown`` cut at a word boundary to at most ``budget`` visible words, with "…" when cut."""
    if visible_words(markdown) <= budget:
        return markdown
    kept: list[str] = []
    for atom in _atoms(markdown):
        if visible_words(" ".join(kept + [atom])) > budget:
            break
        kept.append(atom)
    text = " ".join(kept).rstrip(",;:—–-") + "…"
    if text.count("**") % 2:
        text += "**"
    if text.replace("**", "").count("*") % 2:
        text += "*"
    return text


def _blocks(source: str) -> list[tuple[str, object]]:
    """A Markdown cell as blocks: ("heading", (level, text)), ("math", tex), ("list", (items, raw)),
    ("text", markdown). Lists keep their top-level items; nested items stay in ``raw`` only."""
    lines, blocks, i = source.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        heading, fence, math = _HEADING.match(line), _FENCE.match(line), _MATH_OPEN.match(line)
        if heading:
            blocks.append(("heading", (len(heading.group(1)), heading.group(2))))
            i += 1
        elif fence:
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence.group(1)):
                j += 1
            blocks.append(("text", "\n".join(lines[i:j + 1])))
            i = j + 1
        elif math:
            close = "$$" if math.group(1) == "$$" else f"\\end{{{math.group(2)}}}"
            rest, j = line[math.end():], i
            while close not in rest and j + 1 < len(lines):
                j += 1
                rest = lines[j]
            blocks.append(("math", "\n".join(lines[i:j + 1]).strip()))
            i = j + 1
        elif _LIST_ITEM.match(line) and len(_LIST_ITEM.match(line).group(1)) <= 3:
            j = i + 1
            while j < len(lines):
                nxt = lines[j]
                if not nxt.strip():
                    k = j
                    while k < len(lines) and not lines[k].strip():
                        k += 1
                    if k < len(lines) and (lines[k].startswith("  ") or _LIST_ITEM.match(lines[k])):
                        j = k
                        continue
                    break
                if _HEADING.match(nxt) or (_MATH_OPEN.match(nxt) and not nxt.startswith("  ")):
                    break
                j += 1
            raw = "\n".join(lines[i:j])
            indent = len(_LIST_ITEM.match(line).group(1))
            items: list[str] = []
            nested = False
            for item_line in lines[i:j]:
                m = _LIST_ITEM.match(item_line)
                if m and len(m.group(1)) <= indent:
                    items.append(m.group(3).strip())
                    nested = False
                elif m:
                    nested = True
                elif item_line.strip() and not nested and items:
                    items[-1] += " " + item_line.strip()
            blocks.append(("list", (items, raw)))
            i = j
        else:
            j = i + 1
            while j < len(lines) and lines[j].strip() and not (
                    _HEADING.match(lines[j]) or _FENCE.match(lines[j]) or _MATH_OPEN.match(lines[j])
                    or _INTERRUPTS.match(lines[j])):
                j += 1
            blocks.append(("text", "\n".join(lines[i:j])))
            i = j
    return blocks

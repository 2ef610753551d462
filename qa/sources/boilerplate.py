"""Boilerplate removal: newsletter sign-ups, donation appeals, button labels and site chrome.

Three signals, all paragraph-level (a paragraph is one non-empty line):

* recurrence: a paragraph found in several articles of a set is site chrome
  (:func:`paragraph_keys` per article, counted by the caller, :func:`recurring_keys`);
* cues: phrases like "sign up for our newsletter" or "dear readers" flag a paragraph,
  strongly or weakly (:func:`_kind`);
* position: flagged paragraphs and short button labels ("Once", "Continue") cluster at the
  start or end of an article, so a dense run there is cut as a whole region.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from qa.errors import InvalidInput
from qa.types import Article

logger = logging.getLogger(__name__)

# Phrases that (almost) never occur in reporting, only in site chrome and appeals.
_STRONG_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bsign(?:ing)?[ -]?up\b.{0,40}\bnewsletters?\b",
        r"\b(?:our|free)\s+(?:\w+\s+){0,2}newsletters?\b",
        r"\bsubscribe (?:to (?:our|the newsletter)|now|today|here)\b",
        r"\bsupport (?:us|our (?:work|journalism|reporting|newsroom))\b",
        r"\byour support\b",
        r"\bsupport(?:ing)? (?:independent|quality|our) (?:journalism|reporting|media)\b",
        r"\bwe need your help\b",
        r"\b(?:delivered|straight|sent) to your inbox\b",
        r"\bget (?:our|the) (?:\w+ )?(?:briefing|newsletter|digest|bulletin)\b",
        r"\bdear readers?\b",
        r"\bmak(?:e|ing) a (?:\w+ )?(?:donation|contribution) (?:today|now|to (?:us|our))\b",
        r"\bdonate (?:now|today|here)\b",
        r"\bevery contribution\b",
        r"\bbecome a (?:member|supporter|subscriber|patron)\b",
        r"\bthank you for (?:reading|your support|supporting|standing with us)\b",
        r"\bwe use cookies\b",
        r"\b(?:this|our) (?:site|website) uses cookies\b",
        r"\baccept (?:all )?cookies\b",
        r"\bcookie (?:settings|preferences)\b",
        r"\b(?:agree|consent)\w* to (?:the|our) (?:privacy|cookie) policy\b",
        r"\bour (?:privacy|cookie) policy\b",
        r"\bshare this (?:article|story|page|post)\b",
        r"\bshare (?:on|via) (?:facebook|twitter|x|whatsapp|linkedin|email)\b",
        r"\bfollow us\b",
        r"\bclick here\b",
        r"\bread more\b",
        r"\brelated (?:articles|stories|content|coverage)\b",
        r"\ball rights reserved\b",
        r"©|\(c\)\s*\d{4}\b",
        r"\bpa[yi]ment methods?\b",
        r"\bremind me later\b",
        r"\bnot ready to\b",
        r"\bskip to (?:main )?content\b",
    )
)

# Words that appear in chrome but also in ordinary reporting ("subscribers saw bills rise").
_WEAK_CUES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bnewsletters?\b",
        r"\bunsubscribe\b",
        r"\bprivacy (?:notice|statement)\b",
        r"\bsubscri(?:be|bed|bers?|ptions?)\b",
        r"\bsign(?:ing)?[ -]?up\b",
        r"\bdonat(?:e|es|ed|ing|ions?)\b",
        r"\bcontributions?\b",
        r"\bindependent journalism\b",
        r"\ba message from\b",
        r"\badvertisements?\b|\bsponsored\b",
        r"\bcookies?\b",
        r"\b(?:privacy|cookie) policy\b|\bterms of (?:use|service)\b",
    )
)

# A headline that is itself an appeal: "Support The Moscow Times!", "Subscribe".
_NOISE_TITLE = re.compile(
    r"^(?:please\s+)?(?:support|subscribe|donate|contribute|sign\s+(?:up|in)|log\s*in|register)"
    r"(?:\s+(?:to|us|our|the)\b|\s*!?\s*$)",
    re.IGNORECASE,
)
_PARAGRAPH = re.compile(r"\S(?:[^\n]*\S)?")
_NON_WORD = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"\w[.!?…][\"'”’)\]]*(?:\s|$)")
_LABEL_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")

_BODY, _LABEL, _WEAK, _STRONG = 0, 1, 2, 3
_SHORT_WORDS = 25  # longer paragraphs need a strong cue or several weak ones
_LABEL_WORDS = 4
# Ordinary paragraphs in a row a boilerplate region may span (the prose of an appeal).
_MAX_GAP = 3
_SMALL_SET = 10


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the non-empty lines of ``text``, surrounding whitespace excluded."""
    return [match.span() for match in _PARAGRAPH.finditer(text)]


def paragraph_key(paragraph: str) -> str:
    """Fingerprint of a paragraph that ignores case, punctuation and spacing (sha1 hex)."""
    normalised = _NON_WORD.sub(" ", paragraph.casefold()).strip()
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def paragraph_keys(text: str) -> set[str]:
    """Keys of the paragraphs of ``text``, for counting in how many articles each recurs."""
    return {paragraph_key(text[start:end]) for start, end in split_paragraphs(text)}


def recurring_keys(counts: Mapping[str, int], n_articles: int, min_articles: int = 3) -> frozenset[str]:
    """Keys found in at least ``min_articles`` distinct articles of a set of ``n_articles``.

    In a set of fewer than 10 articles a key must also be in more than half of them: there,
    a few near-duplicate stories sharing paragraphs are likelier than a site footer.
    A set smaller than ``min_articles`` has no recurring keys.

    Args:
        counts: key -> number of distinct articles containing it (sum of :func:`paragraph_keys`).
        n_articles: size of the set the counts were taken over.
        min_articles: fewest articles a paragraph must appear in; at least 2.

    Raises:
        InvalidInput: if ``min_articles`` is below 2 (every paragraph would count as recurring).
    """
    if min_articles < 2:
        raise InvalidInput(
            f"min_articles={min_articles} would mark every paragraph as boilerplate; use min_articles>=2"
        )
    threshold = min_articles
    if n_articles < _SMALL_SET:
        threshold = max(threshold, n_articles // 2 + 1)
    return frozenset(key for key, count in counts.items() if count >= threshold)


def strip_boilerplate(article: Article, recurring: frozenset[str] = frozenset()) -> Article:
    """Remove boilerplate paragraphs from an article, and replace a boilerplate headline.

    Removed: paragraphs whose key is in ``recurring``; a dense boilerplate region at the start
    or end (flagged paragraphs plus the button labels among them); strongly flagged paragraphs
    anywhere. If the title is itself an appeal ("Support Us!", "Subscribe"), the first
    heading-like paragraph before the body becomes the title. The new text is the kept
    paragraphs joined by blank lines.

    Returns:
        ``article`` itself when nothing is boilerplate, or when cleaning would leave no
        paragraph with a full sentence; otherwise a new Article.
    """
    paragraphs = [article.text[start:end] for start, end in split_paragraphs(article.text)]
    kinds = [_STRONG if paragraph_key(p) in recurring else _kind(p) for p in paragraphs]
    removed = {i for i, kind in enumerate(kinds) if kind == _STRONG}
    trailing = _region_start(kinds)
    if trailing is not None:
        removed.update(range(trailing, len(kinds)))
    leading = _region_start(kinds[::-1])
    if leading is not None:
        removed.update(range(len(kinds) - leading))
    kept = [i for i in range(len(paragraphs)) if i not in removed]

    title = article.title
    if _is_noise_title(title):
        heading = _find_heading([paragraphs[i] for i in kept], [kinds[i] for i in kept])
        if heading is None:
            logger.debug(
                "%s: title %r looks like boilerplate but no heading replaces it",
                article.id,
                title,
            )
        else:
            title = paragraphs[kept[heading]]
            del kept[heading]

    if not removed and title == article.title:
        return article
    if not any(_has_sentence(paragraphs[i]) for i in kept):
        logger.debug("%s: cleaning would leave no full sentence; kept as is", article.id)
        return article
    logger.debug(
        "%s: removed %d of %d paragraphs",
        article.id,
        len(paragraphs) - len(kept),
        len(paragraphs),
    )
    return replace(article, title=title, text="\n\n".join(paragraphs[i] for i in kept))


def _kind(paragraph: str) -> int:
    """Classify a paragraph as body, button label, weakly or strongly flagged boilerplate.

    Any cue flags a short paragraph; a long one (> 25 words) needs a strong cue or two weak
    ones, and is strong only with a strong cue plus another, so that "voted to support the
    bill" or one mention of a privacy policy in a report never removes it.
    """
    words = len(paragraph.split())
    # Weak cues are sought outside the strong ones, so that no phrase counts twice.
    strong = 0
    residue = paragraph
    for cue in _STRONG_CUES:
        residue, found = cue.subn(" ", residue)
        strong += found > 0
    weak = sum(1 for cue in _WEAK_CUES if cue.search(residue))
    label = words <= _LABEL_WORDS and not _LABEL_END.search(paragraph)
    if label and (strong or weak):
        return _STRONG
    if words <= _SHORT_WORDS:
        if strong:
            return _STRONG
        if weak:
            return _WEAK
    elif strong:
        return _STRONG if strong + weak >= 2 else _WEAK
    elif weak >= 2:
        return _WEAK
    return _LABEL if label else _BODY


def _region_start(kinds: Sequence[int]) -> int | None:
    """Start of the boilerplate region that ends the sequence, or None if there is none.

    The earliest flagged paragraph from which, to the end: at least half the paragraphs are
    flagged or labels, at least two are flagged and one strongly, no more than ``_MAX_GAP``
    ordinary paragraphs come in a row, and the last paragraph is not an ordinary one.
    """
    if not kinds or kinds[-1] == _BODY:
        return None
    for start, kind in enumerate(kinds):
        if kind < _WEAK:
            continue
        region = kinds[start:]
        noisy = sum(1 for k in region if k != _BODY)
        flagged = sum(1 for k in region if k >= _WEAK)
        if 2 * noisy >= len(region) and flagged >= 2 and _STRONG in region and _longest_gap(region) <= _MAX_GAP:
            return start
    return None


def _longest_gap(kinds: Sequence[int]) -> int:
    """Longest run of ordinary paragraphs."""
    longest = run = 0
    for kind in kinds:
        run = run + 1 if kind == _BODY else 0
        longest = max(longest, run)
    return longest


def _is_noise_title(title: str) -> bool:
    """Whether a headline is an appeal or UI text rather than a headline."""
    stripped = title.strip()
    if not stripped:
        return True
    return len(stripped.split()) <= 6 and (bool(_NOISE_TITLE.search(stripped)) or _kind(stripped) == _STRONG)


def _find_heading(paragraphs: Sequence[str], kinds: Sequence[int]) -> int | None:
    """Index of the first heading-like paragraph before the first body sentence, if any."""
    for index, (paragraph, kind) in enumerate(zip(paragraphs, kinds, strict=True)):
        if _has_sentence(paragraph) and not _is_heading(paragraph):
            return None
        if kind < _WEAK and _is_heading(paragraph):
            return index
    return None


def _is_heading(paragraph: str) -> bool:
    """Three to twenty words, not ending like a sentence or clause (a question or '!' may)."""
    return 3 <= len(paragraph.split()) <= 20 and paragraph.rstrip()[-1] not in ".,;:…"


def _has_sentence(paragraph: str) -> bool:
    """Whether a paragraph holds at least one full sentence (five words and an end mark)."""
    return len(paragraph.split()) >= 5 and bool(_SENTENCE_END.search(paragraph))

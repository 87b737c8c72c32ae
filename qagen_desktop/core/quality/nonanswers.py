"""Answers that answer nothing: "N/A", "I don't know", "The text does not say", in the languages
the checks know.

An answer is a non-answer when its first clause (up to the first . , ; : ! ? or their CJK forms),
folded, is one of these phrases, or starts with a phrase of two words or more (or, in scripts
without spaces, of three characters or more). A lead-in such as "According to the text," is
skipped first. Matching whole phrases at the start, never as a substring, keeps real answers
such as "Unknown soldiers are buried there" or "None of the workers were paid".
"""

from __future__ import annotations

import re

from qagen_desktop.core.quality.text import fold, fold_words, is_spaceless

_PHRASES = """
n a|na|n/a|none|nothing|unknown|not known|unclear|not applicable|no answer|no information
not mentioned|not stated|not specified|not given|not provided|not available|not sure|no idea
no data|no comment|not in the text|not found|cannot say|can't say|can not say|nobody knows
i don't know|i dont know|i do not know|i am not sure|i'm not sure|i cannot answer|i can't answer
i can not answer|i cannot tell|i can't tell|i have no idea|i am unable to answer
it is not mentioned|it is not stated|it is unclear|it is not specified|it isn't mentioned
it's not mentioned|it's unclear|it does not say|it doesn't say|that is not mentioned
the text does not say|the text doesn't say|the text does not mention|the text doesn't mention
the text does not specify|the text doesn't specify|the text does not state|the text doesn't state
the text does not provide|the text doesn't provide|the text does not contain
the text does not give|the text is silent|the text says nothing
the passage does not say|the passage doesn't say|the passage does not mention
the passage doesn't mention|the document does not say|the document does not mention
the article does not say|the article does not mention|the context does not say
the context does not mention|the context does not provide|the provided text does not
there is no information|there is no mention|no information is given|no information is provided
no information is available|this is not mentioned|this is not stated|this information is not
information not available|not enough information|insufficient information|cannot be determined
can't be determined|cannot be answered|can't be answered|it cannot be determined
je ne sais pas|aucune idée|inconnu|inconnue|non mentionné|non précisé|non spécifié|pas mentionné
le texte ne dit pas|le texte ne le dit pas|le texte ne mentionne pas|le texte ne précise pas
le texte n'en parle pas|aucune information|pas d'information|ce n'est pas mentionné
cela n'est pas mentionné|il n'est pas précisé|non disponible|sans objet
ich weiß es nicht|ich weiß nicht|weiß nicht|keine ahnung|unbekannt|nicht bekannt|nicht erwähnt
nicht angegeben|keine angabe|keine angaben|keine information|keine informationen
der text sagt nichts|der text sagt es nicht|der text erwähnt nicht|der text erwähnt das nicht
im text nicht erwähnt|wird nicht erwähnt|es wird nicht erwähnt|wird im text nicht erwähnt
es wird im text nicht erwähnt|nicht im text|entfällt
no lo sé|no sé|no se sabe|desconocido|desconocida|no se menciona|no mencionado|no especificado
no se especifica|no se indica|el texto no dice|el texto no lo dice|el texto no menciona
el texto no especifica|no hay información|sin información|no disponible|no aplica
não sei|eu não sei|desconhecido|desconhecida|não mencionado|não é mencionado|não especificado
o texto não diz|o texto não menciona|o texto não especifica|não há informação|sem informação
não disponível|não se aplica
non lo so|non so|sconosciuto|sconosciuta|non menzionato|non è menzionato|non specificato
il testo non dice|il testo non lo dice|il testo non menziona|il testo non specifica
nessuna informazione|non ci sono informazioni|non disponibile|non applicabile
不知道|我不知道|不清楚|未知|无|没有|不详|未提及|没有提到|没有提及|文中没有提到|文中未提及
文中没有提及|文本没有提到|文本未提及|原文没有提到|原文未提及|文中未说明|没有相关信息|无相关信息
无法确定|无法回答|不确定|未说明|未指明|文中没有说明
わかりません|分かりません|わからない|分からない|不明|記載なし|記載されていません|記載がありません
言及されていません|本文には記載がありません|本文に記載はありません|本文では言及されていません
情報がありません|該当なし|なし|特になし
"""

_LEAD_INS = """
according to the text|according to the passage|based on the text|based on the passage
from the text|in the text|selon le texte|d'après le texte|laut dem text|laut text|im text
según el texto|de acuerdo con el texto|segundo o texto|de acordo com o texto|secondo il testo
根据文本|根据原文|根据文中|本文によると|本文では
"""

_CLAUSE_END = re.compile(r"[.,;:!?。，、；：！？\n]")


def _folded(lines: str) -> frozenset[str]:
    return frozenset(fold_words(p) for p in lines.replace("\n", "|").split("|") if p.strip())


_WHOLE = _folded(_PHRASES)
_LEAD_IN = _folded(_LEAD_INS)


def _by_first(phrases: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The phrases that may lead an answer, by first word (first character where there are no
    spaces), so an answer is compared with a handful of them, not all."""
    found: dict[str, list[str]] = {}
    for phrase in phrases:
        if is_spaceless(phrase) and len(phrase) >= 3:
            found.setdefault(phrase[0], []).append(phrase)
        elif " " in phrase:
            found.setdefault(phrase.split(" ", 1)[0], []).append(phrase + " ")
    return {first: tuple(group) for first, group in found.items()}


_LEADING = _by_first(_WHOLE)
# What a non-answer's first word (or, without spaces, its first character) can be: an answer that
# starts otherwise, as nearly all do, is settled by one look-up.
_OPENERS = frozenset(
    [p.split(" ", 1)[0] for p in _WHOLE | _LEAD_IN]
    + [p[0] for p in _WHOLE | _LEAD_IN if is_spaceless(p)]
)
_FIRST_WORD = re.compile(r"[^\W_]+")


def is_non_answer(answer: str) -> bool:
    """Whether ``answer`` says that there is no answer (see the module docstring)."""
    # The first word of the folded answer is the first word of its first clause that holds one:
    # clauses end at punctuation, never inside a word.
    # (An ASCII answer folds to its lower case, where words are cut alike: only its first word
    # is lowered.)
    ascii = answer.isascii()
    first_word = _FIRST_WORD.search(answer if ascii else fold(answer))
    if first_word is None:
        return False
    word = first_word.group().lower() if ascii else first_word.group()
    if word not in _OPENERS and word[0] not in _OPENERS:
        return False
    # Only the first clauses matter: a lead-in, then the phrase. They are folded one by one, as
    # needed: most answers are settled by their first.
    clauses = (fold_words(part) for part in _CLAUSE_END.split(answer, maxsplit=3)[:3])
    first = next((c for c in clauses if c), "")
    if first in _LEAD_IN:
        first = next((c for c in clauses if c), "")
    if not first:
        return False
    if first in _WHOLE:
        return True
    candidates = _LEADING.get(first.split(" ", 1)[0], ()) + _LEADING.get(first[0], ())
    spaced = first + " "
    return any(spaced.startswith(phrase) for phrase in candidates)

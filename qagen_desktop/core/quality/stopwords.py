"""Words that carry no content of their own, in the languages the checks know.

They are left out when the checks compare an answer with its chunk or a question with the others:
"the", "is" and "of" prove nothing about grounding, and "What is it that X does?" asks what
"What does X do?" asks. Interrogatives are not here: they say what a question is after, so the
question index keeps them apart (``INTERROGATIVES``).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ENGLISH = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each either else even ever
few for from further had has have having he her here hers herself him himself his i if in into is
it its itself just let me might more most much must my myself nor of off on once only or other
ought our ours ourselves out over own per regarding concerning same shall she should so some such
than that the their theirs them themselves then there these they this those through thus to too
under until up upon us very via was we were what's whats while whom will with within without would
you your yours yourself yourselves s t ll ve re d m thing things
"""
_FRENCH = """
au aux avec ce ces cette dans de des du elle elles en est et eux il ils je la le les leur leurs lui
ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sont sur ta te
tes toi ton tu un une vos votre vous c d j l m n s t y été être fait sont ont avait était
"""
_GERMAN = """
aber als am an auch auf aus bei bin bis bist da dadurch daher darum das dass dein deine dem den der
des dessen die dies diese dieser dieses doch dort du durch ein eine einem einen einer eines er es
euer eure für hatte hatten hattest hattet hier hinter ich ihr ihre im in ist ja jede jedem jeden
jeder jedes jener jenes jetzt kann kannst können könnt machen mein meine mit muß musst müssen
nach nachdem nein nicht nun oder seid sein seine sich sie sind so über um und uns unser unsere
unter vom von vor wann war waren warst was weiter wenn werde werden werdet wie wir wird wirst wo
zu zum zur
"""
_SPANISH = """
al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella
ellas ellos en entre era es esa esas ese eso esos esta estas este esto estos fue fueron ha han hay
la las le les lo los más me mi mis mucho muy nada ni nos o os otra otro para pero poco por porque
que quien se ser si sin sobre son su sus también te tiene tu tus un una uno unos y ya yo
"""
_PORTUGUESE = """
ao aos as à às com como da das de dela dele do dos e ela elas ele eles em entre era essa esse esta
este eu foi foram há isso isto já lhe mais mas me mesmo meu minha muito na nas nem no nos nós num
numa o os ou para pela pelas pelo pelos por qual quando que se sem ser seu seus sua suas também
te tem um uma umas uns você
"""
_ITALIAN = """
a ad al alla alle allo agli ai anche che chi ci come con da dal dalla dei del della delle dello di
e ed era è gli ha hanno i il in io la le lo ma mi ne nei nel nella noi non o per più quale quando
questa questo se si sono su sua sue suo suoi tra un una uno vi
"""

STOPWORDS: frozenset[str] = frozenset(
    " ".join((_ENGLISH, _FRENCH, _GERMAN, _SPANISH, _PORTUGUESE, _ITALIAN)).split()
)

# The words a question uses to ask, in each language: kept apart from the content words, since
# "Who built X?" and "When was X built?" are different questions about the same thing.
INTERROGATIVES: frozenset[str] = _words(
    """
    what which who whom whose when where why how
    quoi quel quelle quels quelles qui quand où pourquoi comment combien
    welche welcher welches wer wem wen wessen wann wo warum wieso wie
    qué cuál cuáles quién quiénes cuándo dónde por qué cómo cuánto cuántos
    quais quem onde porque quanto quantos
    cosa quale quali chi quando dove perché come quanto quanti
    """
)
# Spelling variants an interrogative folds to (accents are folded before this is used).
INTERROGATIVE_ALIASES: dict[str, str] = {"which": "what", "whom": "who"}

# Requests that ask without a question mark ("Name the three ...", "Explain why ..."), and the
# words that open a yes/no question without one ("Is the licence free"): an English question
# with none of these, no question word and no "?" is a statement.
ASKING_VERBS: frozenset[str] = _words(
    """
    explain describe name list define give state summarize summarise identify compare contrast
    outline tell provide discuss mention specify calculate find show write translate classify
    complete choose select determine evaluate analyse analyze illustrate clarify elaborate
    distinguish enumerate estimate predict recommend suggest justify prove solve convert rewrite
    paraphrase interpret assess examine infer whether
    """
)
QUESTION_OPENERS: frozenset[str] = _words(
    "is are was were am do does did can could will would shall should may might must has have "
    "had true"
)

# Words that frame a question about a text without adding to it: "What does the text say about
# X?" asks about X, and so does "What is the name of X?"; "What do you want to do?" and "What is
# your answer?" ask about nothing.
QUESTION_FRAMING: frozenset[str] = _words(
    """
    text passage document article excerpt author writer say says said state states stated
    mention mentions mentioned describe describes described according explain explains
    tell tells told name names named want wants wanted question questions answer answers
    """
)

# Answers to yes/no questions: they add to the question but need no support from the text.
YES_NO: frozenset[str] = _words("yes no true false oui non ja nein sí si não sim nao vero falso")

# Words that deny: "No, it is not free" to "Is it free?" is a no, adding no claim of its own.
# (English contractions lose their "t": "isn't" is "isn" and "t".)
NEGATIONS: frozenset[str] = _words(
    """
    not never neither isn aren wasn weren doesn don didn hasn haven hadn cannot couldn wouldn
    shouldn kein keine keinen keiner jamais nunca mai
    """
)

# Chinese function characters: a character bigram holding one carries little content.
CJK_FUNCTION_CHARS: frozenset[str] = frozenset("的了是在和与于及也之其这那个把被着过吗呢吧啊")
# Japanese particles and endings, left out when a question's characters are compared.
KANA_PARTICLES: frozenset[str] = frozenset("のはがをにでともかすへやねよ")

_NUMBERS = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty
"""
# English numbers written as words, in order from zero.
NUMBER_WORDS: tuple[str, ...] = tuple(_NUMBERS.split())

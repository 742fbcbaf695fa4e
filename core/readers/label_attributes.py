"""Kinematic attributes a label names: side, limb, direction, rotation, travel, turning, lean, posture order and
repetition, read from English label text. numpy-free and torch-free.

Conventions (checked on real clips, see core/skeleton/attributes.py and README "Attribute term"):
- left / right are always the performer's own (anatomical) sides, never the camera's. UTD-MHAD's "right arm
  swipe to the left" moves the right hand towards the performer's left in 28 of 32 clips (32 of 32 for "to the
  right"); GTU's name_clear, Bandai-Namco, Kinder-Gator and HDM05 name the anatomical side too.
- clockwise / counter-clockwise are as the performer sees their own hand path (looking forward, through the
  circle), which is how UTD-MHAD means them: all 32 "clockwise" clips turn clockwise seen from behind the
  performer and all 32 "counter clockwise" ones the other way. A camera facing the performer sees the opposite.
- forward / backward are the performer's facing direction; up is against gravity.

A label that names none of these gets no attribute at all ({}), hence no attribute term.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute: the values a label may name and, where the skeleton can show it, "none" is measured too."""

    values: tuple[str, ...]
    doc: str


# The vocabulary, as data. Keys are what parse_label_attributes returns and core.skeleton.attributes measures.
ATTRIBUTES = {
    "side": AttributeSpec(("left", "right", "both"),
                          "side of the acting limb, the performer's own; both = the two limbs together"),
    "limb": AttributeSpec(("arm", "leg", "body"), "acting limb: hand/arm, foot/leg, or the whole body"),
    "direction": AttributeSpec(("forward", "backward", "left", "right", "up", "down", "sideways"),
                               "main direction of the acting hand or foot, in the performer's frame; sideways = "
                               "outwards, away from the body's midline on the limb's own side"),
    "rotation": AttributeSpec(("clockwise", "counterclockwise", "forward", "backward"),
                              "sense of a hand path: clockwise / counter-clockwise as the performer sees it "
                              "(frontal plane); forward / backward for arm circles (top of the circle moving so)"),
    "travel": AttributeSpec(("forward", "backward", "left", "right", "in_place"),
                            "whole-body travel of the pelvis, in the performer's starting frame"),
    "turn": AttributeSpec(("left", "right"), "whole-body turning about the vertical (to the performer's left "
                                             "= counter-clockwise seen from above)"),
    "lean": AttributeSpec(("forward", "backward", "left", "right"), "direction the trunk tilts"),
    "posture": AttributeSpec(("sit_to_stand", "stand_to_sit", "lie_to_stand", "stand_to_lie"),
                             "order of postures over the clip"),
    "repetition": AttributeSpec(("once", "repeated"), "the movement done once or several times"),
}

_ARM = r"hand|hands|arm|arms|elbow|elbows|wrist|wrists|fist|fists|palm|palms|finger|fingers|forearm|forearms|thumb"
_LEG = r"leg|legs|foot|feet|knee|knees|ankle|ankles|heel|heels|shin|thigh"
_LIMB_WORDS = {"arm": re.compile(rf"\b({_ARM})\b"), "leg": re.compile(rf"\b({_LEG}|kick|kicks|kicking)\b")}
_SEP = r"[\s_\-]+"
_LR = r"(left|right)"
# "left" that is no side: left over, leftovers, has left, left behind; "right" that is none: all right, right away
_NOT_SIDE = re.compile(r"\bleft[\s\-]?overs?\b|\b(has|have|had|was|were|is|are|just|be|being)\s+left\b|\bleft\s+behind\b"
                       r"|\ball\s+right\b|\bright\s+(away|now|there|here)\b|\bright\s+angle")
_FLIP_LR = {"left": "right", "right": "left"}
_FLIP_FB = {"forward": "backward", "forwards": "backwards", "backward": "forward", "backwards": "forwards",
            "back": "forward"}


@dataclass
class _Match:
    attribute: str
    value: str
    start: int
    end: int
    flips: tuple = ()  # (start, end, replacement) edits that give the opposite value


def _word_spans(pattern: str, text: str, taken: list) -> list:
    """Matches of pattern in text that overlap no span already taken."""
    found = []
    for match in re.finditer(pattern, text):
        if not any(match.start() < end and start < match.end() for start, end in taken):
            found.append(match)
    return found


def _lr_flips(match, text: str, offset: int = 0) -> tuple:
    """(start, end, replacement) for every left/right word inside the match."""
    return tuple((m.start() + match.start(), m.end() + match.start(), _FLIP_LR[m.group(0)])
                 for m in re.finditer(r"\b(left|right)\b", text[match.start():match.end()]))


def _fb_flips(match, text: str) -> tuple:
    return tuple((m.start() + match.start(), m.end() + match.start(), _FLIP_FB[m.group(0)])
                 for m in re.finditer(r"\b(forwards?|backwards?)\b", text[match.start():match.end()]))


def _lateral_value(text: str) -> str:
    return re.findall(r"\b(left|right)\b", text)[-1]


_POSTURE_RULES = (  # (pattern, value, the words that swap for the opposite value)
    (rf"\b(sit|sitting){_SEP}to{_SEP}(stand|standing)\b", "sit_to_stand"),
    (rf"\b(stand|standing){_SEP}to{_SEP}(sit|sitting)\b", "stand_to_sit"),
    (rf"\b(lie|lying){_SEP}to{_SEP}(stand|standing)\b", "lie_to_stand"),
    (rf"\b(stand|standing){_SEP}to{_SEP}(lie|lying)\b", "stand_to_lie"),
    (rf"\b(sit|sits|sitting|sat){_SEP}down\b", "stand_to_sit"),
    (rf"\b(lie|lies|lying|lay){_SEP}(down|on{_SEP}the{_SEP}(floor|ground))\b", "stand_to_lie"),
    (rf"\b(stand|stands|standing|get|gets|getting|rise|rises|rising){_SEP}up\b", "sit_to_stand"),
)
_POSTURE_OPPOSITE = {"sit_to_stand": "stand_to_sit", "stand_to_sit": "sit_to_stand",
                     "lie_to_stand": "stand_to_lie", "stand_to_lie": "lie_to_stand"}
_POSTURE_PHRASE = {("stand_to_sit", "ing"): "sitting down", ("stand_to_sit", ""): "sit down",
                   ("sit_to_stand", "ing"): "standing up", ("sit_to_stand", ""): "stand up",
                   ("stand_to_lie", "ing"): "lying down", ("stand_to_lie", ""): "lie down",
                   ("lie_to_stand", "ing"): "getting up", ("lie_to_stand", ""): "get up"}


def _posture(text: str, taken: list, found: list) -> None:
    for pattern, value in _POSTURE_RULES:
        for match in _word_spans(pattern, text, taken):
            words = match.group(0)
            lying_start = value == "sit_to_stand" and not re.search(r"\bsit", words) and re.search(
                r"\b(floor|ground|lying|bed)\b", text)
            value_here = "lie_to_stand" if lying_start else value
            if re.search(rf"{_SEP}to{_SEP}", words):  # "sit to stand" <-> "stand to sit": swap the two words
                first, second = re.split(rf"{_SEP}to{_SEP}", words)
                gap = re.search(rf"{_SEP}to{_SEP}", words).group(0)
                flip = ((match.start(), match.end(), second + gap + first),)
            else:
                ing = "ing" if re.match(r"\w+ing\b", words) else ""
                flip = ((match.start(), match.end(), _POSTURE_PHRASE[(_POSTURE_OPPOSITE[value_here], ing)]),)
            found.append(_Match("posture", value_here, match.start(), match.end(), flip))
            taken.append((match.start(), match.end()))


def _rotation(text: str, taken: list, found: list) -> None:
    for match in _word_spans(r"\b(counter|anti)[\s\-]?clockwise\b|\bccw\b", text, taken):
        found.append(_Match("rotation", "counterclockwise", match.start(), match.end(),
                            ((match.start(), match.end(), "clockwise"),)))
        taken.append((match.start(), match.end()))
    for match in _word_spans(r"\bclockwise\b|\bcw\b", text, taken):
        found.append(_Match("rotation", "clockwise", match.start(), match.end(),
                            ((match.start(), match.end(), "counter clockwise"),)))
        taken.append((match.start(), match.end()))
    pattern = (r"\b(rotat\w*|circl\w*|windmill\w*|roll\w*)\b(?:\s+\w+){0,3}?\s+(forwards?|backwards?)\b"
               r"|\b(forwards?|backwards?)\s+(arm\s+)?(circles?|rotations?|rolls?)\b")
    for match in _word_spans(pattern, text, taken):
        word = re.search(r"\b(forwards?|backwards?)\b", match.group(0))
        start, end = match.start() + word.start(), match.start() + word.end()
        found.append(_Match("rotation", word.group(0).rstrip("s"), start, end, ((start, end, _FLIP_FB[word.group(0)]),)))
        taken.append((start, end))


def _sides(text: str, taken: list, found: list) -> None:
    for match in _word_spans(rf"\b{_LR}{_SEP}(foot|leg){_SEP}first\b", text, taken):  # order of steps, no side
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\b(hands?|arms?){_SEP}on{_SEP}(the|your|his|her|their){_SEP}hips\b", text, taken):
        taken.append((match.start(), match.end()))  # a held pose, not the acting limb
    both = rf"\b(both|two|2){_SEP}({_ARM}|{_LEG})\b|\b{_LR}{_SEP}(and|&){_SEP}{_LR}{_SEP}({_ARM}|{_LEG})\b"
    for match in _word_spans(both, text, taken):
        limb = "arm" if _LIMB_WORDS["arm"].search(match.group(0)) else "leg"
        found.append(_Match("side", "both", match.start(), match.end()))
        found.append(_Match("limb", limb, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\b{_LR}({_SEP}|\s*\()?({_ARM}|{_LEG}|handed|footed)\b", text, taken):
        limb = "leg" if re.search(rf"\b({_LEG}|footed)\b", match.group(0)) else "arm"
        found.append(_Match("side", match.group(1), match.start(), match.end(), _lr_flips(match, text)))
        found.append(_Match("limb", limb, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\bwith{_SEP}(the{_SEP}|your{_SEP}|his{_SEP}|her{_SEP})?{_LR}\b(?!{_SEP}(side|way))"
                             rf"|\bthe{_SEP}{_LR}{_SEP}one\b", text, taken):
        found.append(_Match("side", _lateral_value(match.group(0)), match.start(), match.end(),
                            _lr_flips(match, text)))
        taken.append((match.start(), match.end()))


def _turn_travel_lean(text: str, taken: list, found: list) -> None:
    turn = (rf"\b(turn|turns|turning|spin|spins|spinning|pivot\w*|curv\w*|veer\w*){_SEP}((to|towards?){_SEP}"
            rf"(the{_SEP})?)?{_LR}\b|\bcircle{_SEP}to{_SEP}(the{_SEP})?{_LR}\b")
    for match in _word_spans(turn, text, taken):
        found.append(_Match("turn", _lateral_value(match.group(0)), match.start(), match.end(), _lr_flips(match, text)))
        taken.append((match.start(), match.end()))
    lean = (rf"\b(lean|leans|leaning|tilt|tilts|tilting|bend|bends|bending)\b(?:{_SEP}\w+){{0,3}}?{_SEP}"
            rf"((to|towards?){_SEP}(the{_SEP})?)?(left|right|forwards?|backwards?)\b")
    for match in _word_spans(lean, text, taken):
        word = re.findall(r"\b(left|right|forwards?|backwards?)\b", match.group(0))[-1]
        value = word if word in _FLIP_LR else word.rstrip("s")
        flips = _lr_flips(match, text) if word in _FLIP_LR else _fb_flips(match, text)
        found.append(_Match("lean", value, match.start(), match.end(), flips))
        taken.append((match.start(), match.end()))
    sideways = rf"\b(lean|leans|leaning|tilt|tilts|tilting|bend|bends|bending)\b(?:{_SEP}\w+){{0,3}}?{_SEP}(sideways|" \
               rf"(to{_SEP})?(the|one|either|the{_SEP}other){_SEP}side)\b"
    for match in _word_spans(sideways, text, taken):  # a lean to no named side: nothing to check
        taken.append((match.start(), match.end()))
    for match in _word_spans(r"\b(bow|bows|bowing|bowed)\b", text, taken):
        found.append(_Match("lean", "forward", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    if re.search(r"\beach\s+other\b|\bother\s+person\b", text):
        return
    verbs = r"walk\w*|run|runs|running|jog\w*|sprint\w*|dash\w*|sneak\w*|steps|stepping|shuffl\w*|mov(e|es|ing)"
    if not re.search(rf"\b({verbs})\b", text):
        return
    for match in _word_spans(rf"\b(in{_SEP}place|on{_SEP}the{_SEP}spot)\b", text, taken):
        found.append(_Match("travel", "in_place", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\b((to|towards?){_SEP}(the{_SEP})?{_LR}|leftwards?|rightwards?)\b", text, taken):
        value = "left" if "left" in match.group(0) else "right"
        flips = ((match.start(), match.end(), match.group(0).replace(value, _FLIP_LR[value])),)
        found.append(_Match("travel", value, match.start(), match.end(), flips))
        taken.append((match.start(), match.end()))
    for match in _word_spans(r"\b(forwards?|backwards?|ahead)\b", text, taken):
        word = match.group(0)
        value = "forward" if word in ("forward", "forwards", "ahead") else "backward"
        flips = ((match.start(), match.end(), _FLIP_FB.get(word, "backward")),)
        found.append(_Match("travel", value, match.start(), match.end(), flips))
        taken.append((match.start(), match.end()))


def _direction(text: str, taken: list, found: list) -> None:
    for match in _word_spans(rf"\bfrom{_SEP}(the{_SEP})?{_LR}{_SEP}to{_SEP}(the{_SEP})?{_LR}\b", text, taken):
        found.append(_Match("direction", _lateral_value(match.group(0)), match.start(), match.end(),
                            _lr_flips(match, text)))
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\b((to|towards?){_SEP}(the{_SEP})?{_LR}|leftwards?|rightwards?)\b"
                             rf"|\b(push|pull|swipe|slide|swing|point|move)\w*{_SEP}{_LR}$", text, taken):
        value = "left" if re.search(r"left", match.group(0)) else "right"
        found.append(_Match("direction", value, match.start(), match.end(), _lr_flips(match, text)))
        taken.append((match.start(), match.end()))
    side = rf"\bsideways\b|\b(out{_SEP})?to{_SEP}(the|one|either|the{_SEP}other){_SEP}side\b|\bside{_SEP}(kick|kicks|raise|raises)\b"
    for match in _word_spans(side, text, taken):
        found.append(_Match("direction", "sideways", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _word_spans(r"\b(forwards?|ahead|backwards?)\b", text, taken):
        word = match.group(0)
        value = "backward" if word.startswith("backward") else "forward"
        found.append(_Match("direction", value, match.start(), match.end(),
                            ((match.start(), match.end(), _FLIP_FB.get(word, "backward")),)))
        taken.append((match.start(), match.end()))
    up = (rf"\b(raise|raises|raising|raised|lift|lifts|lifting|lifted)\b|\b(hands?|arms?){_SEP}up\b"
          rf"|\bover{_SEP}(the|his|her|your){_SEP}head\b|\boverhead\b|\b(grab|reach)\w*{_SEP}high\b")
    for match in _word_spans(up, text, taken):
        found.append(_Match("direction", "up", match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in _word_spans(rf"\b(hands?|arms?){_SEP}down\b|\blower(s|ing)?{_SEP}(the|both|one){_SEP}(hands?|arms?)\b",
                             text, taken):
        found.append(_Match("direction", "down", match.start(), match.end()))
        taken.append((match.start(), match.end()))


def _repetition(text: str, taken: list, found: list) -> None:
    once = rf"\b(once|one{_SEP}time|1{_SEP}reps?|one{_SEP}rep|single)\b"
    many = (rf"\b(twice|repeatedly|several{_SEP}times|again{_SEP}and{_SEP}again|back{_SEP}and{_SEP}forth)\b"
            rf"|\b(\d+|two|three|four|five|six|ten){_SEP}(times|jumps|jumping{_SEP}jacks|hops|kicks|punches|claps|reps)\b")
    for pattern, value in ((once, "once"), (many, "repeated")):
        for match in _word_spans(pattern, text, taken):
            found.append(_Match("repetition", value, match.start(), match.end()))
            taken.append((match.start(), match.end()))


# Directions ranked: a lateral word outranks forward/backward, which outranks up/down ("raise both arms
# sideways over the head" names sideways; "walk forward and to the left" travels left).
_RANK = {"left": 0, "right": 0, "sideways": 0, "forward": 1, "backward": 1, "up": 2, "down": 2, "in_place": 3,
         "clockwise": 0, "counterclockwise": 0}


def _matches(text: str) -> list:
    """Every attribute phrase of the label, in rule order (each later rule skips words an earlier one took)."""
    lowered = text.lower()
    taken = [(m.start(), m.end()) for m in _NOT_SIDE.finditer(lowered)]
    # "to the right and left", "left or right", "right-left": both ways, so no side or direction (but "the right
    # and left foot" names both feet: the side rule reads that before this blanks it)
    taken += [(m.start(), m.end()) for m in re.finditer(
        rf"\b{_LR}({_SEP}(and|or|&){_SEP}|[\-/]){_LR}\b(?!{_SEP}({_ARM}|{_LEG}))", lowered)]
    found: list = []
    for rule in (_posture, _repetition, _rotation, _sides, _turn_travel_lean, _direction):
        rule(lowered, taken, found)
    return found


def _resolve(found: list, text: str) -> dict:
    """attribute -> value; an attribute named with two values of the same rank ("to the right and left") is
    dropped, and the limb falls back to the limb words of the text when no side phrase named it."""
    result = {}
    for attribute in ATTRIBUTES:
        values = [m.value for m in found if m.attribute == attribute]
        if not values:
            continue
        best = min(_RANK.get(v, 0) for v in values)
        top = {v for v in values if _RANK.get(v, 0) == best}
        if len(top) == 1:
            result[attribute] = top.pop()
    if "limb" not in result and not any(m.attribute == "limb" for m in found):
        lowered = text.lower()
        named = [limb for limb, pattern in _LIMB_WORDS.items() if pattern.search(_unclaimed(lowered, found))]
        if re.search(r"\b(whole|the|with\s+the)\s+body\b", lowered):
            named = ["body"]
        if len(named) == 1:
            result["limb"] = named[0]
    return result


def _unclaimed(text: str, found: list) -> str:
    """The text with the words of hands-on-hips and similar held poses blanked out."""
    return re.sub(rf"\b(hands?|arms?){_SEP}on{_SEP}(the|your|his|her|their){_SEP}hips\b", " ", text)


def parse_label_attributes(text: str, description: str | None = None) -> dict[str, str]:
    """The attributes a label names: {"side": "right", "limb": "arm", "direction": "left"} for "right arm swipe
    to the left"; {} for a label naming none. A description may add the side, limb and rotation the name leaves
    open, when it names them unambiguously ("The left forearm lifts ..." -> side left); the name always wins."""
    result = _resolve(_matches(text), text)
    if description:
        described = _resolve(_matches(description), description)
        for attribute in ("side", "limb", "rotation"):
            if attribute in described and attribute not in result:
                result[attribute] = described[attribute]
    return result


def _apply(text: str, edits) -> str:
    out, last = [], 0
    for start, end, replacement in sorted(edits):
        original = text[start:end]
        out.append(text[last:start])
        out.append(replacement.capitalize() if original[:1].isupper() else replacement)
        last = end
    return "".join(out) + text[last:]


def opposite_label(text: str, attribute: str) -> str | None:
    """The label with one attribute's value flipped ("swipe to the left" -> "swipe to the right", "sit to stand"
    -> "stand to sit", "clockwise" -> "counter clockwise"), or None when that attribute is not named or has no
    wording to flip (a side "both", a direction "up")."""
    if attribute not in parse_label_attributes(text):
        return None
    edits = [edit for m in _matches(text) if m.attribute == attribute for edit in m.flips]
    if not edits:
        return None
    return _apply(text, set(edits))


def opposite_forms(text: str) -> dict[str, str]:
    """attribute -> the label with that attribute flipped, for every named attribute that can be flipped."""
    forms = {}
    for attribute in parse_label_attributes(text):
        flipped = opposite_label(text, attribute)
        if flipped is not None and flipped.lower() != text.lower():
            forms[attribute] = flipped
    return forms


def mirrored_label(text: str) -> str:
    """The label of the clip mirrored left <-> right: every side word swapped and clockwise <-> counter
    clockwise ("right hand draw circle (clockwise)" -> "left hand draw circle (counter clockwise)"). "left" in
    "left over" and "right" in "all right" stay. A label naming no side comes back unchanged."""
    lowered = text.lower()
    blocked = [(m.start(), m.end()) for m in _NOT_SIDE.finditer(lowered)]
    edits = []
    for match in re.finditer(r"\b(counter|anti)[\s\-]?clockwise\b|\bclockwise\b|\b(left|right)\b", lowered):
        if any(start <= match.start() < end for start, end in blocked):
            continue
        word = match.group(0)
        replacement = _FLIP_LR.get(word) or ("clockwise" if word != "clockwise" else "counter clockwise")
        edits.append((match.start(), match.end(), replacement))
    return _apply(text, edits)


def attribute_free_text(text: str) -> str:
    """The label with each attribute phrase replaced by the attribute's name in brackets: two labels with the
    same attribute-free text that name different attributes differ only in attribute words (a pair)."""
    lowered = text.lower()
    edits = [(m.start, m.end, f"<{m.attribute}>") for m in _matches(text) if m.attribute != "limb"]
    spans = []
    for start, end, replacement in sorted(edits):
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end, replacement))
    words = _apply(lowered, spans).replace("(", " ").replace(")", " ").replace(",", " ").split()
    return " ".join(w for w in words if w not in ("the", "a", "an", "your", "his", "her", "their", "with"))


def attribute_pairs(names: list[str]) -> list[tuple[int, int]]:
    """(i, j) index pairs, i < j, of labels that differ only in attribute words and name different attributes
    ("right arm swipe to the left" / "right arm swipe to the right", "sit to stand" / "stand to sit")."""
    parsed = [parse_label_attributes(name) for name in names]
    free = [attribute_free_text(name) for name in names]
    return [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))
            if free[i] == free[j] and parsed[i] and parsed[j] and parsed[i] != parsed[j]]

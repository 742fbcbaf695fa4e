"""The label editor: adding, renaming, reordering, the length limit, presets that add or replace, undo, the table."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from app.widgets.label_editor import LabelEditor
from app.widgets.label_sources import write_label_file
from app.widgets.label_table import DESCRIPTION, EMPTY_DESCRIPTION_WIDTH, NAME, SCORE
from app.widgets.label_text import MAX_LABEL_LENGTH
from core.live.scorer import LiveResult
from core.readers.label_presets import load_preset, read_label_file
from core.readers.labels import LabelSpec

TYPED = ["wave the right hand", "clap hands", "jump in place", "kick forward", "bow", "sit down", "stand up",
         "turn around"]


def result(timestamp, probs: dict, state="ok"):
    order = sorted(probs, key=probs.get, reverse=True)
    return LiveResult(timestamp=timestamp, state=state, labels=list(probs),
                      top=[{"label": k, "prob": probs[k], "score": np.log(probs[k])} for k in order]
                      if state == "ok" else [],
                      scores={k: float(np.log(v)) for k, v in probs.items()} if state == "ok" else {})


@pytest.fixture
def editor(qtbot):
    widget = LabelEditor()
    qtbot.addWidget(widget)
    widget.set_labels(["wave", "clap"], emit=False)
    widget.resize(430, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_label(qtbot, editor, name: str, description: str = ""):
    qtbot.keyClicks(editor.name_edit, name)
    if description:
        qtbot.keyClicks(editor.description_edit, description)
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)


def test_typing_a_name_and_enter_adds_it_with_its_description(qtbot, editor):
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        type_label(qtbot, editor, "jump in place", "both feet leave the floor")
    assert signal.args[0][-1] == LabelSpec("jump in place", "both feet leave the floor")
    assert editor.names() == ["wave", "clap", "jump in place"] and editor.name_edit.text() == ""
    with qtbot.assertNotEmitted(editor.sig_labels_changed):
        type_label(qtbot, editor, "  WAVE ")
    assert "already in the list" in editor.message.text() and len(editor.names()) == 3


def test_rename_delete_and_reorder(qtbot, editor):
    editor.add_label("kick")
    assert editor.rename_label("clap", "clap hands") and editor.names() == ["wave", "clap hands", "kick"]
    assert not editor.rename_label("kick", "wave"), "a rename onto an existing name is refused"
    assert not editor.rename_label("kick", "   "), "an empty name is refused"
    assert editor.names() == ["wave", "clap hands", "kick"]
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        editor.move_label("kick", -2)
    assert [label.name for label in signal.args[0]] == ["kick", "wave", "clap hands"]
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        assert editor.remove_label("wave")
    assert [label.name for label in signal.args[0]] == ["kick", "clap hands"]


def test_a_name_over_the_limit_is_refused_naming_the_limit(qtbot, editor):
    longest = ("lift the right arm sideways then the left " * 4)[:MAX_LABEL_LENGTH - 1] + "x"
    with qtbot.assertNotEmitted(editor.sig_labels_changed):
        type_label(qtbot, editor, longest + " and more")
    assert f"at most {MAX_LABEL_LENGTH}" in editor.message.text() and editor.names() == ["wave", "clap"]
    assert editor.name_edit.text() == longest + " and more", "the typed text stays, to be shortened"
    editor.name_edit.clear()
    assert editor.add_label(longest) and editor.names()[-1] == longest
    lines = editor.message.heightForWidth(editor.message.width()) / editor.message.fontMetrics().lineSpacing()
    assert lines < 2.5, f"the “Added” message takes {lines:.1f} lines"
    assert not editor.rename_label("wave", "w" * (MAX_LABEL_LENGTH + 1))
    assert f"at most {MAX_LABEL_LENGTH}" in editor.message.text() and editor.names()[0] == "wave"


def test_a_long_name_is_elided_in_the_table_with_the_full_text_as_tooltip(qtbot, editor):
    long = ("bend forward and touch the toes with both hands " * 3)[:MAX_LABEL_LENGTH].strip()
    editor.add_label(long, "the hands reach the feet")
    item = editor.tree.find(long)
    assert item.toolTip(NAME).startswith(long) and "the hands reach the feet" in item.toolTip(NAME)
    assert editor.tree.textElideMode() == Qt.TextElideMode.ElideRight
    cell = editor.tree.visualItemRect(item).width()
    assert cell < editor.fontMetrics().horizontalAdvance(long), "the name does not fit: the cell elides it"
    assert editor.tree.header().sectionSize(NAME) + editor.tree.header().sectionSize(DESCRIPTION) \
        <= editor.tree.viewport().width() + 1, "no column pushes the table wider than the dock"


def test_columns_give_names_the_room_while_no_label_has_a_description(qtbot, editor):
    header = editor.tree.header()
    assert header.sectionSize(DESCRIPTION) == EMPTY_DESCRIPTION_WIDTH
    assert header.sectionSize(NAME) > 2 * header.sectionSize(DESCRIPTION)
    assert editor.tree.headerItem().text(SCORE) == "Raw score"
    assert "negative values are normal" in editor.tree.headerItem().toolTip(SCORE)
    editor.add_label("bow", "the upper body bends forward from the hips, then comes back up")
    assert header.sectionSize(DESCRIPTION) > EMPTY_DESCRIPTION_WIDTH, "a description gets room once there is one"
    editor.load_preset("ntu60")  # names up to 35 characters, every one with a long description
    widest = max(editor.fontMetrics().horizontalAdvance(name) for name in editor.names()[:20])
    assert header.sectionSize(NAME) >= min(widest, 0.5 * editor.tree.viewport().width()), "names come first"
    assert header.sectionSize(DESCRIPTION) >= 100


def test_a_preset_replaces_the_list_and_undo_brings_the_typed_labels_back(qtbot, editor):
    editor.set_labels([], emit=False)
    for name in TYPED:
        type_label(qtbot, editor, name)
    assert editor.names() == TYPED
    replace = editor.preset_button.menu().actions()[1].menu()
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        next(action for action in replace.actions() if action.text() == "NTU RGB+D 60").trigger()
    assert signal.args[0] == load_preset("ntu60") and "Replaced 8 labels" in editor.message.text()
    assert "Undo" in editor.message.text()
    undo = next(button for button in editor.findChildren(type(editor.preset_button)) if button.text() == "Undo")
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        undo.click()
    assert [label.name for label in signal.args[0]] == TYPED and editor.names() == TYPED
    assert editor.count_label.text() == "8 labels"


def test_a_preset_can_be_added_to_the_list(qtbot, editor):
    editor.add_label("clapping")  # an NTU-60 class already typed is not repeated
    add = editor.preset_button.menu().actions()[0].menu()
    next(action for action in add.actions() if action.text() == "NTU RGB+D 60").trigger()
    ntu60 = [label.name for label in load_preset("ntu60")]
    assert editor.names()[:3] == ["wave", "clap", "clapping"]
    assert editor.names()[3:] == [name for name in ntu60 if name != "clapping"]
    assert "already in the list" in editor.message.text()
    assert editor.undo() and editor.names() == ["wave", "clap", "clapping"]
    assert editor.undo() and editor.names() == ["wave", "clap"]
    assert not editor.undo() and "Nothing to undo" in editor.message.text(), "no step before the starting list"


def test_import_export_round_trip_and_presets(qtbot, editor, tmp_path):
    editor.set_labels([LabelSpec("wave", "one hand swings side to side"), LabelSpec("clap")])
    editor.export_file(tmp_path / "labels.txt")
    assert (tmp_path / "labels.txt").read_text() == "wave\tone hand swings side to side\nclap\n"
    editor.set_labels(["other"])
    assert editor.import_file(tmp_path / "labels.txt")
    assert editor.labels() == [LabelSpec("wave", "one hand swings side to side"), LabelSpec("clap")]
    (tmp_path / "bad.txt").write_text("ok\n\tonly a description\n")
    assert not editor.import_file(tmp_path / "bad.txt") and "bad.txt:2" in editor.message.text()
    editor.load_preset("ntu60")
    assert editor.labels() == load_preset("ntu60") and editor.count_label.text() == "60 labels"


def test_import_leaves_out_names_over_the_limit(qtbot, editor, tmp_path):
    (tmp_path / "long.txt").write_text(f"kick\n{'y' * 500}\nbow\n")
    assert editor.import_file(tmp_path / "long.txt") and editor.names() == ["kick", "bow"]
    assert f"longer than {MAX_LABEL_LENGTH} characters" in editor.message.text()
    assert len(editor.message.text()) < 200


def test_scores_column_shows_each_labels_score(qtbot, editor):
    editor.set_scores(result(1.0, {"wave": 0.7, "clap": 0.3}))
    assert editor.score_text("wave") == "" and editor.refresh() and not editor.refresh()
    assert editor.score_text("wave") == f"{np.log(0.7):+.2f}" and editor.score_text("clap") != ""
    assert editor.tree.find("wave").font(NAME).bold() and not editor.tree.find("clap").font(NAME).bold()
    editor.set_scores(result(1.2, {"wave": 0.7, "clap": 0.3}, state="no person"))
    editor.refresh()
    assert editor.score_text("wave") == ""


def test_label_file_writer_matches_the_core_reader(tmp_path):
    labels = [LabelSpec("a b", "desc one"), LabelSpec("c")]
    write_label_file(tmp_path / "l.txt", labels)
    assert read_label_file(tmp_path / "l.txt") == labels

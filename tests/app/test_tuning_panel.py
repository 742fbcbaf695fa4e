"""The Tuning panel's "unsure" threshold: the model's own value by default, shown by name; a number typed in
replaces it; the choice survives a restart of the app."""

from app.settings import AppSettings, load_settings, open_store, save_settings
from app.widgets.tuning_panel import MODEL_TEXT, TuningPanel


def test_the_unsure_threshold_is_the_models_until_a_number_is_chosen(qtbot, settings_file):
    settings = AppSettings()
    assert settings.unsure_below is None and settings.scorer_config().unsure_below is None
    panel = TuningPanel(settings)
    qtbot.addWidget(panel)
    box = panel.boxes["unsure_below"]
    assert box.value() == box.minimum() and box.text() == MODEL_TEXT
    panel.show_model_value("unsure_below", 0.462)
    assert box.text() == f"{MODEL_TEXT} (0.46)"
    changes = []
    panel.sig_changed.connect(lambda name, value: changes.append((name, value)))
    box.setValue(0.6)
    box.setValue(box.minimum())
    assert changes == [("unsure_below", 0.6), ("unsure_below", None)]
    for value in (None, 0.35):
        save_settings(open_store(settings_file), AppSettings(unsure_below=value))
        assert load_settings(open_store(settings_file)).unsure_below == value

"""Fixtures of the app tests: a random model, a written .skeleton clip, temporary settings."""

import pytest
from io_fixtures import write_waving_skeleton

from core.commands.bench_pipeline import save_random_model


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A randomly initialised ST-GCN + SMIE head saved with core.model.checkpoint (real weights, untrained)."""
    return save_random_model(tmp_path_factory.mktemp("app_model"))


@pytest.fixture(scope="session")
def waving_file(tmp_path_factory):
    """8 s of waving as an NTU .skeleton file: long enough to measure while it replays at its recorded pace."""
    return write_waving_skeleton(tmp_path_factory.mktemp("clips") / "S001C001P001R001A023.skeleton", seconds=8.0)


@pytest.fixture
def settings_file(tmp_path):
    """An INI file for QSettings, so no test touches the user's settings."""
    return tmp_path / "smie-live-test.ini"


@pytest.fixture(autouse=True)
def example_folder(tmp_path, monkeypatch):
    """The example library a window opens when its settings name none: a temporary folder, never the user's."""
    folder = tmp_path / "examples"
    monkeypatch.setattr("app.example_wiring.DEFAULT_EXAMPLE_FOLDER", folder)
    return folder

"""Where ``nnscratch serve`` keeps things: each platform's own folders for an application's
cache (the preset models) and data (the user's digits and runs), found by platformdirs;
$NNSCRATCH_CACHE_DIR still comes first."""

import platformdirs
import platformdirs.macos
import platformdirs.unix

from nnscratch.web import launch


def clear_environment(monkeypatch, home):
    for variable in ("NNSCRATCH_CACHE_DIR", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(home))


def test_on_linux_the_xdg_folders_or_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.unix.Unix)
    clear_environment(monkeypatch, tmp_path / "home")
    assert launch.cache_dir() == tmp_path / "home" / ".cache" / "nnscratch"
    assert launch.data_dir() == tmp_path / "home" / ".local" / "share" / "nnscratch"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert launch.cache_dir() == tmp_path / "cache" / "nnscratch"
    assert launch.data_dir() == tmp_path / "data" / "nnscratch"


def test_on_macos_the_library_folders(monkeypatch, tmp_path):
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.macos.MacOS)
    clear_environment(monkeypatch, tmp_path)
    assert launch.cache_dir() == tmp_path / "Library" / "Caches" / "nnscratch"
    assert launch.data_dir() == tmp_path / "Library" / "Application Support" / "nnscratch"


def test_the_cache_variable_comes_before_the_platform(monkeypatch, tmp_path):
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.unix.Unix)
    clear_environment(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("NNSCRATCH_CACHE_DIR", str(tmp_path / "mine"))
    assert launch.cache_dir() == tmp_path / "mine"
    # The user's digits and runs are their data, not a cache: the variable does not move them.
    assert launch.data_dir() == tmp_path / "home" / ".local" / "share" / "nnscratch"

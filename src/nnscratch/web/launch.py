"""``nnscratch serve`` behind the CLI: find the models (files given, or the mlp and cnn presets
from a cache folder, trained on first start), bind the address, run uvicorn until Ctrl-C."""

from __future__ import annotations

import gc
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ModelFileError
from ..model import Recipe, Sequential, get_preset
from .served import ServedModel, ServedModels

if TYPE_CHECKING:
    import uvicorn

DEFAULT_PRESETS = ("mlp", "cnn")
CACHE_ENV = "NNSCRATCH_CACHE_DIR"
MODELS_ENV = "NNSCRATCH_SERVE_MODELS"  # how the worker processes learn which models to load
HOST_ENV = "NNSCRATCH_SERVE_HOST"  # and the address bound, whose names they answer to


def data_dir() -> Path:
    """Where the user's own things are kept (their digits, the runs started from the page): this
    platform's folder for an application's data, by platformdirs (on Linux $XDG_DATA_HOME/
    nnscratch, else ~/.local/share/nnscratch; on macOS ~/Library/Application Support/nnscratch)."""
    return Path(_platform_dirs().user_data_dir)


def cache_dir() -> Path:
    """Where preset models are kept: $NNSCRATCH_CACHE_DIR, else this platform's cache folder for
    an application, by platformdirs (on Linux $XDG_CACHE_HOME/nnscratch, else
    ~/.cache/nnscratch; on macOS ~/Library/Caches/nnscratch)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(_platform_dirs().user_cache_dir)


def _platform_dirs():
    import platformdirs

    # No author folder (Windows would nest the folders under one); read at each call, so that
    # a changed environment (XDG_*, HOME) is followed.
    return platformdirs.PlatformDirs("nnscratch", appauthor=False)


def preset_models(
    folder: Path,
    names=DEFAULT_PRESETS,
    *,
    train: Callable[[Recipe, Path], None],
    say: Callable[[str], None],
    recipes: dict | None = None,
) -> ServedModels:
    """The presets' models from ``folder/models/NAME.npz``; each one missing is trained first
    by ``train(recipe, path)`` (the CLI passes ``nnscratch train``'s own code, with its
    progress bar) and saved there; ``say`` tells the user. ``recipes`` (name: Recipe) replaces
    a preset's recipe: tests train small ones."""
    models_dir = folder / "models"
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"--cache-dir {folder}: cannot create {models_dir} ({error.strerror or error})"
        ) from None
    served = []
    for name in names:
        path = models_dir / f"{name}.npz"
        if not path.exists():
            say(f"{name}: not in the cache yet; training it once, saved to {path}")
            train((recipes or {}).get(name) or get_preset(name), path)
        try:
            model = Sequential.load(path)
        except ModelFileError as error:
            raise ModelFileError(f"{error}; delete {path} to train it again") from None
        served.append(ServedModel(name, model, file=path.name, path=str(path)))
    return ServedModels(served)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), port 0 for any free one; ConfigError when the
    address cannot be used, naming the option."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConfigError(
            f"--host {host}: not an address of this machine ({error.strerror})"
        ) from None
    family, kind, protocol, _, address = infos[0]
    # The protocol must be named: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it a response's headers and body, written apart, wait 40 ms for the
    # client's delayed ACK (Nagle's algorithm).
    sock = socket.socket(family, kind, protocol or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host} port {port} ({error.strerror or error}); "
            f"choose another with --port"
        ) from None
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Terminated(Exception):
    """SIGTERM, once uvicorn has shut down: it passes the signal on to the handler it found,
    whose default action would end the process before the training run's message and the
    goodbye are printed."""


def _raise_terminated(signum, frame) -> None:
    raise _Terminated


def serve(
    models: ServedModels,
    *,
    host: str,
    port: int,
    open_browser: bool,
    console,
    workers: int = 1,
    digits: Path | None = None,
    runs: Path | None = None,
    train_data: str = "mnist",
) -> None:
    """Serve ``models`` on (host, port) until Ctrl-C (or SIGTERM); the URL is printed once
    the server listens, and opened in a browser when asked and a display is there.

    ``digits``: the folder of the user's digits; ``runs``: the folder of the runs the page
    starts (trained on ``train_data``, fine-tuned on the digits) and of the models saved from
    them. Both need one server process: ``workers`` > 1 runs that many on the one socket,
    each loading the models from their files (Python runs one request's Python code at a time
    per process, so on several cores several processes answer more), without either."""
    from ..datasets.digitset import DigitSet
    from .app import create_app
    from .limits import return_large_blocks_to_the_system
    from .live import LiveTraining
    from .origin import allowed_hosts

    if workers < 1:
        raise ConfigError(f"--workers must be 1 or more, got {workers}")
    if not is_loopback(host):
        print(
            f"nnscratch: warning: listening on {host}: anyone who can reach this machine "
            f"can use this server (it has no login); the default, 127.0.0.1, serves this "
            f"machine only",
            file=sys.stderr,
        )
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound_port}/"
    names = ", ".join(served.name for served in models)
    # A setting of the whole process (glibc's malloc), made by the process that serves, not by
    # the app factory every test client calls: pictures decoded in turn do not pile up per
    # thread. The worker processes (workers > 1) set it in app_from_environment.
    return_large_blocks_to_the_system()
    gc.freeze()  # the models and libraries stay: the collector need not walk them again
    live = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
    try:
        if workers == 1:
            kept = DigitSet(digits) if digits is not None else None
            live = (
                LiveTraining(runs, models, digits=kept, data=train_data)
                if runs is not None
                else None
            )
            server = _Server(
                _config(create_app(models, live=live, digits=kept, hosts=allowed_hosts(host))), live
            )
            threading.Thread(
                target=_announce, args=(server, console, names, url, open_browser), daemon=True
            ).start()
            server.run(sockets=[sock])
        else:
            from .workers import run_workers

            if digits is not None or runs is not None:
                print(
                    "nnscratch: warning: with --workers above 1, the page neither trains nor "
                    "keeps your digits (they need one server process)",
                    file=sys.stderr,
                )
            os.environ[MODELS_ENV] = json.dumps(models.spec())
            os.environ[HOST_ENV] = host

            def announce() -> None:  # once every worker answers
                console.print(f"serving {names} on {url}  ({workers} workers; Ctrl-C stops)")
                if open_browser:
                    _open(url)

            run_workers(
                f"{__name__}:app_from_environment", sock, workers, on_ready=announce, **_SETTINGS
            )
    except (KeyboardInterrupt, _Terminated):
        pass  # uvicorn has shut down cleanly and passes the Ctrl-C (or SIGTERM) on
    finally:
        sock.close()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
    if workers == 1 and live is not None and live.status()["state"] == "paused":
        console.print(
            f"the training run paused at a checkpoint in {live.status()['run']['id']}"
            f" (under {runs}); the page continues it after the next start"
        )
    console.print("stopped")


def _config(app: Any) -> uvicorn.Config:
    """The uvicorn settings for ``app`` (an application, or "module:factory"): warnings only, no
    access log, 5 s for requests to finish at shutdown; slow clients timed out (an idle
    connection after 5 s, a request that has not arrived after 30 s: slow_clients.py) and at
    most 200 connections at once (more are answered 503)."""
    import uvicorn

    return uvicorn.Config(app, **_SETTINGS)


# One server process's uvicorn settings, as with --workers each worker's.
_SETTINGS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "timeout_graceful_shutdown": 5,
    "timeout_keep_alive": 5,
    "limit_concurrency": 200,
    # By name: the worker processes (workers > 1) import it themselves.
    "http": "nnscratch.web.slow_clients:TimedH11Protocol",
}


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, which on Ctrl-C (or SIGTERM) first pauses a training run at its
        next batch (with a checkpoint) and ends the event streams, so it stops at once."""

        def __init__(self, config, live) -> None:
            super().__init__(config)
            self.live = live

        def handle_exit(self, sig, frame) -> None:
            if self.live is not None:
                self.live.close()
            super().handle_exit(sig, frame)

    return Server


def _Server(config, live):  # noqa: N802 - builds the class above, importing uvicorn late
    return _server_class()(config, live)


def _announce(server, console, names: str, url: str, open_browser: bool) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        console.print(f"serving {names} on {url}  (Ctrl-C stops)")
        if open_browser:
            _open(url)


def app_from_environment():
    """The application of one worker process: the models named in $NNSCRATCH_SERVE_MODELS."""
    from .app import create_app
    from .limits import return_large_blocks_to_the_system
    from .origin import allowed_hosts

    return_large_blocks_to_the_system()  # as serve does: this is a process that serves
    app = create_app(
        ServedModels.from_spec(json.loads(os.environ[MODELS_ENV])),
        hosts=allowed_hosts(os.environ.get(HOST_ENV, "127.0.0.1")),
    )
    gc.freeze()
    return app


def _open(url: str) -> None:
    # Without a display, Python's webbrowser may start a text browser in this terminal.
    if (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or sys.platform in ("darwin", "win32")
    ):
        import webbrowser

        webbrowser.open(url)

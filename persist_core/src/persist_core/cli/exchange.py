"""``persist export`` and ``persist import``: sandboxes as one portable file (format in ``envelope``)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from persist_core.cli import output
from persist_core.cli.encoded_sandbox import EncodedSandbox, read_encoded_sandbox
from persist_core.cli.envelope import decode_export, encode_export
from persist_core.cli.options import AddCommon, describe, open_existing, open_source
from persist_core.cli.progress import MODES, ProgressBar
from persist_core.cli.remove import add_timeout
from persist_core.cli.transfer import write_all
from persist_core.errors import EncodeError, InvalidArgumentError, StorageError

EXPORT_HELP = "write sandboxes (default: all) as one JSON document that `persist import` reads"
IMPORT_HELP = "store every sandbox of an export file (or the given ones), verified after writing"


def add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=MODES,
        default="auto",
        help="progress bar on stderr: auto draws one when stderr is a terminal and the work is slow",
    )


def add_resume(parser: argparse.ArgumentParser) -> None:
    """``--replace`` or ``--skip-existing``: what to do with a sandbox the destination already has."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--replace", action="store_true", help="overwrite sandboxes that are already stored")
    group.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave alone sandboxes already stored with the same documents (resumes an interrupted run); "
        "one stored with other documents is still refused",
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add_common: AddCommon) -> None:
    export = commands.add_parser(
        "export",
        help=EXPORT_HELP,
        description=EXPORT_HELP + ". Each document is embedded byte for byte as kata stores it. Any sandbox "
        "that cannot be read stops the export: a partial file would look complete.",
    )
    add_common(export)
    export.add_argument("sandboxes", nargs="*", metavar="SID", help="sandbox IDs (default: every stored sandbox)")
    export.add_argument(
        "--output", metavar="FILE", default="-", help="write here, replacing it atomically (default: stdout)"
    )
    export.set_defaults(run=run_export)

    imp = commands.add_parser(
        "import",
        help=IMPORT_HELP,
        description=IMPORT_HELP + ". The whole file is decoded and checked before anything is written; "
        "a sandbox or container ID that appears twice in it is refused. A sandbox that is already stored is "
        "refused unless --replace (or --skip-existing, to resume) is given. Ctrl-C stops after the sandbox "
        "in hand and says how far it got.",
    )
    add_common(imp)
    imp.add_argument("file", metavar="FILE", help="an export file, or - for stdin")
    imp.add_argument("sandboxes", nargs="*", metavar="SID", help="import only these sandboxes")
    add_resume(imp)
    add_timeout(imp, "each sandbox's exclusive lock")
    add_progress(imp)
    imp.set_defaults(run=run_import)


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader (or a crash) sees the previous file or the whole new one, never a torn export."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_export(args: argparse.Namespace) -> int:
    driver = open_existing(args)
    store = describe(driver)
    sandbox_ids = list(dict.fromkeys(args.sandboxes)) or driver.sandbox_ids()
    encoded_sandboxes = [read_encoded_sandbox(driver, sandbox_id, where=store) for sandbox_id in sandbox_ids]
    data = encode_export(encoded_sandboxes)
    # Prove the file imports back to the same bytes before anyone relies on it.
    read_back = decode_export(data, source="the export being written")
    if len(read_back) != len(encoded_sandboxes) or not all(
        written.same_documents(read) for written, read in zip(encoded_sandboxes, read_back, strict=True)
    ):
        raise EncodeError("the export does not read back as the stored documents; nothing written")
    destination = "stdout"
    if args.output == "-":
        output.write_bytes(data)
    else:
        path = Path(args.output)
        try:
            _write_atomically(path, data)
        except OSError as exc:
            raise StorageError(f"cannot write export file {str(path)!r}: {exc.strerror or exc}") from exc
        destination = str(path)
    containers = sum(len(encoded.containers) for encoded in encoded_sandboxes)
    output.warn(
        f"exported {output.count(len(encoded_sandboxes), 'sandbox')} ({output.count(containers, 'container')}) "
        f"from {store} to {destination}, verified"
    )
    return output.EXIT_OK


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read export file {name!r}: {exc.strerror or exc}") from exc


def _decode(data: bytes, source: str, progress: str) -> list[EncodedSandbox]:
    """Decode the whole file first (with a progress bar: a large file takes a while); Ctrl-C writes nothing."""
    try:
        with ProgressBar(0, label="decoding", stream=sys.stderr, mode=progress) as bar:

            def on_sandbox(done: int, total: int, sandbox_id: str) -> None:
                bar.total = total
                bar.update(done, sandbox_id)

            return decode_export(data, source=source, on_sandbox=on_sandbox)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"interrupted while decoding {source}; nothing imported") from None


def run_import(args: argparse.Namespace) -> int:
    source = "stdin" if args.file == "-" else args.file
    decoded = _decode(_read_input(args.file), source, args.progress)
    encoded_sandboxes = {encoded.sandbox_id: encoded for encoded in decoded}
    wanted = list(dict.fromkeys(args.sandboxes)) or list(encoded_sandboxes)
    missing = [sandbox_id for sandbox_id in wanted if sandbox_id not in encoded_sandboxes]
    if missing:
        raise InvalidArgumentError(f"{source} holds no sandbox {', '.join(map(repr, missing))}; nothing imported")
    driver = open_source(args)
    outcome = write_all(
        driver,
        wanted,
        encoded_sandboxes.__getitem__,
        replace=args.replace,
        skip_existing=args.skip_existing,
        timeout=args.timeout,
        label="importing",
        progress=args.progress,
        debug=args.debug,
    )
    print(outcome.summary("imported", f"from {source} into {describe(driver)}"))
    return outcome.status

"""`shouhu`: the one command-line entry point.

Each room owns its commands in `<room>/cli.py`; this module only
assembles them. Those modules import nothing heavy at the top, so `shouhu --help` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer

from data_contracts.cli import contracts_doc, ingest
from features.cli import features
from serving.cli import db_app, serve, users_app
from serving.monitoring.cli import monitor
from shouhu.demo import demo
from shouhu.errors import guard_app, show_tracebacks
from shouhu.schedule import schedule
from shouhu.settings_doc import settings_doc
from simulation.cli import simulate
from simulation.policy_cli import evaluate_policy
from training.cli import audit, promote, retrain, rollback, score, train

app = typer.Typer(
    name="shouhu",
    help=(
        "Shouhu 守护 — ranked, explained visit lists for rural child-welfare workers. "
        "评分仅供参考，由工作人员决定。"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

COMMANDS = (
    simulate,
    ingest,
    contracts_doc,
    settings_doc,
    features,
    train,
    retrain,
    promote,
    rollback,
    score,
    audit,
    serve,
    monitor,
    schedule,
    demo,
    evaluate_policy,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")


def _print_version(value: bool) -> None:
    if value:
        from shouhu.about import version_text

        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Version, git commit, contract versions.",
        ),
    ] = False,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the full traceback when a command fails.")
    ] = False,
) -> None:
    show_tracebacks(traceback)


# last: every command registered above answers a failure in one line, not a traceback
guard_app(app)

if __name__ == "__main__":
    app()

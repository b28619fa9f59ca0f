"""The ``portfolio`` command line. It calls the same actions as the pages."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from typing import Optional

import click
from sqlmodel import select

from db.engine import read_session
from db.migrate import upgrade
from db.models import User
from db.settings import get_settings
from portfolio import audit, auth, demo, sso
from portfolio.dispatch import Dispatcher
from portfolio.errors import DomainError
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.i18n import LANGUAGES, STAGE_LABELS, translator
from portfolio.exports import csv_text
from portfolio.measurement_files import read_file, template_examples, write_template
from portfolio.measurements import import_measurements
from portfolio.initiatives import InitiativeCreate, create_initiative
from portfolio.reports import OverviewFilters, portfolio_overview
from portfolio.permissions import Actor, load_actor
from db.models import ROLES


def _fail(error: DomainError, language: str) -> None:
    for line in error.render(language):
        click.echo(f"error: {line}", err=True)
    sys.exit(1)


def _actor(session, username: str) -> Actor:
    return load_actor(session=session, user_id=_user_id(session, username))


def _user_id(session, username: str) -> int:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise click.UsageError(f"no such user: {username}")
    return user.id


def _run(obj, action, /, as_user: Optional[str] = None, **arguments):
    """Run one action through the dispatcher, as the user named ``as_user`` (or as the operator running the command,
    for the set-up commands that have no signed-in user); its refusal ends the command with status 1."""
    user_id = None
    if as_user is not None:
        with read_session() as session:
            user_id = _user_id(session, as_user)
    done = Dispatcher(user_id).run(action, **arguments)
    if not done.ok:
        _fail(done.error, obj["lang"])
    return done.result


@click.group()
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default="en", show_default=True,
              help="Language of messages.")
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """Initiative portfolio and benefits tracking."""
    ctx.obj = {"lang": lang}


@main.command()
def migrate() -> None:
    """Migrate the database (DATABASE_URL) to the latest schema."""
    upgrade()
    click.echo(f"migrated {get_settings().database_url.split('@')[-1]}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--password", default=None, help="Asked for when not given (not with --sso-identity alone).")
@click.option("--sso-identity", default=None,
              help="The identity provider's claim value (PORTFOLIO_SSO_CLAIM) this account signs in as.")
@click.option("--language", type=click.Choice(list(LANGUAGES)), default="sv", show_default=True)
@click.option("--role", type=click.Choice(ROLES), multiple=True, help="Role to grant (repeatable).")
@click.option("--portfolio-id", type=int, help="Scope of portfolio roles.")
@click.option("--org-unit-id", type=int, help="Scope of the reporter role.")
@click.pass_obj
def create_user(obj, username, display_name, password, sso_identity, language, role, portfolio_id,
                org_unit_id) -> None:
    """Create an account (argon2-hashed password, or single sign-on only) and grant roles."""
    if password is None and sso_identity is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    def create(session) -> None:
        if sso_identity is None:
            user = auth.create_user(session=session, username=username, display_name=display_name,
                                    password=password, language=language)
        else:
            user = sso.create_sso_user(session=session, username=username, display_name=display_name,
                                       identity=sso_identity, password=password, language=language)
        for name in role:
            auth.grant_role(session=session, user_id=user.id, role=name, portfolio_id=portfolio_id,
                            org_unit_id=org_unit_id)

    _run(obj, create)
    click.echo(f"created user {username}")


@main.command("link-sso")
@click.option("--username", required=True)
@click.option("--identity", default=None, help="The identity provider's claim value (PORTFOLIO_SSO_CLAIM).")
@click.option("--unlink", is_flag=True, help="Remove the account's link instead.")
@click.pass_obj
def link_sso(obj, username: str, identity: Optional[str], unlink: bool) -> None:
    """Link a single sign-on identity to an account, or remove the link (audited)."""
    if unlink == (identity is not None):
        raise click.UsageError("give either --identity or --unlink")
    _run(obj, sso.link_sso_identity, username=username, identity=identity)
    click.echo(f"unlinked {username}" if unlink else f"linked {username} to {identity.strip()}")


@main.command("deactivate-user")
@click.option("--username", required=True)
@click.pass_obj
def deactivate_user(obj, username: str) -> None:
    """Deactivate an account: no more sign-ins, and every browser signed in as it is signed out (audited)."""
    ended = _run(obj, auth.deactivate_user, username=username)
    click.echo(f"deactivated {username.strip()}; ended {ended} open session{'s' if ended != 1 else ''}")


@main.command("demo")
@click.option("--initiatives", type=click.IntRange(min=0), default=40, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Reference day (default today).")
@click.option("--if-empty", is_flag=True, help="Leave a demo database that already has initiatives as it is.")
@click.pass_obj
def demo_command(obj, initiatives: int, seed: int, today, if_empty: bool) -> None:
    """Load a realistic demo portfolio (the same for the same seed) into a new, empty database, which
    becomes a demo database, or into a demo database. Any other database is refused."""
    started = time.perf_counter()
    counts = _run(obj, demo.load_demo, initiatives=initiatives, seed=seed,
                  today=today.date() if today else None, only_if_new=if_empty)
    if counts is None:
        click.echo("this demo database has its demo data already; nothing loaded")
        return
    # ru_maxrss is the process's peak resident memory, in kilobytes on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    click.echo("loaded demo data: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
               + f" in {time.perf_counter() - started:.1f} s, peak memory {peak_mb:.0f} MB")


@main.command("sign-in-failures")
@click.option("--as", "username", required=True, help="The administrator asking.")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True)
@click.pass_obj
def sign_in_failures(obj, username: str, days: int) -> None:
    """List the failed sign-ins of the last days, newest first: time (UTC) and the user name typed."""
    try:
        with read_session() as session:
            failures = auth.recent_sign_in_failures(session=session, actor=_actor(session, username), days=days)
    except DomainError as error:
        _fail(error, obj["lang"])
    click.echo(csv_text(([f.at.isoformat(timespec="seconds"), f.username] for f in failures),
                        delimiter="\t", lineterminator="\n"), nl=False)


@main.command("export-audit")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--initiative-id", type=int, default=None)
def export_audit(output: Optional[Path], initiative_id: Optional[int]) -> None:
    """Write the audit trail as CSV."""
    with read_session() as session:
        text = audit.export_audit_csv(session=session, initiative_id=initiative_id)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {text.count(chr(10)) - 1} audit events to {output}")


@main.command("list")
@click.option("--stage", default=None, help="Only initiatives in this stage.")
@click.option("--portfolio-id", type=int, default=None)
@click.pass_obj
def list_command(obj, stage: Optional[str], portfolio_id: Optional[int]) -> None:
    """List initiatives with their stage."""
    _ = translator(obj["lang"])
    try:
        with read_session() as session:
            overview = portfolio_overview(session=session,
                                          filters=OverviewFilters(portfolio_id=portfolio_id, stage=stage))
    except DomainError as error:
        _fail(error, obj["lang"])
    click.echo(csv_text(([row.id, _(STAGE_LABELS[row.stage]), row.title] for row in overview.rows),
                        delimiter="\t", lineterminator="\n"), nl=False)


@main.command("new-idea")
@click.option("--as", "username", required=True, help="User proposing the idea.")
@click.option("--title", default="")
@click.option("--portfolio-id", type=int, required=True)
@click.option("--need", default="")
@click.pass_obj
def new_idea(obj, username: str, title: str, portfolio_id: int, need: str) -> None:
    """Propose a new idea."""
    initiative = _run(obj, create_initiative, as_user=username,
                      data=InitiativeCreate(title=title, portfolio_id=portfolio_id, need_description=need))
    click.echo(f"created initiative {initiative.id}")


@main.command("decide")
@click.option("--as", "username", required=True, help="User taking the decision.")
@click.option("--initiative-id", type=int, required=True)
@click.option("--version", "expected_version", type=int, required=True,
              help="The initiative version the decision is based on.")
@click.option("--outcome", required=True)
@click.option("--rationale", default="")
@click.option("--conditions", default="")
@click.option("--review-date", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--reason", "stop_reason", default="")
@click.option("--lessons", "lessons_learned", default="")
@click.option("--rework", default="", help="A recycle: what must be redone.")
@click.pass_obj
def decide(obj, username, initiative_id, expected_version, outcome, rationale, conditions, review_date,
           stop_reason, lessons_learned, rework) -> None:
    """Record a gate decision."""
    _ = translator(obj["lang"])
    data = DecisionInput(outcome=outcome, rationale=rationale, conditions=conditions,
                         hold_review_date=review_date.date() if review_date else None,
                         stop_reason=stop_reason, lessons_learned=lessons_learned, rework=rework)
    decision = _run(obj, record_gate_decision, as_user=username, initiative_id=initiative_id,
                    expected_version=expected_version, data=data)
    click.echo(f"{_(STAGE_LABELS[decision.from_stage])} → {_(STAGE_LABELS[decision.to_stage])}")


@main.command("import-measurements")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "username", default=None, help="User reporting the figures (their permissions apply).")
@click.option("--template", "template", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write an import template (.csv or .xlsx) to this file instead of importing.")
@click.pass_obj
def import_measurements_command(obj, file: Optional[Path], username: Optional[str], template: Optional[Path]) -> None:
    """Import measurements from a CSV or Excel (.xlsx) file: every row is checked, then all or nothing is written.

    Columns: indicator (code), period (YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn or YYYY, after the
    indicator's frequency), org_unit (code or name; empty for the whole initiative), value (a number).
    """
    if template is not None:
        with read_session() as session:
            write_template(template, template_examples(session))
        click.echo(f"wrote template {template}")
        return
    if file is None or username is None:
        raise click.UsageError("give FILE and --as USER (or --template FILE)")
    lang = obj["lang"]
    _ = translator(lang)
    try:
        parsed = read_file(file.read_bytes(), file.name)
        rows = parsed.rows
        with click.progressbar(length=len(rows), label="checking", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.update(done - bar.pos)

            result = _run(obj, import_measurements, as_user=username, rows=rows, file_name=file.name,
                          progress=progress)
    except DomainError as error:
        _fail(error, lang)
    click.echo(f"{len(rows)} rows: {result.inserted} new, {result.corrected} corrected, "
               f"{result.unchanged} unchanged (read as {parsed.label})")


@main.command("report")
@click.option("--as", "username", required=True, help="The user the report is made for (their permissions apply).")
@click.option("--portfolio-id", type=int, required=True, help="The portfolio; its sub-portfolios are included.")
@click.option("--from", "period_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the period (default: 1 January this year).")
@click.option("--to", "period_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the period (default: today).")
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="report.pdf, report.xlsx, report.zip (a CSV file per table) or a directory for the CSV files.")
@click.option("--lang", "report_language", type=click.Choice(list(LANGUAGES)), default=None,
              help="Language of the report (default: the user's own).")
@click.pass_obj
def report_command(obj, username: str, portfolio_id: int, period_from, period_to, output: Path,
                   report_language: Optional[str]) -> None:
    """Write the benefit report of a portfolio and period as PDF, Excel or CSV, chosen by the output's name."""
    from portfolio.benefit_report import benefit_report, this_year_so_far
    from portfolio.report_render import csv_zip, render_csv, render_pdf, render_xlsx

    suffix = output.suffix.lower()
    if suffix not in ("", ".pdf", ".xlsx", ".zip"):
        raise click.UsageError("the output must end in .pdf, .xlsx or .zip, or name a directory")
    first, last = this_year_so_far()
    try:
        with read_session() as session:
            actor = _actor(session, username)
            report = benefit_report(session, actor, portfolio_id, period_from.date() if period_from else first,
                                    period_to.date() if period_to else last)
    except DomainError as error:
        _fail(error, obj["lang"])
    language = report_language or actor.language
    if suffix == ".pdf":
        output.write_bytes(render_pdf(report, language))
    elif suffix == ".xlsx":
        output.write_bytes(render_xlsx(report, language))
    elif suffix == ".zip":
        output.write_bytes(csv_zip(render_csv(report, language)))
    else:
        output.mkdir(parents=True, exist_ok=True)
        for name, content in render_csv(report, language).items():
            (output / name).write_bytes(content)
    click.echo(f"wrote the benefit report of {report.portfolio} for {report.period_from} to {report.period_to} "
               f"to {output}")


@main.command("verify-audit")
def verify_audit() -> None:
    """Check the audit trail's hash chain from the first event to the chain head.

    Prints how many events were checked; a broken chain names its first broken event and exits 1.
    """
    with read_session() as session:
        report = audit.verify_chain(session=session)
    if not report.ok:
        chain = (f"initiative {report.broken_chain}" if report.broken_chain else "the records outside initiatives")
        where = f"event {report.broken_seq}" + (f" (id {report.broken_id})" if report.broken_id is not None else "")
        click.echo(f"error: the audit chain of {chain} is broken at {where}: {report.reason}", err=True)
        click.echo(f"{report.checked} events before it are intact", err=True)
        sys.exit(1)
    click.echo(f"audit chains intact: {report.checked} events in {report.chains} chains")


@main.command("export-public")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", "language", type=click.Choice(list(LANGUAGES)), default=None,
              help="Language of the HTML page (default: the language of messages).")
@click.pass_obj
def export_public(obj, directory: Path, language: Optional[str]) -> None:
    """Write the transparency export into DIRECTORY: transparency.json, its schema and transparency.html.

    Only what is public: initiatives and texts marked internal, people and costs are left out."""
    # Imported here: only the export commands need the template engine and Arrow.
    from portfolio.public_export import public_export, write_public_export

    with read_session() as session:
        export = public_export(session=session)
    for path in write_public_export(export, directory, language or obj["lang"]):
        click.echo(f"wrote {path}")
    click.echo(f"{len(export.initiatives)} initiatives published, {len(export.stopped)} of them stopped")


@main.command("export-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_data(directory: Path) -> None:
    """Write every table a BI tool needs into DIRECTORY, as CSV and as Parquet (columns: see the README).

    The operator's tool, like export-audit: everything, internal initiatives included."""
    from portfolio.bi_export import write_bi_export

    started = time.perf_counter()

    def report(done) -> None:
        click.echo(f"wrote {done.rows} rows to {done.csv.name} and {done.parquet.name} "
                   f"({time.perf_counter() - started:.1f} s)")

    with read_session() as session:
        write_bi_export(session=session, directory=directory, progress=report)
    click.echo(f"exported to {directory}")


if __name__ == "__main__":
    main()

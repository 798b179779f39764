"""`shouhu demo` (issue 7): simulate → ingest → features → train → promote → demo accounts → serve.

Everything lands where the settings point (data_dir, warehouse, MLflow, service database); a second run reuses
what the first one built and serves it again; `--fresh` removes only the files the demo itself created
(recorded in `<data_dir>/demo/demo.json`) and builds again.

Secrets: unless SHOUHU_PSEUDONYM_SECRET / SHOUHU_TOKEN_SECRET are set, the demo generates random ones once per
data folder (`<data_dir>/demo.env`, readable by its owner only) and reuses them, so pseudonymous keys stay
stable across runs and no public default secret is ever used. `shouhu serve` on the demo's world needs them in
its environment: `set -a; . data/demo.env; set +a`.

`build_world` and `create_accounts` are also what the web tests use to build their world (tests/web), so the
demo's path is exercised by every test run. Heavy modules are imported inside the functions (`shouhu --help`
must stay fast)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from shouhu.settings import Settings
    from simulation.config import SimulationConfig
    from training.pipeline import TrainConfig

Say = Callable[[str], None]
MARKER = "demo.json"
SECRETS_FILE = "demo.env"  # in data_dir, beside (not inside) the files `--fresh` removes
# Demo passwords are fixed so a second run (which reuses the accounts) can print them again. The server only
# listens on 127.0.0.1; these accounts are for trying Shouhu, never for real data.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    # username, role, area kind, password
    ("zhuren", "children_director", "village", "demo-lantern-01"),
    ("dudao", "supervisor", "township", "demo-harbor-02"),
    ("xianmz", "county", "county", "demo-meadow-03"),
    ("shuju", "data_team", "", "demo-summit-04"),
    ("guanli", "admin", "", "demo-orchard-05"),
)
ROLE_ZH = {
    "children_director": "儿童主任",
    "supervisor": "儿童督导员",
    "county": "县民政",
    "data_team": "数据团队",
    "admin": "系统管理员",
}


@dataclass
class World:
    """What a demo build produced: where, which model, and the areas the demo accounts are bound to."""

    sim_dir: Path
    model_version: str
    village: str
    township: str
    county: str
    children: int
    reused: list[str] = field(default_factory=list)
    area_names: dict[str, str] = field(default_factory=dict)  # code → 村/镇/县 name, for the accounts table
    as_of: dt.date | None = None  # the date the demo's lists are made for (`feeds_as_of`)


class PromotionRefused(ValueError):
    """The demo's model did not pass the promotion gates; the message names them and what to do."""


# What a person can do when a gate stops the demo's first model (the gates are training.registry's).
GATE_ADVICE = {
    "fairness": (
        "if the disparity is an artefact of the small demo county, accept it with a reason: "
        "`uv run shouhu promote --accept-disparity ATTRIBUTE=REASON`, then run `shouhu demo` again; "
        "or simulate a bigger county: `uv run shouhu demo --fresh --children 1500`"
    ),
    "calibration": (
        "a small county calibrates poorly; simulate a bigger one: "
        "`uv run shouhu demo --fresh --children 1500`"
    ),
    "quality": (
        "the model is worse than the current champion, which keeps serving; `uv run shouhu demo --fresh` "
        "starts the demo over"
    ),
}


def promotion_advice(promotion: Any) -> str:
    """Which gates stopped `promotion` (a training.registry.Promotion) and what to do about each."""
    failed = promotion.failed or promotion.gates
    lines = [
        f"model v{promotion.version} was trained but did not pass the promotion gates, so nothing serves:"
    ]
    for gate in failed:
        lines.append(f"  - gate {gate.name} failed: {gate.detail}")
        lines.append(
            "    what to do: "
            + GATE_ADVICE.get(
                gate.name, "see `uv run shouhu promote --help`; `shouhu demo --fresh` starts over"
            )
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    area: str | None
    password: str


def _quiet(_msg: str) -> None:
    return None


def _quiet_mlflow() -> None:
    import logging

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _read_marker(settings: Settings) -> dict[str, Any] | None:
    path = settings.data_dir / "demo" / MARKER
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_marker(settings: Settings, marker: dict[str, Any]) -> None:
    path = settings.data_dir / "demo" / MARKER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(marker, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _owned_paths(settings: Settings) -> list[Path]:
    """The files a demo may create (and `--fresh` may remove, if the demo created them)."""
    paths = [settings.data_dir / "demo", settings.warehouse]
    for url in (settings.database_url, settings.mlflow_tracking_uri):
        db = _sqlite_path(url)
        if db is not None:
            paths.append(db)
    paths.append(settings.mlflow_artifact_root)
    return paths


def remove_demo_files(settings: Settings) -> list[Path]:
    """Remove what an earlier demo created (never a file that existed before the demo ran)."""
    marker = _read_marker(settings)
    if marker is None:
        return []
    removed = []
    names = list(marker.get("created", []))
    root = settings.mlflow_artifact_root
    if root.is_dir() and "artifacts_before" in marker:  # run artifacts the demo's MLflow store wrote
        names += [str(p) for p in root.iterdir() if str(p) not in set(marker["artifacts_before"])]
    for name in names:
        path = Path(name)
        for extra in (path, Path(f"{path}.wal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            if extra.is_dir():
                shutil.rmtree(extra)
                removed.append(extra)
            elif extra.exists():
                extra.unlink()
                removed.append(extra)
    return removed


def _area_names(warehouse: Path) -> dict[str, str]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            str(c): str(n)
            for c, n in con.execute("SELECT code, max(name_zh) FROM admin_units GROUP BY 1").fetchall()
        }
    except duckdb.Error:  # no admin_units feed: codes alone
        return {}
    finally:
        con.close()


def _pick_areas(warehouse: Path) -> tuple[str, str, str, int]:
    """The demo director's village: the one with the most children in the latest registry snapshot."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT residence_village_code, count(DISTINCT child_key) AS n FROM children_registry "
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1"
        ).fetchall()
        (total,) = con.execute("SELECT count(DISTINCT child_key) FROM children_registry").fetchone()
    finally:
        con.close()
    if not rows:
        raise ValueError(f"{warehouse} holds no children: the ingest loaded nothing")
    village = str(rows[0][0])
    return village, village[:9] + "000", village[:6] + "000000", int(total)


# Feeds that keep arriving in a working county (visits, weekly attendance batches, parents' calls).
ARRIVING_FEEDS = ("visit_logs", "school_attendance", "parent_contact_log")


def feeds_as_of(warehouse: Path) -> dt.date | None:
    """The demo's as-of date: the day after the last record of the feed that stopped first among those that
    keep arriving. A simulation stops all feeds at its end but keeps late-recorded visits coming for weeks;
    the day after the latest record anywhere would make every child's attendance look stale and the feed look
    dead. At this date every feed is current, so the pages' freshness marks are honest."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        query = "SELECT max(recorded_at) FROM {}"
        ends = [con.execute(query.format(t)).fetchone()[0] for t in ARRIVING_FEEDS if t in tables]
    finally:
        con.close()
    ends = [e for e in ends if e is not None]
    if not ends:
        return None
    first = min(ends)
    return (first.date() if isinstance(first, dt.datetime) else first) + dt.timedelta(days=1)


def build_world(
    settings: Settings,
    county: SimulationConfig,
    *,
    train_config: TrainConfig | None = None,
    train_from: str | None = None,
    progress: bool = True,
    say: Say = _quiet,
) -> World:
    """Simulate `county`, ingest it into `settings.warehouse`, build features, train, register and promote,
    reusing every step an earlier run with the same county already did."""
    from data_contracts.ingest import ingest_folder
    from simulation.county import simulate
    from training import registry, workflow

    _quiet_mlflow()
    marker = _read_marker(settings)
    county_json = json.loads(county.model_dump_json())
    if marker is None:
        if settings.warehouse.exists():
            raise ValueError(
                f"{settings.warehouse} exists and was not made by `shouhu demo`; point SHOUHU_DATA_DIR, "
                "SHOUHU_WAREHOUSE, SHOUHU_DATABASE_URL and SHOUHU_MLFLOW_TRACKING_URI at an empty place"
            )
        created = [str(p) for p in _owned_paths(settings) if not p.exists()]
        root = settings.mlflow_artifact_root
        before = sorted(str(p) for p in root.iterdir()) if root.is_dir() else []
        marker = {"county": county_json, "created": created, "artifacts_before": before}
    elif marker.get("county") != county_json:
        raise ValueError("an earlier demo built a different county here; `shouhu demo --fresh` rebuilds it")
    settings.ensure_dirs()  # after noting what existed, so `--fresh` knows what the demo made
    _write_marker(settings, marker)
    reused: list[str] = []

    sim_dir = settings.data_dir / "demo" / "county"
    if (sim_dir / "simulation.json").exists() and marker.get("simulated"):
        reused.append("simulate")
        say(f"reusing the simulated county in {sim_dir}")
    else:
        say(
            f"simulating {county.children} children, {county.townships}×{county.villages} villages, "
            f"{county.start} … {county.end}"
        )
        summary = simulate(county, sim_dir, progress=progress)
        say(
            f"{summary.children_total} children, {sum(summary.rows.values()):,} feed rows, "
            f"{summary.outcomes_detected} detected outcomes"
        )
        marker["simulated"] = True
        _write_marker(settings, marker)

    # ingest is idempotent (files already loaded are recognised by their SHA-256 and skipped)
    say(f"ingesting the feeds into {settings.warehouse}")
    secret = settings.pseudonym_secret.get_secret_value()
    report = ingest_folder(sim_dir / "feeds", settings.warehouse, secret, progress=progress and not reused)
    total = report.total
    skipped = sum(1 for f in report.files if f.skipped)
    say(f"{total.loaded:,} rows loaded, {total.quarantined:,} quarantined; {skipped} files loaded before")
    village, township, county_code, children = _pick_areas(settings.warehouse)

    version = registry.champion_version(settings.mlflow_tracking_uri, settings.model_name)
    if version is not None and marker.get("trained"):
        reused.append("train")
        say(f"reusing the champion {settings.model_name} v{version}")
    else:
        if marker.get("trained"):  # an earlier run trained, but its model did not pass the gates
            say("promoting the model an earlier run trained")
        else:
            frame = workflow.load_matrix(settings, start=train_from, say=say)
            trained = workflow.train(frame, settings, config=train_config, say=say)
            say(f"registered v{trained.run.version} ({', '.join(trained.run.aliases)})")
            marker["trained"] = True  # a rerun after `shouhu promote --accept-disparity …` reuses it
            _write_marker(settings, marker)
        promotion = registry.promote(
            tracking_uri=settings.mlflow_tracking_uri, model_name=settings.model_name
        )
        for gate in promotion.gates:
            say(f"gate {gate.name}: {'PASS' if gate.passed else 'FAIL'} — {gate.detail}")
        version = registry.champion_version(settings.mlflow_tracking_uri, settings.model_name)
        if version is None:
            raise PromotionRefused(promotion_advice(promotion))
    return World(
        sim_dir,
        version,
        village,
        township,
        county_code,
        children,
        reused,
        _area_names(settings.warehouse),
        feeds_as_of(settings.warehouse),
    )


def create_accounts(settings: Settings, world: World) -> list[Account]:
    """One account per role (serving.users), bound to the world's village / township / county; existing
    accounts are kept, so a second run prints the same logins."""
    from sqlalchemy import select

    from serving.db import make_engine, make_sessionmaker, migrate
    from serving.tables import User
    from serving.users import add_user

    engine = make_engine(settings.database_url)
    migrate(engine)  # the demo's explicit migration step (`shouhu db upgrade` elsewhere)
    areas = {"village": world.village, "township": world.township, "county": world.county, "": None}
    out = []
    try:
        with make_sessionmaker(engine)() as session:
            for username, role, kind, password in DEMO_ACCOUNTS:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    area = {kind: areas[kind]} if kind else {}
                    user = add_user(session, username, role, password, **area)
                out.append(Account(user.username, user.role, user.area_code, password))
    finally:
        engine.dispose()
    return out


def demo_secrets(settings: Settings) -> Settings:
    """`settings` with the demo's own random secrets for every secret not set in the environment: read from
    `<data_dir>/demo.env`, or generated there once (mode 0600)."""
    import secrets

    from pydantic import SecretStr

    from shouhu.settings import SECRET_ENV

    path = settings.data_dir / SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() in SECRET_ENV.values():
                stored[key.strip()] = value.strip()
    missing = [env for env in SECRET_ENV.values() if env not in stored]
    if missing:
        stored.update({env: secrets.token_urlsafe(32) for env in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "# shouhu demo secrets for this data folder (generated; demo only)\n" + "".join(
            f"{env}={value}\n" for env, value in stored.items()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    update = {
        field: stored[env] for field, env in SECRET_ENV.items() if field not in settings.model_fields_set
    }
    return settings.model_copy(update={k: SecretStr(v) for k, v in update.items()})


def default_county(children: int = 600, seed: int = 7) -> SimulationConfig:
    from simulation.config import SimulationConfig

    # 27 months: a 6-month warm-up, then enough monthly as-of dates for temporal splits with 90-day gaps
    return SimulationConfig(
        townships=2,
        villages=3,
        children=children,
        start=dt.date(2022, 10, 1),
        end=dt.date(2024, 12, 31),
        seed=seed,
    )


def _print_accounts(console: Any, accounts: list[Account], names: dict[str, str], url: str) -> None:
    from rich.table import Table

    table = Table(title=f"演示账号 demo accounts — 在浏览器打开 {url}")
    for column in ("账号 username", "角色 role", "辖区 scope", "密码 password"):
        table.add_column(column)
    for a in accounts:
        table.add_row(
            a.username,
            f"{ROLE_ZH[a.role]} ({a.role})",
            f"{names.get(a.area, '')} {a.area}".strip() if a.area else "不限（无姓名）",
            a.password,
        )
    console.print(table)


def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on (127.0.0.1).")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build, print the accounts, exit.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Remove the earlier demo's files first.")] = False,
    children: Annotated[int, typer.Option(min=50, max=20_000, help="Children in the county.")] = 600,
) -> None:
    """Bring up the whole of Shouhu on a small simulated county: simulate, ingest, features, train, promote,
    demo accounts (one per role), and serve the pages and the API on 127.0.0.1."""
    import time

    from rich.console import Console

    from shouhu.settings import get_settings

    console = Console()
    settings = get_settings()
    began = time.perf_counter()
    if fresh:
        removed = remove_demo_files(settings)
        console.print(f"[bold]--fresh[/]: removed {len(removed)} files of the earlier demo")

    def say(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - began:6.1f}s[/] · {message}")

    console.rule("守护 Shouhu demo — 评分仅供参考，由工作人员决定")
    settings = demo_secrets(settings)
    say(f"secrets of this data folder: {settings.data_dir / SECRETS_FILE} (demo only; generated once)")
    from shouhu.demo_counts import demo_counts
    from training.tracking import RegistryError

    try:
        settings.require_secrets()  # a public or short secret set in the environment is refused here too
        world = build_world(settings, default_county(children), say=say)
        accounts = create_accounts(settings, world)  # migrates the service database first
    except (ValueError, RegistryError) as exc:
        # one line on stderr, not wrapped (plain text: a gate's detail may hold brackets)
        typer.secho(f"shouhu demo: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    say(
        f"ready: {world.children} children, champion v{world.model_version}"
        + (f" (reused: {', '.join(world.reused)})" if world.reused else "")
    )
    counts = demo_counts(
        settings.warehouse, children, world.children, world.village, settings.as_of or world.as_of
    )
    say(counts.line(world.area_names.get(world.village) or world.village))  # why 600, 668 and 434 differ
    url = f"http://127.0.0.1:{port}/"
    _print_accounts(console, accounts, world.area_names, url)
    console.print(f"先用 [bold]zhuren[/] 登录看本村走访清单；API 文档在 {url}docs")
    if no_serve:
        console.print(
            "--no-serve: not serving. Run `shouhu demo` again to open the pages (it reuses everything), or "
            f"`set -a; . {settings.data_dir / SECRETS_FILE}; set +a; "
            + (f"SHOUHU_AS_OF={world.as_of} " if world.as_of else "")
            + "uv run shouhu serve`."
        )
        return
    from serving import server
    from serving.app import create_app

    # lists for the day the feeds stopped: freshness marks are honest (`feeds_as_of`)
    served = settings.model_copy(update={"as_of": settings.as_of or world.as_of})
    server.run(create_app(served), served, "127.0.0.1", port, log_level="warning")

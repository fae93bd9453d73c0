"""The ready-to-copy integrations in hooks/ and .pre-commit-hooks.yaml, run by the real
clients: git with hooks/pre-commit, the pre-commit framework with this checkout as its hook
repository (``-m clients``), the CI templates' own commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sprite_lint.synth import inject, make_family
from tests.conftest import ROOT, GitRepo, client_env, write_rgba

GOOD = make_family("creatures", 30, seed=3)[24:]  # held out from the tiny baseline's sprites


def broken(i: int) -> np.ndarray:
    """A good sprite flattened onto a checkerboard: every baseline fails it."""
    return inject(GOOD[i], "checkerboard", np.random.default_rng(i))


def test_pre_commit_hook_definition() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    for needle in (
        "id: sprite-lint",
        "entry: sprite-lint check",
        "language: python",
        "types: [png]",
        "require_serial: true",
    ):
        assert needle in text


def _need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (it is needed to run this client)")


# -- the two hooks on the same cases ------------------------------------------------------


def _case_good(repo: GitRepo) -> None:
    repo.put("art/hero.png", GOOD[0])
    assert repo.commit("good")[0]


def _case_broken(repo: GitRepo) -> None:
    repo.put("art/placeholder.png", broken(1))
    landed, out = repo.commit("broken")
    assert not landed and "placeholder.png" in out and "FAIL" in out


def _case_staged_broken_working_tree_good(repo: GitRepo) -> None:
    repo.put("art/hero.png", broken(2))
    repo.put("art/hero.png", GOOD[2], stage=False)  # what is on disk is fine...
    on_disk = (repo.path / "art" / "hero.png").read_bytes()
    landed, out = repo.commit("sneaky")  # ...but the index is what would be committed
    assert not landed and "hero.png" in out
    assert (repo.path / "art" / "hero.png").read_bytes() == on_disk  # left as it was


def _case_staged_good_working_tree_broken(repo: GitRepo) -> None:
    repo.put("art/hero.png", GOOD[3])
    repo.put("art/hero.png", broken(3), stage=False)  # not staged: not this commit's
    assert repo.commit("good, broken edit unstaged")[0]
    assert repo.git("status", "--porcelain").stdout.strip() == "M art/hero.png"


def _case_renamed(repo: GitRepo) -> None:
    repo.put("art/old.png", GOOD[4])
    repo.git("commit", "-q", "--no-verify", "-m", "before")
    repo.git("mv", "art/old.png", "art/new.png")
    assert repo.commit("rename")[0]  # the same good sprite under a new name
    repo.git("mv", "art/new.png", "art/newer.png")
    repo.put("art/newer.png", broken(4))  # renamed and broken in one commit
    landed, out = repo.commit("rename and break")
    assert not landed and "newer.png" in out


def _odd_name_case(name: str) -> Callable[[GitRepo], None]:
    def case(repo: GitRepo) -> None:
        repo.put(name, GOOD[5])
        landed, out = repo.commit("odd name, good")
        assert landed, out  # read as a file name, never as an option
        repo.put(name, broken(5))
        landed, out = repo.commit("odd name, broken")
        assert not landed and name.split("/")[-1] in out, out

    return case


HOOK_CASES: dict[str, Callable[[GitRepo], None]] = {
    "good": _case_good,
    "broken": _case_broken,
    "staged-broken-working-tree-good": _case_staged_broken_working_tree_good,
    "staged-good-working-tree-broken": _case_staged_good_working_tree_broken,
    "renamed": _case_renamed,
    "space": _odd_name_case("art/a hero.png"),
    "unicode": _odd_name_case("art/héros été.png"),
    "leading-dash": _odd_name_case("-ohero.png"),
}


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as a hook repository: its files (tracked, and new ones git would add)
    committed to a scratch repository, as ``pre-commit try-repo`` does, so the hook runs
    the code under test even before it is committed. Returns (path, commit)."""
    _need("git")
    path = tmp_path_factory.mktemp("hook-repository")
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, names):
        name = os.fsdecode(raw)
        if (ROOT / name).is_file():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, path / name)
    env = client_env()
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env, capture_output=True)
    rev = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return path, rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session: the hook's environment is built once."""
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("the pre-commit framework is not installed: pip install -e '.[dev]'")
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.clients
@pytest.mark.parametrize("case", list(HOOK_CASES))
def test_pre_commit_framework(
    case: str,
    tmp_path: Path,
    tiny_baseline: Path,
    hook_repository: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    """README's snippet, with this checkout as ``repo:`` and a commit of it as ``rev:``."""
    hook_path, rev = hook_repository
    env = client_env(PRE_COMMIT_HOME=str(pre_commit_home))
    repo = GitRepo(tmp_path / "game", tiny_baseline, env)
    (repo.path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_path}\n    rev: {rev}\n    hooks:\n      - id: sprite-lint\n"
    )
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "baseline and hook configuration")
    install = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--install-hooks"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    HOOK_CASES[case](repo)
    for out in repo.outputs:  # the framework ran the hook on each: its status line
        assert any(
            line.startswith("sprite-lint.") and line.endswith(("Passed", "Failed"))
            for line in out.splitlines()
        ), out


@pytest.mark.parametrize("case", list(HOOK_CASES))
def test_plain_git_hook(case: str, tmp_path: Path, tiny_baseline: Path) -> None:
    """``cp hooks/pre-commit .git/hooks/pre-commit``, as README says, on the same cases."""
    _need("git")
    repo = GitRepo(tmp_path / "game", tiny_baseline, client_env())
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "baseline")
    shutil.copy(ROOT / "hooks" / "pre-commit", repo.path / ".git" / "hooks" / "pre-commit")
    HOOK_CASES[case](repo)


def test_check_staged_reads_the_index_and_any_file_name(
    tmp_path: Path, tiny_baseline: Path
) -> None:
    from typer.testing import CliRunner

    from sprite_lint.cli import app

    repo = tmp_path / "game"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    good = make_family("creatures", 30, seed=3)[24:]
    odd = "art/line\nbreak |`x`.png"
    write_rgba(repo / odd, inject(good[0], "checkerboard", np.random.default_rng(0)))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    write_rgba(repo / odd, good[0])  # the working tree is fine; the index is not
    write_rgba(repo / "art" / "untracked.png", good[1])  # not staged: not checked
    os.chdir(repo)
    res = CliRunner().invoke(
        app, ["check", "--staged", "-b", str(tiny_baseline), "-f", "json"], env={"NO_COLOR": "1"}
    )
    import json

    report = json.loads(res.stdout)
    assert [f["path"] for f in report["files"]] == [odd]
    assert report["files"][0]["status"] == "fail" and res.exit_code == 1
    both = CliRunner().invoke(app, ["check", "--staged", "--all", "-b", str(tiny_baseline)])
    assert both.exit_code == 2
    # a report never replaces a staged sprite's working-tree file, nor panels mix with it
    before = (repo / odd).read_bytes()
    for option, target in (("-o", repo / odd), ("--html", repo / odd), ("--report-dir", repo)):
        over = CliRunner().invoke(
            app, ["check", "--staged", "-b", str(tiny_baseline), option, str(target)]
        )
        assert over.exit_code == 2, over.output
    assert (repo / odd).read_bytes() == before
    assert not (repo / ".sprite-lint-output").exists()


def test_check_staged_names_a_staged_link_as_a_link(tmp_path: Path, tiny_baseline: Path) -> None:
    """A PNG name staged as a symbolic link: the index holds the link's target path, not an
    image. Its row says so (it had said "not a PNG file"); the sprite it points to, staged
    too, is checked as itself; a rename keeps its link status."""
    from typer.testing import CliRunner

    from sprite_lint.cli import app

    repo = tmp_path / "game"
    (repo / "art").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_rgba(repo / "art" / "hero.png", make_family("creatures", 30, seed=3)[24])
    (repo / "art" / "alias.png").symlink_to("hero.png")
    (repo / "art" / "far.png").symlink_to("/nonexistent/elsewhere.png")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    os.chdir(repo)
    args = ["check", "--staged", "-b", str(tiny_baseline), "-f", "json"]
    res = CliRunner().invoke(app, args, env={"NO_COLOR": "1"})
    import json

    rows = {f["path"]: f for f in json.loads(res.stdout)["files"]}
    assert set(rows) == {"art/hero.png", "art/alias.png", "art/far.png"}
    assert rows["art/hero.png"]["status"] in ("pass", "fail")
    for name in ("art/alias.png", "art/far.png"):
        assert rows[name]["status"] == "error"
        assert "staged as a symbolic link" in rows[name]["message"], rows[name]
    assert res.exit_code == 2
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "art"], check=True)
    subprocess.run(["git", "-C", str(repo), "mv", "art/alias.png", "art/alias2.png"], check=True)
    again = json.loads(CliRunner().invoke(app, args, env={"NO_COLOR": "1"}).stdout)
    assert [(f["path"], f["status"]) for f in again["files"]] == [("art/alias2.png", "error")]


def _check_commands(text: str) -> list[str]:
    """Each ``sprite-lint check`` command line of a CI file, YAML folding undone."""
    flat = " ".join(text.split())
    parts = [p for p in flat.split("sprite-lint check ")[1:] if p.startswith("--")]  # not a name
    return [p.split(" - ")[0].split("||")[0].split(" artifacts:")[0] for p in parts]


def test_ci_jobs_judge_by_the_target_branch_s_baseline() -> None:
    jobs = {
        "github/sprite-lint.yml": '--baseline-ref "origin/${{ github.base_ref }}"',
        "gitlab-ci.yml": '--baseline-ref "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"',
    }
    for name, option in jobs.items():
        commands = _check_commands((ROOT / "hooks" / name).read_text())
        assert commands, name
        for command in commands:
            assert option in command, (name, command)


REPOSITORY = "https://github.com/sprite-lint/sprite-lint"  # README's placeholder, everywhere


def _version() -> str:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _pinned_install(extra: str = "") -> str:
    return f'pip install "sprite-lint{extra} @ git+{REPOSITORY}@v{_version()}"'


def test_install_commands_and_hook_rev_name_the_same_release() -> None:
    """README's pre-commit ``rev:``, its install commands and both CI templates name one
    source and one release: the tag ``v`` + pyproject.toml's version."""
    import yaml

    readme = (ROOT / "README.md").read_text()
    assert f"- repo: {REPOSITORY}\n       rev: v{_version()}\n" in readme
    assert _pinned_install() in readme and _pinned_install("[train]") in readme
    assert "pip install sprite-lint" not in readme  # not on PyPI: that would be someone else's
    github = yaml.safe_load((ROOT / "hooks" / "github" / "sprite-lint.yml").read_text())
    job = github["jobs"]["sprite-lint"]
    runs = [s["run"].strip() for s in job["steps"] if "run" in s]
    assert runs[0] == _pinned_install()
    assert job["timeout-minutes"] > 0
    assert github["permissions"] == {
        "actions": "read",  # upload-sarif on a private repository
        "contents": "read",
        "security-events": "write",
    }
    gitlab = yaml.safe_load((ROOT / "hooks" / "gitlab-ci.yml").read_text())["sprite-lint"]
    assert _pinned_install().replace("install", "install --quiet") in gitlab["before_script"]
    assert gitlab["timeout"]


@pytest.fixture
def pull_request(tmp_path: Path, tiny_baseline: Path) -> GitRepo:
    """A clone whose ``origin/main`` holds the art and the baseline, on a branch that adds a
    broken sprite and edits a good one: what a CI job checks out for a pull request."""
    upstream = GitRepo(tmp_path / "upstream", tiny_baseline, client_env())
    upstream.put("art/hero.png", GOOD[0])
    upstream.put("art/villain.png", GOOD[1])
    upstream.git("add", "-A")
    upstream.git("commit", "-q", "-m", "art and baseline")
    env = client_env()
    subprocess.run(
        ["git", "clone", "-q", str(upstream.path), str(tmp_path / "ci")], check=True, env=env
    )
    repo = GitRepo.__new__(GitRepo)
    repo.path, repo.env, repo.outputs = tmp_path / "ci", env, []
    repo.git("checkout", "-q", "-b", "pr")
    repo.put("art/villain.png", GOOD[2])
    repo.put("art/placeholder.png", broken(1))
    repo.git("commit", "-q", "-m", "new art")
    return repo


def _run_lines(lines: list[str], repo: GitRepo, shell: list[str], env: dict[str, str]) -> list[int]:
    """Each line as the CI runner runs it; the pinned ``pip install`` is this checkout,
    already installed (the test runs offline)."""
    codes = []
    for line in lines:
        if line.strip().startswith("pip install"):
            assert "sprite-lint @ git+" in line
            codes.append(0)
            continue
        res = subprocess.run([*shell, line], cwd=repo.path, env=env, capture_output=True)
        repo.outputs.append(res.stdout.decode() + res.stderr.decode())
        codes.append(res.returncode)
    return codes


@pytest.mark.clients
def test_github_workflow_runs_verbatim(pull_request: GitRepo) -> None:
    """hooks/github/sprite-lint.yml's ``run:`` steps, in bash as GitHub runs them: the
    first fails on the broken sprite, the SARIF step still writes a report, and neither
    reports on the panels and HTML the first step wrote."""
    import json

    import yaml

    _need("bash")
    workflow = yaml.safe_load((ROOT / "hooks" / "github" / "sprite-lint.yml").read_text())
    steps = workflow["jobs"]["sprite-lint"]["steps"]
    lines = [s["run"].replace("${{ github.base_ref }}", "main") for s in steps if "run" in s]
    summary = pull_request.path.parent / "summary.md"
    env = {**pull_request.env, "GITHUB_STEP_SUMMARY": str(summary)}
    codes = _run_lines(
        lines, pull_request, ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"], env
    )
    assert codes == [0, 1, 0], pull_request.outputs
    assert "::error file=art/placeholder.png" in pull_request.outputs[0]
    assert (pull_request.path / "sprite-lint-report" / "index.html").is_file()
    assert "placeholder.png" in summary.read_text()
    sarif = json.loads((pull_request.path / "sprite-lint.sarif").read_text())
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris == ["art/placeholder.png"]  # its own panels are never scanned


@pytest.mark.clients
def test_gitlab_job_runs_verbatim(pull_request: GitRepo) -> None:
    """hooks/gitlab-ci.yml's commands, in sh as the runner runs them (the image's apt-get
    line aside): the Code Quality report names the broken sprite and nothing it wrote."""
    import json

    import yaml

    job = yaml.safe_load((ROOT / "hooks" / "gitlab-ci.yml").read_text())["sprite-lint"]
    before = [line for line in job["before_script"] if not line.startswith("apt-get")]
    env = {**pull_request.env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    codes = _run_lines([*before, *job["script"]], pull_request, ["sh", "-e", "-c"], env)
    assert codes[-1] == 1 and not any(codes[:-1]), pull_request.outputs
    issues = json.loads((pull_request.path / "gl-code-quality.json").read_text())
    assert [i["location"]["path"] for i in issues] == ["art/placeholder.png"]
    for path in job["artifacts"]["paths"]:
        assert (pull_request.path / path).exists()

#!/usr/bin/python3
"""packaging_test: what a person installing h1xx, or copying its CI examples, relies on.

1. The man page (h1xx.1) is what `make man` makes of h1xx.1.in and `h1xx --man-options` (the
   options table --help prints), and documents exactly the long options that `h1xx --help` and
   `h1xx merge --help` print, which are exactly the options runner/cli.c and runner/merge.c
   accept; groff formats it without a warning and `man -l` renders every section.
2. `make install PREFIX=...` from a copy of the tree (only the files git tracks or would track)
   installs bin/h1xx, share/h1xx/cases and share/man/man1/h1xx.1; the installed binary finds
   its cases with no flag from any directory, runs a case against the reference origin, and
   `make uninstall` removes what install put there.
3. `make deb` from a copy of the tree builds a lintian-clean Debian package, versioned as
   `h1xx --version`, that depends on the libcurl and libnghttp2 runtimes (and libc) only (libcurl
   needs libnghttp2 itself) and holds
   /usr/bin/h1xx, the cases and the man page; extracted with `dpkg-deb -x` (never installed
   here), its h1xx --list finds the cases it carries. Skipped, with a line saying so (and in
   make test's last lines), when dpkg-buildpackage, debhelper or lintian is missing.
4. examples/ci/*.yml parse as YAML, have the shape GitHub Actions and GitLab CI need (jobs,
   steps, stages, needs that name real jobs, a published JUnit report), every shell block
   passes `bash -n`, and every h1xx option they use exists. Their h1xx commands then run for
   real, as shipped, every shard (one run each), against the reference origin (SERVER_URL
   pointing at it, the CI variables a runner would set), in a fresh folder, and the report
   job's h1xx merge joins them.
5. README.md: at most 300 lines; its options table is what `h1xx --markdown-options` prints
   (the --help table); the end of `make test` it promises is what suite/skips.py prints for the
   checks that skip without their tools; the package carries it, docs/ and the drivers.

Usage: packaging_test.py ./h1xx. The last line is "packaging_test: N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import skips  # noqa: E402  (suite/skips.py: checks make test skipped)
from testlib import H1XX, record, summary  # noqa: E402

SKIPPED = []
LONG_OPT = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def run(cmd, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)


# ---- 1. man page and --help ---------------------------------------------------------------

def help_options():
    main, merge = run([H1XX, "--help"]).stdout, run([H1XX, "merge", "--help"]).stdout
    matrix = run([H1XX, "matrix", "--help"]).stdout
    return set(LONG_OPT.findall(main)) | set(LONG_OPT.findall(merge)) | \
        set(LONG_OPT.findall(matrix))


def source_options():
    """The names in the getopt tables of cli.c and merge.c."""
    names = set()
    for f in ("cli.c", "merge.c", "matrix.c"):
        with open(os.path.join(ROOT, "runner", f)) as fh:
            names |= set(re.findall(r'\{"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument',
                                    fh.read()))
    return names


def man_text(path):
    with open(path) as f:
        src = f.read()
    src = "\n".join(line for line in src.splitlines() if not line.startswith('.\\"'))
    return re.sub(r"\\f[BIRP]", "", src).replace("\\-", "-")


def generated_man():
    """h1xx.1 as `make man` writes it: h1xx.1.in with the @OPTIONS@ line replaced."""
    opts = run([H1XX, "--man-options"]).stdout
    with open(os.path.join(ROOT, "h1xx.1.in")) as f:
        lines = f.read().splitlines(keepends=True)
    return "".join(opts if line.rstrip("\n") == "@OPTIONS@" else line for line in lines)


def check_man():
    man = os.path.join(ROOT, "h1xx.1")
    with open(man) as f:
        current = f.read() == generated_man()
    record("h1xx.1 is what `make man` generates from h1xx.1.in and the --help table", current,
           "run `make man` and commit h1xx.1")
    in_help, in_source = help_options(), source_options()
    in_man = set(LONG_OPT.findall(man_text(man)))
    record("--help lists every option the parsers accept, and no other",
           in_help == in_source, f"only in --help: {sorted(in_help - in_source)}, "
           f"only in the parsers: {sorted(in_source - in_help)}")
    record("h1xx.1 documents every option of --help, and no other", in_man == in_help,
           f"missing from h1xx.1: {sorted(in_help - in_man)}, "
           f"only in h1xx.1: {sorted(in_man - in_help)}")
    g = run(["groff", "-man", "-Tutf8", "-ww", "-z", man])
    record("groff formats h1xx.1 without a warning", g.returncode == 0 and not g.stderr.strip(),
           g.stderr)
    m = run(["man", "-l", man], env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING=""))
    text = m.stdout
    sections = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "VARIABLES", "MERGE",
                "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"]
    gone = [s for s in sections if not re.search(rf"^{s}$", text, re.M)]
    record("man -l h1xx.1 renders every section", m.returncode == 0 and not gone,
           f"exit {m.returncode}, missing {gone}: {m.stderr[:300]}")
    synopsis = text[text.find("SYNOPSIS"):text.find("DESCRIPTION")]
    subs = [c for c in ("client", "vars", "baseline", "merge", "matrix")
            if not re.search(rf"h1xx {c}\b", synopsis)]
    record("the man SYNOPSIS names every subcommand", not subs, f"missing {subs}:\n{synopsis}")
    codes = [c for c in ("0", "1", "2", "3", "130", "143")
             if not re.search(rf"^\s+{c}\s+\S", text, re.M)]
    record("the man page gives every exit status", not codes, f"missing {codes}")


# ---- 2. install ---------------------------------------------------------------------------

def tree_files():
    """The files of a clean checkout: tracked, or new and not ignored."""
    p = run(["git", "-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z"])
    if p.returncode == 0 and p.stdout:
        return [f for f in p.stdout.split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]
    skip = {"build", "build-asan", "reports", ".git", "h1xx", "h1xx-asan", "__pycache__"}
    out = []
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if x not in skip]
        out += [os.path.relpath(os.path.join(d, f), ROOT) for f in files
                if not (d == ROOT and f in skip)]
    return out


def copy_tree(dst):
    for f in tree_files():
        os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f))


def check_install(workdir):
    src, prefix = os.path.join(workdir, "src"), os.path.join(workdir, "prefix")
    copy_tree(src)
    t0 = time.monotonic()
    p = run(["make", "-C", src, "-j2", "install", f"PREFIX={prefix}"], timeout=600)
    took = time.monotonic() - t0
    record(f"make install PREFIX=... from a copy of the tree ({took:.0f}s)", p.returncode == 0,
           p.stdout[-1500:] + p.stderr[-1500:])
    if p.returncode != 0:
        return
    want = ["bin/h1xx", "share/man/man1/h1xx.1", "share/h1xx/cases/requirements.tsv",
            "share/h1xx/cases/continue/exp1-chunked.case", "share/h1xx/drivers/curl.sh"]
    gone = [w for w in want if not os.path.isfile(os.path.join(prefix, w))]
    record("installed: bin/h1xx, share/h1xx/cases, share/man/man1/h1xx.1", not gone,
           f"missing {gone}")
    env = {k: v for k, v in os.environ.items() if k != "H1XX_CASES"}
    installed = os.path.join(prefix, "bin", "h1xx")
    got = run([installed, "--list"], cwd="/", env=env)
    ours = run([H1XX, "--list"])
    record("the installed h1xx --list finds its cases with no flag, from /",
           got.returncode == 0 and got.stdout.splitlines()[-1] == ours.stdout.splitlines()[-1]
           and "continue/exp1-chunked" in got.stdout, got.stdout[-500:] + got.stderr)
    with harness.start("origin.py", []) as fx:
        r = run([installed, "--no-reports", "-k", "continue/exp1-chunked",
                 f"http://127.0.0.1:{fx.port}/"], cwd="/", env=env)
    record("the installed h1xx runs a case", r.returncode == 0 and "1 passed" in r.stdout,
           r.stdout[-500:] + r.stderr)
    m = run(["man", "-l", os.path.join(prefix, "share/man/man1/h1xx.1")])
    record("man -l renders the installed page", m.returncode == 0 and "h1xx merge" in m.stdout,
           m.stderr)
    u = run(["make", "-C", src, "uninstall", f"PREFIX={prefix}"])
    left = [os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix)
            for f in fs]
    record("make uninstall removes every installed file", u.returncode == 0 and not left,
           f"left: {left} {u.stderr}")


# ---- 3. the Debian package --------------------------------------------------------------

DEB_WANT = ["./usr/bin/h1xx", "./usr/share/man/man1/h1xx.1.gz", "./usr/share/doc/h1xx/copyright",
            "./usr/share/h1xx/cases/requirements.tsv", "./usr/share/h1xx/cases/FORMAT.md",
            "./usr/share/h1xx/cases/continue/exp1-chunked.case",
            "./usr/share/h1xx/drivers/curl.sh", "./usr/share/h1xx/drivers/urllib_get.py",
            "./usr/share/doc/h1xx/examples/ci/gitlab-ci.yml",
            "./usr/share/doc/h1xx/examples/ci/github-actions.yml"]


def check_deb(workdir):
    missing = [t for t in ("dpkg-buildpackage", "dh", "lintian") if not shutil.which(t)]
    if missing:
        print(f"skip - the Debian package: {', '.join(missing)} missing "
              "(Debian: apt-get install dpkg-dev debhelper lintian)", flush=True)
        skips.note("make-deb", deb_skip_reason(missing))
        SKIPPED.append("the Debian package")
        return
    src = os.path.join(workdir, "deb-src")
    copy_tree(src)
    t0 = time.monotonic()
    p = run(["make", "-C", src, "deb"], timeout=900)
    debs = sorted(f for f in os.listdir(os.path.join(src, "dist"))
                  if f.startswith("h1xx_") and f.endswith(".deb")) \
        if os.path.isdir(os.path.join(src, "dist")) else []
    record(f"make deb from a copy of the tree: one package in dist/, lintian clean "
           f"({time.monotonic() - t0:.0f}s)", p.returncode == 0 and len(debs) == 1,
           p.stdout[-2000:] + p.stderr[-2000:])
    if p.returncode != 0 or len(debs) != 1:
        return
    deb = os.path.join(src, "dist", debs[0])
    version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
    ours = run([H1XX, "--version"]).stdout.split()
    record("the package version (debian/changelog) is h1xx --version's",
           ours[-1:] == [version], f"package {version!r}, h1xx --version {ours}")
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    names = {d.strip().split(" ")[0] for d in depends.split(",") if d.strip()}
    record("the package depends on the libcurl and libnghttp2 runtimes and libc only",
           "libcurl4" in names and names <= {"libcurl4", "libnghttp2-14", "libc6"}, depends)
    listing = run(["dpkg-deb", "--contents", deb]).stdout
    paths = {line.split()[-1] for line in listing.splitlines() if line.strip()}
    gone = [w for w in DEB_WANT if w not in paths]
    gone += [] if paths & {"./usr/share/doc/h1xx/README.md", "./usr/share/doc/h1xx/README.md.gz"} \
        else ["./usr/share/doc/h1xx/README.md[.gz]"]
    gone += [] if any(p.startswith("./usr/share/doc/h1xx/docs/") or
                      p.startswith("./usr/share/doc/h1xx/servers.md") for p in paths) \
        else ["./usr/share/doc/h1xx/docs"]
    record("the package holds /usr/bin/h1xx, the cases, the drivers, the man page, and the "
           "README, docs and CI examples in /usr/share/doc/h1xx", not gone, f"missing {gone}")
    root = os.path.join(workdir, "deb-root")
    x = run(["dpkg-deb", "-x", deb, root])
    env = {k: v for k, v in os.environ.items() if k != "H1XX_CASES"}
    got = run([os.path.join(root, "usr", "bin", "h1xx"), "--list"], cwd="/", env=env)
    ours = run([H1XX, "--list"])
    record("the extracted package's h1xx --list finds the cases it carries",
           x.returncode == 0 and got.returncode == 0 and got.stdout.splitlines()[-1:] ==
           ours.stdout.splitlines()[-1:] and "continue/exp1-chunked" in got.stdout,
           x.stderr + got.stdout[-500:] + got.stderr)


# ---- 4. CI examples -----------------------------------------------------------------------

def load_yaml(path):
    try:
        import yaml
    except ImportError:
        if os.path.realpath(sys.executable) != "/usr/bin/python3" and \
                os.access("/usr/bin/python3", os.X_OK):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise SystemExit("packaging_test: python3-yaml is not installed (Debian: python3-yaml)")
    with open(path) as f:
        return yaml.safe_load(f)


def shell_ok(script, where, problems):
    script = re.sub(r"\$\{\{[^}]*\}\}", "1", script)  # GitHub expressions
    p = run(["bash", "-n", "-c", script])
    if p.returncode != 0:
        problems.append(f"{where}: bash -n: {p.stderr.strip()}")


def h1xx_options_used(script):
    joined = re.sub(r"\\\n", " ", script)
    opts = set()
    for line in joined.splitlines():
        m = re.search(r"(?:^|[\s/\"])h1xx\"?\s(.*)$", line)
        if m:
            opts |= set(LONG_OPT.findall(m.group(1)))
    return opts


def check_github(path, known):
    d, problems, used = load_yaml(path), [], set()
    on = d.get("on", d.get(True))
    if not on or not isinstance(d.get("jobs"), dict) or not d["jobs"]:
        problems.append("needs 'on' and 'jobs'")
    for name, job in (d.get("jobs") or {}).items():
        if "runs-on" not in job or not isinstance(job.get("steps"), list) or not job["steps"]:
            problems.append(f"job {name}: needs runs-on and steps")
            continue
        needs = job.get("needs", [])
        for n in [needs] if isinstance(needs, str) else needs:
            if n not in d["jobs"]:
                problems.append(f"job {name}: needs unknown job {n}")
        for i, step in enumerate(job["steps"]):
            if ("run" in step) == ("uses" in step):
                problems.append(f"job {name} step {i}: exactly one of run/uses")
            if "run" in step:
                shell_ok(step["run"], f"job {name} step {i}", problems)
                used |= h1xx_options_used(step["run"])
    uses = [s.get("uses", "") for j in d["jobs"].values() for s in j.get("steps", [])]
    if not any("junit" in u for u in uses):
        problems.append("no step publishes the JUnit report")
    shards = d["jobs"].get("conformance", {}).get("strategy", {}).get("matrix", {}).get("shard")
    if shards != list(range(1, int(d["env"]["SHARDS"]) + 1)):
        problems.append(f"matrix shards {shards} do not match SHARDS={d['env']['SHARDS']}")
    if used - known or "shard" not in used:
        problems.append(f"h1xx options that do not exist: {sorted(used - known)} (used {used})")
    record("examples/ci/github-actions.yml: YAML, jobs and steps, bash -n, h1xx options",
           not problems, "\n    ".join(problems))


GITLAB_RESERVED = {"stages", "variables", "default", "include", "workflow", "image", "services",
                   "before_script", "after_script", "cache"}


def check_gitlab(path, known):
    d, problems, used = load_yaml(path), [], set()
    stages = d.get("stages", [])
    jobs = {k: v for k, v in d.items() if k not in GITLAB_RESERVED and not k.startswith(".")}
    for name, job in jobs.items():
        if job.get("stage") not in stages:
            problems.append(f"job {name}: stage {job.get('stage')} not in {stages}")
        script = job.get("script")
        if not isinstance(script, list) or not all(isinstance(s, str) for s in script):
            problems.append(f"job {name}: script must be a list of strings")
            continue
        for n in job.get("needs", []):
            if n not in jobs:
                problems.append(f"job {name}: needs unknown job {n}")
        shell_ok("\n".join(script), f"job {name}", problems)
        used |= h1xx_options_used("\n".join(script))
    junit = [j for j in jobs.values()
             if j.get("artifacts", {}).get("reports", {}).get("junit")]
    if not junit:
        problems.append("no job publishes a JUnit report (artifacts:reports:junit)")
    if not any(isinstance(j.get("parallel"), int) and "CI_NODE_TOTAL" in "\n".join(j["script"])
               for j in jobs.values()):
        problems.append("no parallel job shards with $CI_NODE_INDEX/$CI_NODE_TOTAL")
    if used - known or "shard" not in used:
        problems.append(f"h1xx options that do not exist: {sorted(used - known)} (used {used})")
    record("examples/ci/gitlab-ci.yml: YAML, stages and jobs, bash -n, h1xx options",
           not problems, "\n    ".join(problems))


# ---- 4b. the CI examples' h1xx commands, run as shipped -----------------------------------

def logical_lines(script):
    return re.sub(r"\\\n\s*", " ", script).splitlines()


def run_ci(name, script, env, cwd):
    """Runs a shell script from an example in bash, as the CI runner would; (exit, output)."""
    p = run(["bash", "-e", "-o", "pipefail", "-c", script], env=env, cwd=cwd, timeout=300)
    return p.returncode, p.stdout[-1500:] + p.stderr[-1500:]


def ci_env(workdir, url, extra):
    """A fresh folder with h1xx where each example finds it: on PATH (GitHub), in
    h1xx/bin (GitLab's artifact) and in $HOME/h1xx/bin (GitHub's report job)."""
    home = os.path.join(workdir, "home")
    for d in (os.path.join(workdir, "h1xx", "bin"), os.path.join(home, "h1xx", "bin")):
        os.makedirs(d, exist_ok=True)
        if not os.path.exists(os.path.join(d, "h1xx")):
            os.symlink(H1XX, os.path.join(d, "h1xx"))
    env = {k: v for k, v in os.environ.items() if k != "H1XX_CASES"}
    env.update(extra)  # the example's own variables, then where the server under test is
    env.update(HOME=home, SERVER_URL=url, NO_COLOR="1",
               PATH=os.path.join(home, "h1xx", "bin") + os.pathsep + env.get("PATH", ""))
    return env


def run_github(path, url, workdir):
    d = load_yaml(path)
    cwd = os.path.join(workdir, "github")
    os.makedirs(cwd)
    env = ci_env(cwd, url, {k: str(v) for k, v in d.get("env", {}).items()})
    env["H1XX_BASELINE"] = ""
    steps = d["jobs"]["conformance"]["steps"]
    shard = [s for s in steps if s.get("name", "").startswith("Run h1xx")]
    for i in d["jobs"]["conformance"]["strategy"]["matrix"]["shard"]:
        script = re.sub(r"\$\{\{\s*matrix\.shard\s*\}\}", str(i), shard[0]["run"]) \
            if shard else "false"
        shutil.rmtree(os.path.join(cwd, "reports"), ignore_errors=True)
        rc, out = run_ci("github", script, env, cwd)
        ok = rc == 0 and os.path.isfile(os.path.join(cwd, "reports", "results.json"))
        record(f"examples/ci/github-actions.yml: the shard's h1xx command, as shipped, shard "
               f"{i} of {env.get('SHARDS')} against the reference origin: exit 0, reports/",
               ok, f"exit {rc}\n{out}")
        if not ok:
            return
        os.makedirs(os.path.join(cwd, "shards", f"h1xx-shard-{i}"))
        shutil.copy(os.path.join(cwd, "reports", "results.json"),
                    os.path.join(cwd, "shards", f"h1xx-shard-{i}"))
    merge = [s["run"] for s in d["jobs"]["report"]["steps"] if "merge" in s.get("run", "")]
    lines = [ln for ln in logical_lines(merge[0] if merge else "")
             if re.search(r'h1xx"?\s+merge', ln)]
    rc, out = run_ci("github", "\n".join(lines) or "false", env, cwd)
    record("examples/ci/github-actions.yml: the report job's h1xx merge, as shipped",
           rc == 0 and os.path.isfile(os.path.join(cwd, "report.html")), f"exit {rc}\n{out}")


def run_gitlab(path, url, workdir):
    d = load_yaml(path)
    cwd = os.path.join(workdir, "gitlab")
    os.makedirs(cwd)
    env = ci_env(cwd, url, {k: str(v) for k, v in d.get("variables", {}).items()})
    env.update(CI_NODE_INDEX="1", CI_NODE_TOTAL=str(d["h1xx:conformance"]["parallel"]),
               CI_PROJECT_DIR=cwd, H1XX_BASELINE="")
    lines = [ln for s in d["h1xx:conformance"]["script"] for ln in logical_lines(s)
             if "h1xx/bin/h1xx" in ln]
    for i in range(1, int(env["CI_NODE_TOTAL"]) + 1):
        env["CI_NODE_INDEX"] = str(i)
        rc, out = run_ci("gitlab", "\n".join(lines) or "false", env, cwd)
        ok = rc == 0 and os.path.isfile(os.path.join(cwd, "reports", str(i), "junit.xml"))
        record(f"examples/ci/gitlab-ci.yml: the shard's h1xx command, as shipped, shard {i} "
               f"of {env['CI_NODE_TOTAL']} against the reference origin: exit 0, reports/{i} "
               "created", ok, f"exit {rc}\n{out}")
        if not ok:
            return
    lines = [ln for s in d["h1xx:report"]["script"] for ln in logical_lines(s)
             if "h1xx/bin/h1xx" in ln]
    rc, out = run_ci("gitlab", "\n".join(lines) or "false", env, cwd)
    record("examples/ci/gitlab-ci.yml: the report job's h1xx merge, as shipped",
           rc == 0 and os.path.isfile(os.path.join(cwd, "h1xx-report.html")), f"exit {rc}\n{out}")


def run_examples(workdir):
    with harness.start("origin.py", []) as fx:
        url = f"http://127.0.0.1:{fx.port}/"
        run_github(os.path.join(ROOT, "examples", "ci", "github-actions.yml"), url, workdir)
        run_gitlab(os.path.join(ROOT, "examples", "ci", "gitlab-ci.yml"), url, workdir)


# ---- 5. README --------------------------------------------------------------------------------

def between(text, start, end):
    i = text.find(start)
    j = text.find(end, i + 1) if i >= 0 else -1
    if i < 0 or j < 0:
        return None
    return text[text.index("\n", i) + 1:j]


def deb_skip_reason(missing):
    return f"{', '.join(missing)} missing"


def check_readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    n = text.count("\n")
    record(f"README.md is at most 300 lines ({n}), and docs/ exists",
           n <= 300 and os.path.isdir(os.path.join(ROOT, "docs")))
    table = between(text, "<!-- options:", "<!-- /options -->")
    want = run([H1XX, "--markdown-options"]).stdout
    record("README's options table is `h1xx --markdown-options` (the --help table)",
           table == want, f"README:\n{table}\nh1xx --markdown-options:\n{want}")
    promised = between(text, "<!-- make-test-end", "<!-- /make-test-end -->")
    # what suite/skips.py prints for the two checks that skip without their tools, with the
    # reasons html_test.py and check_deb give on a machine that has none of them
    d = tempfile.mkdtemp(prefix="h1xx-skips-")
    old = os.environ.get("H1XX_SKIPPED")
    os.environ["H1XX_SKIPPED"] = d
    try:
        skips.note("html_test", "chromium missing")
        skips.note("make-deb", deb_skip_reason(["dpkg-buildpackage", "dh", "lintian"]))
        import contextlib
        import io
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            count = skips.summary()
    finally:
        shutil.rmtree(d, ignore_errors=True)
        if old is None:
            os.environ.pop("H1XX_SKIPPED", None)
        else:
            os.environ["H1XX_SKIPPED"] = old
    lines = [ln.strip() for ln in (promised or "").strip().splitlines()]
    real = [buf.getvalue().strip(), f"selftest: N passed, 0 failed, {count} skipped"]
    record("the end of make test that README promises is what skips.py and selftest print",
           lines == real, f"README: {lines}\nreal:   {real}")
    for f in ("html_test.py", "packaging_test.py"):
        with open(os.path.join(ROOT, "suite", f)) as fh:
            src = fh.read()
        if f == "html_test.py" and 'skips.note("html_test", "chromium missing")' not in src:
            record("html_test.py still notes its skip as README says", False, f)


def main():
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"packaging_test: no h1xx binary at {H1XX}")
    workdir = tempfile.mkdtemp(prefix="h1xx-packaging-")
    t0 = time.monotonic()
    try:
        check_man()
        known = help_options()
        check_github(os.path.join(ROOT, "examples", "ci", "github-actions.yml"), known)
        check_gitlab(os.path.join(ROOT, "examples", "ci", "gitlab-ci.yml"), known)
        run_examples(workdir)
        check_readme()
        check_install(workdir)
        check_deb(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"packaging_test took {time.monotonic() - t0:.1f}s")
    return summary("packaging_test", f", {len(SKIPPED)} skipped" if SKIPPED else "")


if __name__ == "__main__":
    sys.exit(main())

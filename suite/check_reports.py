#!/usr/bin/python3
"""check_reports: cross-check the JUnit XML and JSON reports of one h1xx run.

usage: check_reports.py junit.xml results.json

1. junit.xml validates (xmllint --schema) against the project's schema,
   suite/junit/h1xx-junit.xsd; also against the xunit schema at REPO/../shared/junit/junit-10.xsd
   when a checkout has it beside the repository (one line says so when it is absent), and
   against $H1XX_JUNIT_XSD when set. A report with file/line attributes (--junit-file-line) is
   checked against the project's schema only: the xunit schema rejects those by design.
2. An independent reader (junitparser, on the standard library's expat) reads it back; its
   counts (root, suites, and testcase by testcase) equal the JSON summary, counted as the
   console's last line counts (README, "The summary"): a case that counts as failed is an
   error when its verdict is error or not-run, else a failure (fail, warn under strict, a
   known failure that now passes under --strict-baseline); skip and expected failures of a
   baseline -> skipped.
3. results.json parses and has the documented shape; its summary matches its cases.
4. What CI consumers rely on: testcase names unique within a classname, a one-line non-empty
   message and a non-empty text on every failure/error/skipped, `type` a level or "harness".

Prints "check_reports: ok ..." and exits 0, or prints each problem and exits 1.
Standard library only, plus xmllint and junitparser (Debian: libxml2-utils,
python3-junitparser; the latter is importable from /usr/bin/python3).
"""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

SYSTEM_PYTHON = "/usr/bin/python3"

TOP_KEYS = ["h1xx", "target", "mode", "started", "hostname", "duration_s", "interrupted",
            "deadline_hit", "strict", "shard", "summary", "cases"]
SUMMARY_KEYS = ["pass", "warn", "fail", "skip", "error", "not-run", "total"]
CASE_KEYS = ["id", "area", "title", "file", "line", "require", "rfc", "level", "verdict",
             "message", "failed_require", "start_s", "duration_s", "messages", "findings",
             "notes", "transcript", "transcript_truncated"]
MESSAGE_KEYS = ["conn", "status", "interim", "t_first_s", "t_head_s", "t_end_s", "head",
                "head_b64", "body_len"]
FINDING_KEYS = ["code", "name", "text", "require", "verdict", "conn", "offset"]
TX_KEYS = ["kind", "conn", "t_s", "data", "b64"]
TYPES = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "harness", "not-run", "baseline"}


def import_junitparser():
    """Returns the junitparser module, re-running this script under the system Python when
    the current interpreter (a venv, say) cannot import it."""
    try:
        import junitparser
        return junitparser
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
                os.access(SYSTEM_PYTHON, os.X_OK):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
        raise


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN_XSD = os.path.join(REPO, "suite", "junit", "h1xx-junit.xsd")
XUNIT_XSD = os.path.join(os.path.dirname(REPO), "shared", "junit", "junit-10.xsd")


def schema_paths(junit_path):
    """The schemas junit_path must satisfy: ours always; the xunit one when present and the
    report has no file/line attributes; $H1XX_JUNIT_XSD when set."""
    paths = [OWN_XSD]
    file_line = has_file_line(junit_path)
    if os.path.isfile(XUNIT_XSD):
        if not file_line:
            paths.append(XUNIT_XSD)
    else:
        print(f"check_reports: {XUNIT_XSD} absent: checked against {OWN_XSD} only")
    env = os.environ.get("H1XX_JUNIT_XSD")
    if env and not file_line:
        paths.append(env)
    return paths


def has_file_line(junit_path):
    try:
        root = ET.parse(junit_path).getroot()
    except (OSError, ET.ParseError):  # xmllint and junitparser report it
        return False
    return any("file" in c.attrib or "line" in c.attrib for c in root.iter("testcase"))


# ---- junit.xml against the schema ---------------------------------------------------------

def check_schema(junit_path, problems):
    if not shutil.which("xmllint"):
        problems.append("xmllint not found (Debian: libxml2-utils)")
        return
    for xsd in schema_paths(junit_path):
        if not os.path.isfile(xsd):
            problems.append(f"schema not found: {xsd}")
            continue
        p = subprocess.run(["xmllint", "--noout", "--schema", xsd, junit_path],
                           capture_output=True, text=True, errors="replace")
        if p.returncode != 0:
            lines = (p.stderr or p.stdout).strip().splitlines()
            problems.append(f"{junit_path} does not validate against {xsd}:")
            problems.extend("  " + line for line in lines[:20])


# ---- results.json -------------------------------------------------------------------------

def missing(obj, keys, where, problems):
    if not isinstance(obj, dict):
        problems.append(f"{where}: not an object")
        return True
    gone = [k for k in keys if k not in obj]
    if gone:
        problems.append(f"{where}: missing {', '.join(gone)}")
    return bool(gone)


def check_case_shape(i, case, problems):
    where = f"results.json cases[{i}]"
    if missing(case, CASE_KEYS, where, problems):
        return
    if not isinstance(case["require"], list):
        problems.append(f"{where}.require: not an array")
    if case["failed_require"] is not None and not isinstance(case["failed_require"], str):
        problems.append(f"{where}.failed_require: not a string or null")
    for name, keys in (("messages", MESSAGE_KEYS), ("findings", FINDING_KEYS),
                       ("transcript", TX_KEYS)):
        items = case[name]
        if not isinstance(items, list):
            problems.append(f"{where}.{name}: not an array")
            continue
        for j, item in enumerate(items):
            missing(item, keys, f"{where}.{name}[{j}]", problems)
    if not all(isinstance(n, str) for n in case["notes"]):
        problems.append(f"{where}.notes: not an array of strings")


def load_json(json_path, problems):
    try:
        with open(json_path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        problems.append(f"{json_path}: {e}")
        return None
    if missing(data, TOP_KEYS, "results.json", problems):
        return None
    if missing(data["summary"], SUMMARY_KEYS, "results.json summary", problems):
        return None
    for i, case in enumerate(data["cases"]):
        check_case_shape(i, case, problems)
    counted = {k: 0 for k in SUMMARY_KEYS}
    for case in data["cases"]:
        counted[case.get("verdict")] = counted.get(case.get("verdict"), 0) + 1
    counted["total"] = len(data["cases"])
    for k in SUMMARY_KEYS:
        if counted.get(k, 0) != data["summary"][k]:
            problems.append(f"results.json summary {k}={data['summary'][k]} but the cases "
                            f"have {counted.get(k, 0)}")
    return data


# ---- junit.xml read back ------------------------------------------------------------------

def expected_counts(data):
    base = data.get("baseline") or {}
    want = {"tests": len(data["cases"]), "failures": 0, "errors": 0, "skipped": 0}
    for c in data["cases"]:
        v, mark = c["verdict"], c.get("baseline")
        if mark == "expected" or v == "skip":
            want["skipped"] += 1
        elif v in ("error", "not-run"):
            want["errors"] += 1
        elif v == "fail" or (v == "warn" and data["strict"]) or \
                (mark == "fixed" and base.get("strict")):
            want["failures"] += 1
    return want


def check_result_elements(case, problems):
    where = f"testcase {case.classname!r} {case.name!r}"
    results = list(case.result)
    if len(results) > 1:
        problems.append(f"{where}: {len(results)} result elements (at most one)")
    for r in results:
        tag = type(r).__name__.lower()
        if not (r.message or "").strip() or "\n" in (r.message or ""):
            problems.append(f"{where}: <{tag}> message empty or not one line")
        if not (r.text or "").strip():
            problems.append(f"{where}: <{tag}> has no text")
        if r.type is not None and r.type not in TYPES:
            problems.append(f"{where}: <{tag}> type {r.type!r} is not a level or 'harness'")
    return results


def read_junit(junitparser, junit_path, problems):
    """Returns the counts junitparser sees: root attributes, suite attributes and testcase
    results, each as a dict."""
    xml = junitparser.JUnitXml.fromfile(junit_path)
    root = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors}
    suites = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    cases = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    kinds = {"Failure": "failures", "Error": "errors", "Skipped": "skipped"}
    for suite in xml:
        for k in suites:
            suites[k] += int(getattr(suite, k) or 0)
        seen = set()
        for case in suite:
            key = (case.classname, case.name)
            if key in seen:
                problems.append(f"testcase name {case.name!r} repeated in {case.classname!r}")
            seen.add(key)
            cases["tests"] += 1
            for r in check_result_elements(case, problems):
                cases[kinds.get(type(r).__name__, "tests")] += 1
    return root, suites, cases


def compare(label, got, want, problems):
    for k, v in got.items():
        if v != want[k]:
            problems.append(f"junit {label} {k}={v}, results.json says {want[k]}")


def main(argv):
    if len(argv) != 3:
        print("usage: check_reports.py junit.xml results.json", file=sys.stderr)
        return 1
    junit_path, json_path = argv[1], argv[2]
    junitparser = import_junitparser()
    problems = []
    check_schema(junit_path, problems)
    data = load_json(json_path, problems)
    try:
        root, suites, cases = read_junit(junitparser, junit_path, problems)
    except Exception as e:  # junitparser raises parser-specific errors
        problems.append(f"{junit_path}: junitparser cannot read it: {e}")
        root = suites = cases = None
    if data is not None and cases is not None:
        want = expected_counts(data)
        compare("root", root, want, problems)
        compare("suites", suites, want, problems)
        compare("testcases", cases, want, problems)
    if problems:
        for p in problems:
            print(f"check_reports: {p}", file=sys.stderr)
        print(f"check_reports: FAILED ({len(problems)} problem(s))")
        return 1
    print(f"check_reports: ok: {want['tests']} tests, {want['failures']} failures, "
          f"{want['errors']} errors, {want['skipped']} skipped; {os.path.basename(junit_path)} "
          f"validates and agrees with {os.path.basename(json_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

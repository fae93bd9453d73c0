"""CI output formats: SARIF 2.1.0, JUnit XML, GitHub annotations, GitLab Code Quality, Markdown.

Pure functions of a :class:`CheckReport`; nothing here prints or writes files.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from sprite_lint import __version__
from sprite_lint.check import CheckReport, FileResult, Notice
from sprite_lint.discovery import printable, unsafe_char
from sprite_lint.scoring import SIGNAL_LABELS, SIGNALS
from sprite_lint.sheets import FAULT_HELP, FAULT_KINDS, FAULT_LABELS
from sprite_lint.signals import EXPORT_SIGNALS, SIGNAL_HELP

INFO_URI = "https://github.com/sprite-lint/sprite-lint"
UNREADABLE = "unreadable"
BASELINE_CHANGED = "baseline-changed"  # a notice: the change edits a baseline (--baseline-ref)
RULES: dict[str, str] = {
    # rule ids stay "off-style/..." for every signal (code scanning keys alerts on them);
    # an export mark is named for what it is: the sprite may be on-style, its export broken
    **{
        f"off-style/{s}": (
            f"Broken export or edit: {SIGNAL_LABELS[s]}"
            if s in EXPORT_SIGNALS
            else f"Sprite is off-style: {SIGNAL_LABELS[s]}"
        )
        for s in SIGNALS
    },
    **{f"sheet/{k}": f"Sprite sheet fault: {FAULT_LABELS[k]}" for k in FAULT_KINDS},
    UNREADABLE: "File could not be read as a PNG sprite",
}
RULE_HELP: dict[str, str] = {
    **{f"off-style/{s}": SIGNAL_HELP[s] for s in SIGNALS},
    **{f"sheet/{k}": FAULT_HELP[k] for k in FAULT_KINDS},
    UNREADABLE: "The file is not a PNG that can be decoded as libpng decodes it: missing, "
    "empty, truncated or damaged, a Git LFS pointer (run `git lfs pull`), another format "
    "renamed .png, or over the pixel limit. The result's message says which. Fix or "
    "re-export the file; an unreadable file is never approved.",
}


def _rule_name(rid: str) -> str:
    """A rule's human name, distinct from its id: ``off-style/few_colours`` -> ``OffStyleFewColours``."""
    words = re.split(r"[^a-zA-Z0-9]+", rid)
    return "".join(w[:1].upper() + w[1:] for w in words if w) + ("Png" if rid == UNREADABLE else "")


def _uri(path: str) -> str:
    """A path as a relative URI reference (RFC 3986): UTF-8 percent-encoded except the
    characters a path segment may hold as they are; a ``:`` in the first segment is
    encoded too, or the segment would read as a scheme."""
    first, sep, rest = path.partition("/")
    return quote(first, safe="!$&'()*+,;=@~") + sep + quote(rest, safe="/!$&'()*+,;=:@~")


def _rule(r: FileResult) -> str:
    if r.status == "error":
        return UNREADABLE
    return f"sheet/{r.driver}" if r.driver in FAULT_KINDS else f"off-style/{r.driver}"


def _detail(r: FileResult) -> str:
    """The finding in words; a frame of a sheet is named first (``frame #3 (x=96 ...)``)."""
    where = "" if r.frame is None else f"frame {r.frame.label[1:]}: "
    if r.status == "error":
        return r.message
    if r.score is None or r.threshold is None:  # a sheet fault: no score, its message says it
        return f"{where}{r.message}"
    from sprite_lint.reporters import fmt_num, fmt_p

    what = "frame" if r.frame is not None else "sprite"
    p = fmt_p(r.p_value)
    tail = "" if r.driver in EXPORT_SIGNALS else f"; the {what} does not look like the approved art"
    return (  # numbers as the table writes them (fmt_num): 10.97, not 11
        f"{where}{r.message}: score {fmt_num(r.score)} over the limit {fmt_num(r.threshold)} "
        f"(p {'< ' + p[1:] if p.startswith('<') else '= ' + p}){tail}"
    )


def _title(r: FileResult) -> str:
    """A problem's short title, as a GitHub annotation's."""
    if r.status == "error":
        return "sprite-lint: unreadable file"
    if r.driver in FAULT_KINDS:
        return "sprite-lint: sprite sheet fault"
    if r.driver in EXPORT_SIGNALS:
        return "sprite-lint: broken export or edit"
    return "sprite-lint: off-style sprite"


def fingerprint(r: FileResult) -> str:
    """Stable across runs: the path, the rule and the frame, not scores that move with
    retraining."""
    frame = "" if r.frame is None else f"\0#{r.frame.index}"
    return hashlib.sha256(f"{r.path}\0{_rule(r)}{frame}".encode()).hexdigest()[:32]


def _problems(report: CheckReport) -> list[FileResult]:
    return [r for r in report.results if r.status != "pass"]


def to_sarif(report: CheckReport) -> str:
    """SARIF 2.1.0 as GitHub code scanning accepts it: one result per failing or bad file."""
    rule_ids = list(RULES)
    results = []
    for r in _problems(report):
        rid = _rule(r)
        res: dict[str, Any] = {
            "ruleId": rid,
            "ruleIndex": rule_ids.index(rid),
            "level": "error",
            "message": {"text": _detail(r)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 1},
                    }
                }
            ],
            "partialFingerprints": {"spriteLint/v1": fingerprint(r)},
        }
        if r.frame is not None:
            res.setdefault("properties", {})["frame"] = r.frame.to_dict()
        if r.status == "fail" and r.score is not None:
            res.setdefault("properties", {}).update(
                {
                    "score": r.score,
                    "threshold": r.threshold,
                    "pValue": r.p_value,
                    "region": None if r.region is None else r.region.to_dict(),
                }
            )
        results.append(res)
    doc: dict[str, Any] = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sprite-lint",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": [
                            {
                                "id": rid,
                                "name": _rule_name(rid),
                                "shortDescription": {"text": text},
                                "fullDescription": {"text": RULE_HELP[rid].split(". ")[0] + "."},
                                "help": {
                                    "text": RULE_HELP[rid],
                                    "markdown": f"**{text}**\n\n{RULE_HELP[rid]}",
                                },
                                "defaultConfiguration": {"level": "error"},
                            }
                            for rid, text in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    if report.notices:  # a notification of the run, and a run property for scripts
        run = doc["runs"][0]
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "descriptor": {"id": BASELINE_CHANGED},
                        "level": "error" if n.fails else "warning",
                        "message": {"text": n.message},
                    }
                    for n in report.notices
                ],
            }
        ]
        run["properties"] = {"spriteLintNotices": [n.to_dict() for n in report.notices]}
    return json.dumps(doc, indent=2) + "\n"


def to_junit(
    report: CheckReport, *, timestamp: datetime | None = None, hostname: str | None = None
) -> str:
    """JUnit XML: one testcase per file; failure for an anomaly, error for bad input.

    Valid under the Apache Ant JUnit schema, the strictest common one (Jenkins, GitLab and
    the others accept it): the suite has a ``timestamp`` (UTC, no zone), ``hostname``,
    ``time``, ``id`` and ``package``, and always a ``properties``, ``system-out`` and
    ``system-err``; every case has a ``time``. Files are scored in batches, so a case's
    time is 0 and the suite's is the whole check's (``report.elapsed``).
    """
    c = report.counts
    failing_notices = sum(n.fails for n in report.notices)
    when = (timestamp or datetime.now(timezone.utc)).astimezone(timezone.utc)
    suite = ET.Element(
        "testsuite",
        name="sprite-lint",
        tests=str(len(report.results) + failing_notices),
        failures=str(c["fail"] + failing_notices),
        errors=str(c["error"]),
        skipped="0",
        time=f"{report.elapsed or 0.0:.3f}",
        timestamp=when.strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=hostname or socket.gethostname() or "localhost",
        id="0",
        package="sprite-lint",
    )
    props = ET.SubElement(suite, "properties")  # first in the suite, as the schemas order it
    for n in report.notices:
        ET.SubElement(props, "property", name=f"sprite-lint.{BASELINE_CHANGED}", value=n.message)
    for n in report.notices:
        if n.fails:  # --fail-on-baseline-change: a failing case, so test reports show it
            case = ET.SubElement(
                suite, "testcase", classname="sprite-lint.baseline", name=n.path or "", time="0"
            )
            ET.SubElement(
                case, "failure", message=n.message, type=BASELINE_CHANGED
            ).text = n.message
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname="sprite-lint", name=r.label, time="0")
        if r.status == "fail":
            ET.SubElement(case, "failure", message=r.message, type=_rule(r)).text = _detail(r)
        elif r.status == "error":
            ET.SubElement(case, "error", message=r.message, type=UNREADABLE).text = r.message
    ET.SubElement(suite, "system-out").text = ""
    ET.SubElement(suite, "system-err").text = ""
    suites = ET.Element("testsuites")  # the Ant schema allows no attributes here
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _escape_data(s: str) -> str:
    """A workflow command's message: GitHub's own escapes (``%``, CR, LF), and any other
    control character or bidirectional override percent-encoded too (GitHub leaves those
    as they are: a name's escape sequence would otherwise restyle the log)."""
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if s.isprintable():
        return s
    return "".join("".join(f"%{b:02X}" for b in ch.encode()) if unsafe_char(ch) else ch for ch in s)


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def to_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per problem file."""
    lines = [
        f"::{'error' if n.fails else 'warning'} title={_escape_prop('sprite-lint: baseline changed')}"
        f"::{_escape_data(n.message)}"
        for n in report.notices
    ]
    for r in _problems(report):
        lines.append(
            f"::error file={_escape_prop(r.path)},title={_escape_prop(_title(r))}"
            f"::{_escape_data(_detail(r))}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _notice_file(n: Notice) -> str:
    """The repository file a notice points at: the file it names as changed; from a merged
    report, which keeps no such file, a settings file itself or a baseline's manifest."""
    if n.file:
        return n.file
    path = n.path or ""
    return path if path.endswith(".toml") else f"{path}/manifest.json"


def to_gitlab(report: CheckReport) -> str:
    """GitLab Code Quality report (a JSON array of issues)."""
    notices = [
        {
            "description": n.message,
            "check_name": BASELINE_CHANGED,
            "fingerprint": hashlib.sha256(f"{n.path}\0{BASELINE_CHANGED}".encode()).hexdigest()[
                :32
            ],
            "severity": "major" if n.fails else "info",
            # the file changed (a settings file, the baseline's first changed file); from a
            # merged report, which keeps no file, the baseline's manifest
            "location": {"path": _notice_file(n), "lines": {"begin": 1}},
        }
        for n in report.notices
    ]
    issues = notices + [
        {
            # the file, then the finding: _detail names the frame of a sheet itself
            "description": f"{printable(r.path)}: {_detail(r)}",
            "check_name": _rule(r),
            "fingerprint": fingerprint(r),
            "severity": "major",
            "location": {"path": r.path, "lines": {"begin": 1}},
        }
        for r in _problems(report)
    ]
    return json.dumps(issues, indent=2) + "\n"


def _md_text(text: str) -> str:
    """Text for a GitHub-flavoured Markdown table cell: one line, no cell break, no HTML."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_code(text: str) -> str:
    """``text`` as an inline code span in a table cell, whatever backticks it holds: the
    fence is one backtick longer than the longest run inside (CommonMark)."""
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_markdown(report: CheckReport) -> str:
    """A Markdown summary (pull-request comments, ``$GITHUB_STEP_SUMMARY``)."""
    from sprite_lint.reporters import fmt_num, fmt_p, sorted_results, summary_line

    def num(v: float | None) -> str:
        return "–" if v is None else fmt_num(v)

    out = ["## sprite-lint", ""]
    for n in report.notices:
        out += [f"> {'❌' if n.fails else '⚠️'} **{_md_text(n.message)}**", ""]
    out += [summary_line(report), ""]
    out += [
        "| file | result | score | limit | p | what, where |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    icon = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error"}
    for r in sorted_results(report):
        msg = "" if r.status == "pass" and not r.approved else _md_text(r.message)
        out.append(
            f"| {_md_code(r.label)} | {icon[r.status]} | {num(r.score)} | {num(r.threshold)} | "
            f"{fmt_p(r.p_value) if r.p_value is not None else num(None)} | {msg} |"
        )
    if report.counts["fail"]:  # what the author can do, as the table's hint says
        out += [
            "",
            "Fix each failing file, or, if it is right as it is, approve it: "
            '`sprite-lint approve FILE --reason "..."` (`sprite-lint explain FILE` shows why '
            "it failed).",
        ]
    return "\n".join(out) + "\n"

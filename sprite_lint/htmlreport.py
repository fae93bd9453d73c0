"""One self-contained HTML report of a check: summary, a card per file, score distributions.

No external assets: panels are inline PNG data, the histogram is drawn by a few lines of
inline JavaScript from the scores embedded in the page (with a plain table as fallback).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence

import numpy as np

from sprite_lint import __version__
from sprite_lint.baseline import Baseline
from sprite_lint.check import CheckReport, FileResult
from sprite_lint.explain import Detail
from sprite_lint.reporters import (
    STATUS_LABEL,
    fmt_num,
    fmt_p,
    fmt_signed,
    sorted_results,
    summary_line,
)
from sprite_lint.signals import SIGNAL_LABELS
from sprite_lint.standardize import combine

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#16161d;color:#e6e6e6}
header,main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:24px 0 8px}
.summary{display:flex;gap:12px;flex-wrap:wrap}
.stat{background:#23232e;border-radius:8px;padding:8px 14px}
.stat b{font-size:20px;display:block}
.fail b,.badge.fail{color:#ff5f6d}.error b,.badge.error{color:#ffc857}.pass b,.badge.pass{color:#5fd38d}
.card{background:#23232e;border-radius:8px;padding:12px 16px;margin:10px 0}
.card h3{margin:0 0 6px;font-size:15px;word-break:break-all}
.badge{font-weight:700;margin-right:8px}
.scores{color:#b8b8c8;font-variant-numeric:tabular-nums}
.card img{image-rendering:pixelated;max-width:100%;margin-top:8px;border-radius:4px}
.filters button{background:#2f2f3c;color:#e6e6e6;border:0;border-radius:6px;padding:5px 12px;
 margin-right:6px;cursor:pointer}.filters button.on{background:#4b4bd6}
#dist svg{background:#23232e;border-radius:8px}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}
.muted{color:#8d8da0}
.notice{border-radius:8px;padding:10px 14px;margin:8px 0;font-weight:600;background:#3a3020;color:#ffc857}
.notice.fail{background:#3a2024;color:#ff5f6d}
"""

_JS = """
(function(){
  const data = JSON.parse(document.getElementById('scores').textContent);
  const ns = 'http://www.w3.org/2000/svg';
  const bins = 30, width = 720, height = 220, pad = 30;
  function el(name, attrs){
    const e = document.createElementNS(ns, name);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    return e;
  }
  function chart(set){
    const checked = set.checked.map(c => c.score);
    const all = set.calibration.concat(checked, [set.threshold]);
    const lo = Math.min(...all), hi = Math.max(...all);
    const step = (hi - lo) / bins || 1;
    function hist(values){
      const h = new Array(bins).fill(0);
      values.forEach(v => h[Math.min(bins - 1, Math.floor((v - lo) / step))]++);
      const n = values.length || 1;
      return h.map(c => c / n);
    }
    const cal = hist(set.calibration), chk = hist(checked);
    const top = Math.max(...cal, ...chk) || 1;
    const svg = el('svg', {width: width, height: height, role: 'img',
      'aria-label': 'score distributions for ' + set.name});
    const bw = (width - 2 * pad) / bins;
    [[cal, '#6c8cff', 'bar-calibration', 0], [chk, '#ff8c5f', 'bar-checked', bw / 2]]
      .forEach(([h, colour, cls, offset]) => h.forEach((v, i) => {
        const bh = (height - 2 * pad) * v / top;
        svg.appendChild(el('rect', {x: pad + i * bw + offset, width: bw / 2,
          y: height - pad - bh, height: bh, fill: colour, class: cls}));
      }));
    const tx = pad + (set.threshold - lo) / step * bw;
    svg.appendChild(el('line', {x1: tx, x2: tx, y1: pad / 2, y2: height - pad,
      stroke: '#ff5f6d', 'stroke-dasharray': '4 3', class: 'threshold'}));
    [[lo, pad], [hi, width - pad]].forEach(([v, x]) => {
      const t = el('text', {x: x, y: height - 8, fill: '#b8b8c8', 'text-anchor': 'middle',
        'font-size': '12'});
      t.textContent = v.toFixed(2);
      svg.appendChild(t);
    });
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = set.name + ' (limit ' + set.threshold.toFixed(3) + ')';
    figure.append(caption, svg);
    return figure;
  }
  const holder = document.getElementById('dist');
  holder.replaceChildren(...data.sets.map(chart));
  holder.dataset.rendered = 'yes';
  document.querySelectorAll('.filters button').forEach(b => b.addEventListener('click', () => {
    document.querySelectorAll('.filters button').forEach(o => o.classList.toggle('on', o === b));
    document.querySelectorAll('.card').forEach(c => {
      c.hidden = b.dataset.show !== 'all' && c.dataset.status !== b.dataset.show;
    });
  }));
})();
"""


def calibration_scores(baseline: Baseline) -> list[float]:
    """Combined scores of the approved sprites that set the threshold."""
    raw = np.asarray(baseline.manifest.get("calibration_raw", []), dtype=np.float64)
    if raw.size == 0:
        return []
    return [combine(z)[0] for z in baseline.standardizer.transform(raw)]


def _card(r: FileResult, detail: Detail | None) -> str:
    e = html.escape
    lines = [
        f'<section class="card" data-status="{e(r.status)}">',
        f'<h3><span class="badge {e(r.status)}">{e(STATUS_LABEL[r.status])}</span>{e(r.label)}</h3>',
        f"<div>{e(r.message)}</div>",
    ]
    if r.score is not None:
        lines.append(
            f'<div class="scores">score {e(fmt_num(r.score))} · limit {e(fmt_num(r.threshold))} · '
            + ("margin approved" if r.approved else f"margin {e(fmt_signed(r.margin))}")
            + f" · p {e(fmt_p(r.p_value))}"
            # a passing sprite's strongest signal is not a finding: named on failures only
            + (
                f" · signal: {e(SIGNAL_LABELS.get(r.driver, r.driver))}"
                if r.driver and (r.status == "fail" or r.approved)
                else ""
            )
            + (f" · was {e(fmt_num(r.previous_score))}" if r.previous_score is not None else "")
            + "</div>"
        )
    if detail is not None:
        from sprite_lint.panels import panel_png_bytes

        data = base64.b64encode(panel_png_bytes(detail)).decode()
        alt = f"{r.label}: sprite, reconstruction, residual heatmap, worst region" + (
            ", the frame among its neighbours" if detail.context is not None else ""
        )
        lines.append(f'<img src="data:image/png;base64,{data}" alt="{e(alt)}">')
        if detail.similar:
            names = ", ".join(e(n) for n, _ in detail.similar)
            lines.append(f'<div class="muted">most similar approved sprites: {names}</div>')
    lines.append("</section>")
    return "\n".join(lines)


def render_html(
    report: CheckReport, details: Sequence[Detail], baselines: Sequence[Baseline]
) -> str:
    """The whole page as one string; one score chart per baseline."""
    e = html.escape
    by_path = {d.result.label: d for d in details}
    c = report.counts
    rows = sorted_results(report)
    sets = []
    for base in baselines:
        mine = [r for r in rows if r.score is not None and r.baseline == base.path.as_posix()]
        sets.append(
            {
                "name": base.path.as_posix(),
                "threshold": base.calibration.threshold,
                "calibration": calibration_scores(base),
                "checked": [{"path": r.label, "score": r.score} for r in mine],
            }
        )
    payload = (  # valid JSON that cannot close or open a tag
        json.dumps({"sets": sets}, allow_nan=False)
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )
    fallback = (
        "<table><tr><th></th><th>n</th><th>median</th><th>max</th></tr>"
        + "".join(
            f"<tr><td>{e(st['name'])} {name}</td><td>{len(v)}</td>"
            f"<td>{fmt_num(float(np.median(v)))}</td><td>{fmt_num(float(np.max(v)))}</td></tr>"
            for st in sets
            for name, v in (
                ("calibration", st["calibration"]),
                ("checked", [x["score"] for x in st["checked"]]),
            )
            if v
        )
        + "</table>"
    )
    stats = "".join(
        f'<div class="stat {k}"><b>{c[k]}</b>{label}</div>'
        for k, label in (("fail", "failed"), ("error", "errors"), ("pass", "passed"))
    )
    cards = "\n".join(_card(r, by_path.get(r.label) if r.score is not None else None) for r in rows)
    notices = "".join(
        f'<div class="notice {"fail" if n.fails else "warn"}" role="alert">{e(n.message)}</div>'
        for n in report.notices
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sprite-lint report</title><style>{_CSS}</style></head>
<body><header>
<h1>sprite-lint report</h1>
{notices}
<div class="muted">{e(summary_line(report))}<br>baseline {e(", ".join(b.path for b in report.baselines) or report.baseline or "none")} ·
sprite-lint {e(__version__)}</div>
<div class="summary" id="summary">{stats}</div>
</header><main>
<h2>Score distributions</h2>
<div class="muted">Blue: approved sprites held out at calibration. Orange: the files checked
here. Dashed line: the threshold; a score right of it fails.</div>
<div id="dist">{fallback}</div>
<h2>Files</h2>
<div class="filters"><button class="on" data-show="all">all</button><button
data-show="fail">failed</button><button data-show="error">errors</button><button
data-show="pass">passed</button></div>
{cards}
</main>
<script type="application/json" id="scores">{payload}</script>
<script>{_JS}</script>
</body></html>
"""

//! The growth plot: rates against N on log–log axes, one small panel for ingest and one per
//! query, SeamDB and every peer configuration as lines. Plain SVG, written by hand so that the
//! harness needs no plotting library.

use crate::results::{engine_name as name, Run};
use std::fmt::Write;

const W: f64 = 300.0;
const H: f64 = 230.0;
const COLS: usize = 4;
/// Plot area inside a panel: left, top, right, bottom margins.
const M: (f64, f64, f64, f64) = (58.0, 28.0, 12.0, 34.0);

/// One line: its label, colour, dash, and (N, value) points.
struct Series {
    label: String,
    colour: &'static str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

fn colour(engine: &str, method: &str) -> &'static str {
    match (engine, method) {
        ("seamdb", m) if m.starts_with("TCP") => "#e67e22",
        ("seamdb", m) if m.starts_with("CSV") => "#8e44ad",
        ("seamdb", _) => "#c0392b",
        ("duckdb", _) => "#2c7fb8",
        _ => "#31a354",
    }
}

/// The SVG of rates against N for `runs` (sorted by N here).
pub fn growth(runs: &[Run]) -> String {
    let mut runs: Vec<&Run> = runs.iter().collect();
    runs.sort_by_key(|r| r.n);
    let mut panels: Vec<(String, Vec<Series>)> = Vec::new();

    // Ingest: every (engine, method, threads) seen, rows of both components per second.
    let mut keys: Vec<(String, String, usize)> = Vec::new();
    for r in &runs {
        for i in r.ingest.iter().filter(|i| i.method != "embedded, all sealed") {
            let key = (i.engine.clone(), i.method.clone(), i.threads);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let ingest = keys
        .iter()
        .map(|(e, m, t)| Series {
            // Peers load the CSV files; the panel's SeamDB lines name their path.
            label: if e == "seamdb" { format!("SeamDB {m}") } else { format!("{} {t} thr", name(e)) },
            colour: colour(e, m),
            dashed: e != "seamdb" && *t == 1,
            points: runs
                .iter()
                .filter_map(|r| {
                    r.ingest.iter().find(|i| (&i.engine, &i.method, i.threads) == (e, m, *t)).map(|i| (r.n as f64, i.rows_per_s.median))
                })
                .collect(),
        })
        .collect();
    panels.push(("Ingest: rows/s".into(), ingest));

    let mut engines: Vec<(String, usize)> = vec![("seamdb".into(), 0)];
    for r in &runs {
        for q in r.queries.iter().filter(|q| q.engine != "seamdb") {
            if !engines.contains(&(q.engine.clone(), q.threads)) {
                engines.push((q.engine.clone(), q.threads));
            }
        }
    }
    for query in ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"] {
        let series = engines
            .iter()
            .map(|(e, t)| Series {
                label: if e == "seamdb" { "SeamDB".into() } else { format!("{} {t} thr", name(e)) },
                colour: colour(e, ""),
                dashed: e != "seamdb" && *t == 1,
                points: runs
                    .iter()
                    .filter_map(|r| {
                        let q = r.query(e, *t, query)?;
                        // Q6 counts traces looked up; the others, predictions scanned.
                        let per_run = if query == "Q6" { r.traces as f64 } else { r.rows.0 as f64 };
                        (q.ms.median > 0.0).then(|| (r.n as f64, per_run / q.ms.median * 1e3))
                    })
                    .collect(),
            })
            .collect();
        let unit = if query == "Q6" { "traces/s" } else { "rows/s" };
        panels.push((format!("{query}: {unit}"), series));
    }

    let rows = (panels.len() + 1).div_ceil(COLS);
    let (width, height) = (W * COLS as f64, H * rows as f64 + 30.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"8\" y=\"18\" font-size=\"13\">SeamDB and peers: rate against N (log–log; higher is better; dashed = 1 thread)</text>\n"
    );
    let ns: Vec<f64> = runs.iter().map(|r| r.n as f64).collect();
    for (k, (title, series)) in panels.iter().enumerate() {
        let (x0, y0) = ((k % COLS) as f64 * W, 30.0 + (k / COLS) as f64 * H);
        panel(&mut svg, x0, y0, title, series, &ns);
    }
    // The legend fills the cell after the last panel.
    let k = panels.len();
    let (x0, y0) = ((k % COLS) as f64 * W + 16.0, 30.0 + (k / COLS) as f64 * H + 24.0);
    let mut seen: Vec<(String, &str, bool)> = Vec::new();
    for s in panels.iter().flat_map(|(_, s)| s) {
        if !seen.iter().any(|(l, _, _)| *l == s.label) {
            seen.push((s.label.clone(), s.colour, s.dashed));
        }
    }
    for (i, (label, colour, dashed)) in seen.iter().enumerate() {
        let y = y0 + i as f64 * 17.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{x0}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\"{}/><text x=\"{}\" y=\"{}\">{}</text>",
            x0 + 24.0,
            if *dashed { " stroke-dasharray=\"5,3\"" } else { "" },
            x0 + 30.0,
            y + 4.0,
            escape(label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn panel(svg: &mut String, x0: f64, y0: f64, title: &str, series: &[Series], ns: &[f64]) {
    let (left, top, right, bottom) = (x0 + M.0, y0 + M.1, x0 + W - M.2, y0 + H - M.3);
    let values: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).filter(|v| *v > 0.0).collect();
    let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>", x0 + M.0, y0 + 18.0, escape(title));
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        right - left,
        bottom - top
    );
    if values.is_empty() || ns.is_empty() {
        return;
    }
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let (ylo, yhi) = (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0));
    let (xlo, xhi) = (ns[0].log10(), ns[ns.len() - 1].log10());
    let x = |n: f64| if xhi > xlo { left + (n.log10() - xlo) / (xhi - xlo) * (right - left - 16.0) + 8.0 } else { (left + right) / 2.0 };
    let y = |v: f64| bottom - (v.log10() - ylo) / (yhi - ylo) * (bottom - top);
    for &n in ns {
        let _ = writeln!(
            svg,
            "<line x1=\"{0}\" y1=\"{bottom}\" x2=\"{0}\" y2=\"{1}\" stroke=\"#999\"/><text x=\"{0}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            x(n),
            bottom + 4.0,
            bottom + 16.0,
            short(n)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">N (predictions)</text>",
        (left + right) / 2.0,
        bottom + 30.0
    );
    let mut decade = ylo;
    while decade <= yhi {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powf(decade);
            if v.log10() > yhi + 1e-9 {
                break;
            }
            let yy = y(v);
            let _ = writeln!(svg, "<line x1=\"{left}\" y1=\"{yy}\" x2=\"{right}\" y2=\"{yy}\" stroke=\"#eee\"/>");
            let _ = writeln!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 4.0, yy + 4.0, short(v));
        }
        decade += 1.0;
    }
    for s in series.iter().filter(|s| !s.points.is_empty()) {
        let points: Vec<String> = s.points.iter().map(|&(n, v)| format!("{:.1},{:.1}", x(n), y(v))).collect();
        let dash = if s.dashed { " stroke-dasharray=\"5,3\"" } else { "" };
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash}><title>{}</title></polyline>",
            points.join(" "),
            s.colour,
            escape(&s.label)
        );
        for p in &points {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(svg, "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.5\" fill=\"{}\"/>", s.colour);
        }
    }
}

/// 30000000 as "30M", 2000 as "2K".
fn short(v: f64) -> String {
    let (x, unit) = if v >= 1e9 {
        (v / 1e9, "G")
    } else if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    if x.fract().abs() < 1e-9 {
        format!("{x:.0}{unit}")
    } else {
        format!("{x:.1}{unit}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

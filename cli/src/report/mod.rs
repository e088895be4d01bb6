//! `seam report`'s page: one self-contained HTML file (inline CSS and SVG; no script, font
//! or image fetched from anywhere) with every SLO judged over its windows, the diagnosis of
//! the latest violation, and feature drift over time.

mod chart;

use chart::{attr, day, esc, Line, Point};
use seamdb::query::ast::{BinaryOp, Diagnose, Expr, GroupKey, Select, Statement};
use seamdb::query::slo::{judge_all, Judged, Status};
use seamdb::query::{execute_with, parse_slo, Cell, Options, Table};
use seamdb::{FieldType, Snapshot};
use std::fmt::Write;

/// The whole page for `snapshot`, titled with the database's name.
pub fn page(snapshot: &Snapshot, title: &str) -> anyhow::Result<String> {
    let options = Options::default();
    let judged = judge_all(snapshot, None, &options)?;
    let mut html = String::with_capacity(64 << 10);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SeamDB report: {}</title>\n<style>{STYLE}</style></head><body>\n\
         <h1>SeamDB report: {}</h1>\n<p class=\"meta\">Generated {} from the database as it stood then. Every figure is an answer of SeamQL (<code>CHECK SLO</code>, <code>DIAGNOSE</code>, <code>psi</code>) over the stored history.</p>\n",
        esc(title),
        esc(title),
        seamdb::query::format_time(seamdb::storage::model::now_us())
    );
    summary(&mut html, &judged);
    for j in &judged {
        slo_section(&mut html, snapshot, j)?;
    }
    diagnosis(&mut html, snapshot, &judged, &options);
    drift(&mut html, snapshot, &judged, &options);
    html.push_str("</body></html>\n");
    Ok(html)
}

const STYLE: &str = "body{font-family:sans-serif;font-size:14px;color:#222;max-width:1060px;margin:24px auto;padding:0 16px}\
h1{font-size:22px}h2{font-size:18px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}\
.meta{color:#555}code{background:#f4f4f4;padding:1px 4px;border-radius:3px;font-size:12px}\
table{border-collapse:collapse;margin:8px 0 16px}td,th{padding:3px 6px;border-bottom:1px solid #eee;text-align:left;font-size:12px}\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
.s{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;color:white}\
.ok{background:#31a354}.violated{background:#c0392b}.pending{background:#999}.no_data{background:#bbb}\
.bar{display:inline-block;height:10px;vertical-align:middle}";

/// One row per SLO: its latest window's status, and its rows counted by status.
fn summary(html: &mut String, judged: &[Judged]) {
    html.push_str("<h2>SLOs</h2>\n");
    if judged.is_empty() {
        html.push_str(
            "<p>This database holds no SLO. Create one with <code>CREATE SLO name AS SELECT … GROUP BY window(…) EXPECT …</code>.</p>\n",
        );
        return;
    }
    html.push_str(
        "<table><tr><th>SLO</th><th>latest window</th><th>status</th><th>ok</th><th>violated</th><th>pending</th><th>no data</th></tr>\n",
    );
    for j in judged {
        let count = |s: Status| j.statuses.iter().filter(|x| **x == s).count();
        let (window, status) = j.latest().map_or(("—".to_string(), None), |(w, s)| (w.text(), Some(s)));
        let _ = writeln!(
            html,
            "<tr><td><a href=\"#slo-{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            attr(&j.name),
            esc(&j.name),
            esc(&window),
            status.map_or(String::new(), badge),
            count(Status::Ok),
            count(Status::Violated),
            count(Status::Pending),
            count(Status::NoData)
        );
    }
    html.push_str("</table>\n");
}

fn badge(s: Status) -> String {
    format!("<span class=\"s {0}\">{0}</span>", s.as_str())
}

/// The item an SLO's `EXPECT` compares with a number, that number and the comparison
/// (`acc >= 0.8` gives `("acc", 0.8, ">=")`); the first item when there is no such thing.
fn threshold(expect: &Expr, select: &Select) -> (usize, Option<(f64, &'static str)>) {
    let item = |e: &Expr| {
        select
            .items
            .iter()
            .position(|i| matches!(e, Expr::Column(c) if c.component.is_none() && i.alias.as_deref() == Some(&c.field)) || i.expr == *e)
    };
    let number = |e: &Expr| match e {
        Expr::Float(f) => Some(*f),
        Expr::Int(i) => Some(*i as f64),
        _ => None,
    };
    let symbol = |op: BinaryOp, flipped: bool| match (op, flipped) {
        (BinaryOp::Ge, false) | (BinaryOp::Le, true) => Some(">="),
        (BinaryOp::Gt, false) | (BinaryOp::Lt, true) => Some(">"),
        (BinaryOp::Le, false) | (BinaryOp::Ge, true) => Some("<="),
        (BinaryOp::Lt, false) | (BinaryOp::Gt, true) => Some("<"),
        _ => None,
    };
    if let Expr::Binary { op, lhs, rhs } = expect {
        if let (Some(i), Some(t), Some(s)) = (item(lhs), number(rhs), symbol(*op, false)) {
            return (i, Some((t, s)));
        }
        if let (Some(i), Some(t), Some(s)) = (item(rhs), number(lhs), symbol(*op, true)) {
            return (i, Some((t, s)));
        }
    }
    (0, None)
}

/// The chart of one SLO and its violated windows, newest first.
fn slo_section(html: &mut String, snapshot: &Snapshot, j: &Judged) -> anyhow::Result<()> {
    let stored = snapshot.slo(&j.name).ok_or_else(|| anyhow::anyhow!("SLO {} vanished", j.name))?;
    let slo = parse_slo(&j.name, &stored.text)?;
    let (item, limit) = threshold(&slo.expect, &slo.query);
    let keys = j.keys();
    let value_column = keys.end + item;
    let mut lines: Vec<Line> = Vec::new();
    for (r, row) in j.table.rows.iter().enumerate() {
        let group: Vec<String> = row[keys.clone()].iter().map(Cell::text).collect();
        let group = group.join(" · ");
        let value = match &row[value_column] {
            Cell::Float(f) if f.is_finite() => Some(*f),
            Cell::Int(i) => Some(*i as f64),
            _ => None,
        };
        let point = Point { window: j.window_start(r).unwrap_or_default(), value, status: j.statuses[r].as_str() };
        match lines.iter_mut().find(|l| l.group == group) {
            Some(line) => line.points.push(point),
            None => lines.push(Line { group, points: vec![point] }),
        }
    }
    let item_name = j.table.columns[value_column].clone();
    let _ = writeln!(
        html,
        "<h2 id=\"slo-{}\">SLO {}</h2>\n<p><code>{}</code></p>\n{}",
        attr(&j.name),
        esc(&j.name),
        esc(&stored.text),
        chart::metric(&j.name, &item_name, limit, &lines)
    );
    let violated: Vec<usize> = (0..j.statuses.len()).rev().filter(|&r| j.statuses[r] == Status::Violated).collect();
    let _ = writeln!(
        html,
        "<p>{} of {} windows × groups violated{}.</p>",
        violated.len(),
        j.statuses.len(),
        if violated.len() > 10 { "; the ten newest" } else { "" }
    );
    if !violated.is_empty() {
        let rows: Vec<Vec<Cell>> = violated.iter().take(10).map(|&r| j.table.rows[r].clone()).collect();
        table(html, &Table { columns: j.table.columns.clone(), rows });
    }
    Ok(())
}

/// A result table as HTML, numbers right-aligned; a column named `impact` gets bars.
fn table(html: &mut String, t: &Table) {
    html.push_str("<table><tr>");
    for c in &t.columns {
        let _ = write!(html, "<th>{}</th>", esc(c));
    }
    html.push_str("</tr>\n");
    let impact = t.columns.iter().position(|c| c == "impact");
    let widest = impact.map_or(0.0, |i| t.rows.iter().filter_map(|r| number(&r[i])).fold(0.0, |m: f64, v| m.max(v.abs())));
    for row in &t.rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            match (cell, number(cell)) {
                (Cell::Text(s), _) if i == t.columns.len() - 1 && t.columns[i] == "status" => {
                    let status = Status::ALL.into_iter().find(|x| x.as_str() == s);
                    let _ = write!(html, "<td>{}</td>", status.map_or_else(|| esc(s), badge));
                }
                (_, Some(v)) if Some(i) == impact && widest > 0.0 => {
                    let colour = if v < 0.0 { "#c0392b" } else { "#31a354" };
                    let _ = write!(
                        html,
                        "<td class=\"n\">{v:.4} <span class=\"bar\" style=\"width:{:.0}px;background:{colour}\"></span></td>",
                        v.abs() / widest * 80.0
                    );
                }
                (Cell::Float(f), _) => drop(write!(html, "<td class=\"n\">{}</td>", short(*f))),
                (Cell::Int(n), _) => drop(write!(html, "<td class=\"n\">{n}</td>")),
                (Cell::Null, _) => html.push_str("<td class=\"n\">—</td>"),
                _ => drop(write!(html, "<td>{}</td>", esc(&cell.text()))),
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
}

fn number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Float(f) => Some(*f),
        Cell::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn short(f: f64) -> String {
    if f.abs() >= 1000.0 || f == f.trunc() {
        format!("{f}")
    } else {
        format!("{f:.4}")
    }
}

/// The newest violated window of any SLO, diagnosed: `DIAGNOSE` of the SLO's metric over all
/// its rows (its group keys dropped, so that the slices say which group it was) at that
/// window, against the window before.
fn diagnosis(html: &mut String, snapshot: &Snapshot, judged: &[Judged], options: &Options) {
    html.push_str("<h2>Diagnosis of the latest violation</h2>\n");
    let latest = judged.iter().filter_map(|j| Some((j, j.latest_violation()?))).max_by_key(|(j, r)| j.window_start(*r));
    let Some((j, r)) = latest else {
        html.push_str("<p>No window is violated.</p>\n");
        return;
    };
    let Some(at) = j.window_start(r) else { return };
    let result = snapshot
        .slo(&j.name)
        .ok_or_else(|| anyhow::anyhow!("SLO {} vanished", j.name))
        .and_then(|stored| Ok(parse_slo(&j.name, &stored.text)?))
        .and_then(|slo| {
            let (item, _) = threshold(&slo.expect, &slo.query);
            let mut query = slo.query.clone();
            query.items = vec![query.items[item].clone()];
            query.group_by.retain(|k| matches!(k, GroupKey::Window { .. }));
            query.fill = false;
            query.having = None;
            let item_text = query.items[0].text.clone();
            // Against the last window the violated group met the SLO (else the window before).
            let statement = Statement::Diagnose(Box::new(Diagnose { query, at, baseline: j.last_ok_before(r) }));
            Ok((item_text, execute_with(&statement, snapshot, options)?))
        });
    match result {
        Ok((item, t)) => {
            let _ = writeln!(
                html,
                "<p>SLO <b>{}</b> was violated in the window of {} ({}). <code>DIAGNOSE</code> of <code>{}</code> there, against {}: slices ranked by impact (share × change), then features by drift.</p>",
                esc(&j.name),
                day(at),
                esc(&j.table.rows[r][j.keys()].iter().map(Cell::text).collect::<Vec<_>>().join(" · ")),
                esc(&item),
                j.last_ok_before(r).map_or("the window before".to_string(), |t| format!("{}, the last window that group met the SLO", day(t)))
            );
            let mut shown = t.clone();
            let kind = t.columns.iter().position(|c| c == "kind");
            // The ten strongest slices and every feature.
            let mut slices = 0;
            shown.rows.retain(|row| {
                let slice = kind.is_some_and(|k| row[k] == Cell::Text("slice".into()));
                slices += usize::from(slice);
                !slice || slices <= 10
            });
            table(html, &shown);
        }
        Err(e) => {
            let _ = writeln!(html, "<p>The diagnosis could not be computed: {}</p>", esc(&format!("{e:#}")));
        }
    }
}

/// PSI of every number field of each SLO's driving component in each window, against the
/// first window of the first SLO over it.
fn drift(html: &mut String, snapshot: &Snapshot, judged: &[Judged], options: &Options) {
    html.push_str("<h2>Feature drift over time</h2>\n");
    let mut seen = Vec::new();
    for j in judged {
        let Some(stored) = snapshot.slo(&j.name) else { continue };
        let Ok(slo) = parse_slo(&j.name, &stored.text) else { continue };
        let component = slo.query.from.clone();
        if seen.contains(&component) {
            continue;
        }
        seen.push(component.clone());
        let Some(view) = snapshot.component(&component) else { continue };
        let features: Vec<String> =
            view.schema().fields().iter().filter(|(_, t)| matches!(t, FieldType::Float | FieldType::Int)).map(|(n, _)| n.clone()).collect();
        let window = slo.query.group_by.iter().find_map(|k| match k {
            GroupKey::Window { text, zone, .. } => {
                Some(format!("window({text}{})", zone.as_ref().map_or(String::new(), |z| format!(", '{z}'"))))
            }
            _ => None,
        });
        let mut starts: Vec<i64> = (0..j.table.rows.len()).filter_map(|r| j.window_start(r)).collect();
        starts.dedup();
        let (Some(window), true, false) = (window, starts.len() >= 2, features.is_empty()) else { continue };
        let items: Vec<String> = features.iter().map(|f| format!("psi({f})")).collect();
        let text = format!(
            "SELECT {} FROM {component} REFERENCE ({component} WHERE time >= '{}' AND time < '{}') GROUP BY {window}",
            items.join(", "),
            seamdb::query::format_time(starts[0]),
            seamdb::query::format_time(starts[1])
        );
        let table = seamdb::query::parse(&text).and_then(|s| execute_with(&s, snapshot, options));
        match table {
            Ok(t) => {
                let windows: Vec<i64> = t.rows.iter().filter_map(|r| r[0].instant()).collect();
                let cells: Vec<Vec<Option<f64>>> =
                    (0..features.len()).map(|f| t.rows.iter().map(|r| number(&r[1 + f])).collect()).collect();
                let _ = writeln!(
                    html,
                    "<p>Every number field of <b>{}</b>, per window, against its first window (<code>{}</code>).</p>\n{}",
                    esc(&component),
                    esc(&text),
                    chart::heatmap(&features, &windows, &cells, "PSI")
                );
            }
            Err(e) => drop(writeln!(html, "<p>Drift of {} could not be computed: {}</p>", esc(&component), esc(&e.to_string()))),
        }
    }
    if seen.is_empty() {
        html.push_str("<p>No SLO, so no component to show.</p>\n");
    }
}

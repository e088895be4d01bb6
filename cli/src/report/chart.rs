//! The report's two pictures, as inline SVG written by hand (no plotting library, nothing
//! fetched): an SLO's metric over its windows against the threshold, and a heatmap of
//! feature drift over windows. They share the look of the benchmark plots
//! (docs/results/growth.svg): white, sans-serif 11 px, grey frames, the same colours.

use std::fmt::Write;

/// Colours of groups' lines; red is kept for violations.
const PALETTE: [&str; 6] = ["#2c7fb8", "#e67e22", "#8e44ad", "#31a354", "#8c564b", "#e377c2"];
const VIOLATED: &str = "#c0392b";
const OTHER: &str = "#c8c8c8";
const W: f64 = 900.0;
const H: f64 = 320.0;
/// Plot area margins: left, top, right (the legend), bottom.
const M: (f64, f64, f64, f64) = (64.0, 16.0, 190.0, 46.0);

/// One point of a metric line.
#[derive(Clone, Debug)]
pub struct Point {
    /// Window start, µs since the epoch.
    pub window: i64,
    /// The metric; `None` where it is undefined (drawn as a gap).
    pub value: Option<f64>,
    /// `ok`, `violated`, `pending` or `no_data`.
    pub status: &'static str,
}

/// One group's line.
#[derive(Clone, Debug)]
pub struct Line {
    pub group: String,
    pub points: Vec<Point>,
}

impl Line {
    fn violations(&self) -> usize {
        self.points.iter().filter(|p| p.status == "violated").count()
    }

    /// How far its violated points miss the threshold, summed: the worst lines get colours.
    fn shortfall(&self, threshold: Option<f64>) -> f64 {
        let missed = self.points.iter().filter(|p| p.status == "violated").filter_map(|p| Some((p.value? - threshold?).abs()));
        missed.sum::<f64>() + self.violations() as f64 * 1e-9
    }
}

/// The metric of SLO `slo` over its windows, one line per group, with the threshold as a
/// dashed rule. With more than six groups, only the six with the most violations get a
/// colour; the rest are grey. Every point carries its figures as data attributes.
pub fn metric(slo: &str, item: &str, threshold: Option<(f64, &str)>, lines: &[Line]) -> String {
    let (left, top, right, bottom) = (M.0, M.1, W - M.2, H - M.3);
    let windows: Vec<i64> = lines.iter().flat_map(|l| l.points.iter().map(|p| p.window)).collect();
    let values: Vec<f64> = lines.iter().flat_map(|l| l.points.iter().filter_map(|p| p.value)).chain(threshold.map(|t| t.0)).collect();
    let mut svg = open_svg(W, H, &format!("data-slo=\"{}\"", attr(slo)));
    frame(&mut svg, left, top, right, bottom);
    let (Some(&x_lo), Some(&x_hi)) = (windows.iter().min(), windows.iter().max()) else {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">no windows yet</text>",
            (left + right) / 2.0,
            (top + bottom) / 2.0
        );
        return close_svg(svg);
    };
    let (y_lo, y_hi) = nice_range(&values);
    let x = |t: i64| {
        if x_hi > x_lo {
            left + 10.0 + (t - x_lo) as f64 / (x_hi - x_lo) as f64 * (right - left - 20.0)
        } else {
            (left + right) / 2.0
        }
    };
    let y = |v: f64| bottom - (v - y_lo) / (y_hi - y_lo) * (bottom - top);
    time_axis(&mut svg, x_lo, x_hi, &x, bottom, (left + right) / 2.0);
    value_axis(&mut svg, y_lo, y_hi, &y, left, right, item);
    // The threshold's rule goes under the lines, its label over them.
    let label = threshold.map(|(t, op)| {
        let yy = y(t);
        let _ = writeln!(svg, "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\" stroke=\"#555\" stroke-dasharray=\"6,4\"/>");
        format!(
            "<text x=\"{}\" y=\"{:.1}\" fill=\"#333\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">EXPECT {} {op} {t}</text>\n",
            left + 6.0,
            yy + 14.0,
            esc(item),
            op = esc(op)
        )
    });
    // Coloured lines: every group if six or fewer, else the six that miss by the most.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    let shortfall: Vec<f64> = lines.iter().map(|l| l.shortfall(threshold.map(|t| t.0))).collect();
    order.sort_by(|&a, &b| shortfall[b].total_cmp(&shortfall[a]));
    let coloured: Vec<usize> = if lines.len() <= PALETTE.len() { (0..lines.len()).collect() } else { order[..PALETTE.len()].to_vec() };
    let colour = |i: usize| coloured.iter().position(|&c| c == i).map_or(OTHER, |k| PALETTE[k]);
    // Grey first, so that the coloured lines are drawn over them.
    let mut drawing: Vec<usize> = (0..lines.len()).filter(|i| !coloured.contains(i)).collect();
    drawing.extend(&coloured);
    for &i in &drawing {
        let (line, c) = (&lines[i], colour(i));
        for run in line.points.split(|p| p.value.is_none()).filter(|r| r.len() > 1) {
            let pts: Vec<String> = run.iter().map(|p| format!("{:.1},{:.1}", x(p.window), y(p.value.unwrap_or(0.0)))).collect();
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"{}\"/>",
                pts.join(" "),
                if c == OTHER { 1.0 } else { 1.8 }
            );
        }
        for p in &line.points {
            let Some(v) = p.value else { continue };
            let (r, fill, stroke) = match p.status {
                "violated" => (4.0, VIOLATED, "white"),
                "pending" => (3.0, "white", c),
                _ => (2.2, c, c),
            };
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\" stroke=\"{stroke}\" data-group=\"{}\" data-window=\"{}\" data-value=\"{v}\" data-status=\"{}\"><title>{} {}: {v:.4} ({})</title></circle>",
                x(p.window),
                y(v),
                attr(&line.group),
                p.window,
                p.status,
                esc(&line.group),
                day(p.window),
                p.status
            );
        }
    }
    svg.push_str(label.as_deref().unwrap_or(""));
    // Legend: the coloured groups, grey for the rest, and what the markers mean.
    let mut ly = top + 8.0;
    let lx = right + 16.0;
    for &i in &coloured {
        let _ = writeln!(
            svg,
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{}{}</text>",
            lx + 22.0,
            colour(i),
            lx + 28.0,
            ly + 4.0,
            esc(if lines[i].group.is_empty() { "all rows" } else { &lines[i].group }),
            match lines[i].violations() {
                0 => String::new(),
                n => format!(" ({n} violated)"),
            }
        );
        ly += 16.0;
    }
    if lines.len() > coloured.len() {
        let _ = writeln!(
            svg,
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{OTHER}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{} other groups</text>",
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            lines.len() - coloured.len()
        );
        ly += 16.0;
    }
    ly += 8.0;
    for (label, r, fill, stroke) in
        [("violated", 4.0, VIOLATED, "white"), ("pending (WHEN not met)", 3.0, "white", "#555"), ("ok", 2.2, "#555", "#555")]
    {
        let _ = writeln!(
            svg,
            "<circle cx=\"{}\" cy=\"{ly}\" r=\"{r}\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{}\" y=\"{}\">{label}</text>",
            lx + 11.0,
            lx + 28.0,
            ly + 4.0
        );
        ly += 16.0;
    }
    close_svg(svg)
}

/// Feature drift: one row per feature, one column per window, each cell its drift measure
/// (PSI against the first window), shaded from white (0) to red (0.5 and over).
pub fn heatmap(features: &[String], windows: &[i64], cells: &[Vec<Option<f64>>], measure: &str) -> String {
    let (left, top) = (150.0, 16.0);
    let cell_w = ((W - left - 20.0) / windows.len().max(1) as f64).clamp(18.0, 90.0);
    let cell_h = 24.0;
    let (width, height) = (left + cell_w * windows.len() as f64 + 20.0, top + cell_h * features.len() as f64 + 64.0);
    let mut svg = open_svg(width.max(W), height, "data-chart=\"drift\"");
    for (r, feature) in features.iter().enumerate() {
        let yy = top + r as f64 * cell_h;
        let _ =
            writeln!(svg, "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", left - 8.0, yy + cell_h / 2.0 + 4.0, esc(feature));
        for (c, window) in windows.iter().enumerate() {
            let xx = left + c as f64 * cell_w;
            let v = cells[r][c];
            let shade = v.map_or("#f4f4f4".to_string(), |v| ramp(v / 0.5));
            let _ = write!(
                svg,
                "<rect x=\"{xx:.1}\" y=\"{yy:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h}\" fill=\"{shade}\" stroke=\"white\" data-feature=\"{}\" data-window=\"{window}\" data-value=\"{}\"><title>{} {}: {measure} {}</title></rect>",
                attr(feature),
                v.map_or("null".into(), |v| v.to_string()),
                esc(feature),
                day(*window),
                v.map_or("null".into(), |v| format!("{v:.3}"))
            );
            if cell_w >= 34.0 {
                if let Some(v) = v {
                    let ink = if v > 0.3 { "white" } else { "#333" };
                    let _ = write!(
                        svg,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{ink}\">{v:.2}</text>",
                        xx + cell_w / 2.0,
                        yy + cell_h / 2.0 + 4.0
                    );
                }
            }
            svg.push('\n');
        }
    }
    let bottom = top + cell_h * features.len() as f64;
    let every = (windows.len() / 8).max(1);
    for (c, window) in windows.iter().enumerate().step_by(every) {
        let xx = left + c as f64 * cell_w + cell_w / 2.0;
        let _ = writeln!(svg, "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", bottom + 16.0, day(*window));
    }
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"{:.1}\" fill=\"#555\">window start (UTC). {measure} against the first window: below 0.1 stable, 0.1–0.25 shifting, above 0.25 drifted</text>",
        bottom + 40.0
    );
    close_svg(svg)
}

/// White to red as `t` goes from 0 to 1 (capped).
fn ramp(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(255.0, 192.0), mix(255.0, 57.0), mix(255.0, 43.0))
}

fn open_svg(w: f64, h: f64, extra: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\" {extra}>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    )
}

fn close_svg(mut svg: String) -> String {
    svg.push_str("</svg>\n");
    svg
}

fn frame(svg: &mut String, left: f64, top: f64, right: f64, bottom: f64) {
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        right - left,
        bottom - top
    );
}

/// Dates along the bottom (with hours when the span is under three days).
fn time_axis(svg: &mut String, lo: i64, hi: i64, x: &dyn Fn(i64) -> f64, bottom: f64, middle: f64) {
    const DAY: i64 = 86_400_000_000;
    let span = (hi - lo).max(1);
    // Tick steps from an hour to a year; the first that gives at most 8 ticks.
    let steps = [3_600_000_000, 6 * 3_600_000_000, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];
    let step = steps.iter().copied().find(|s| span / s <= 8).unwrap_or(365 * DAY);
    let mut t = lo - lo.rem_euclid(step.min(DAY)) + if lo.rem_euclid(step.min(DAY)) == 0 { 0 } else { step.min(DAY) };
    while t <= hi {
        let xx = x(t);
        let label = if span < 3 * DAY { time_of(t) } else { day(t) };
        let _ = writeln!(
            svg,
            "<line x1=\"{xx:.1}\" y1=\"{bottom}\" x2=\"{xx:.1}\" y2=\"{}\" stroke=\"#999\"/><text x=\"{xx:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            bottom + 4.0,
            bottom + 16.0
        );
        t += step;
    }
    let _ = writeln!(svg, "<text x=\"{middle}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">window start (UTC)</text>", bottom + 34.0);
}

fn value_axis(svg: &mut String, lo: f64, hi: f64, y: &dyn Fn(f64) -> f64, left: f64, right: f64, item: &str) {
    let step = nice_step((hi - lo) / 5.0);
    let mut v = (lo / step).ceil() * step;
    while v <= hi + step * 1e-9 {
        let yy = y(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{right}\" y2=\"{yy:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            yy + 4.0,
            trim(v)
        );
        v += step;
    }
    let _ = writeln!(
        svg,
        "<text transform=\"translate(14,{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
        (y(lo) + y(hi)) / 2.0,
        esc(item)
    );
}

/// A range covering `values` with a little room, on round numbers.
fn nice_range(values: &[f64]) -> (f64, f64) {
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(1e-9);
    let step = nice_step((hi - lo + 2.0 * pad) / 5.0);
    (((lo - pad) / step).floor() * step, ((hi + pad) / step).ceil() * step)
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.max(1e-12).log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// `2026-01-05` of a time.
pub fn day(us: i64) -> String {
    seamdb::query::format_time(us).chars().take(10).collect()
}

/// `01-05 14:00` of a time.
fn time_of(us: i64) -> String {
    let t = seamdb::query::format_time(us);
    format!("{} {}", t.get(5..10).unwrap_or(""), t.get(11..16).unwrap_or(""))
}

/// Text for SVG/HTML content.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text for an attribute value.
pub fn attr(s: &str) -> String {
    esc(s).replace('"', "&quot;")
}

//! Paths chart: a Sankey. One column per step (step 1 on the left after a start event, on
//! the right before an end event, so time runs left to right), one rectangle per node
//! sized by its paths, links as curved filled bands between the nodes of adjacent steps,
//! and the drop-off of each step as a grey block at the foot of the next column with grey
//! bands into it. A label (truncated to the column's width) sits beside each node tall
//! enough to carry it; the hover tip of a column lists its nodes, drop-off and links.

use super::{err, font, group_digits, Drawn, Frame, Labels, GRID, INK, PALETTE};
use crate::engine::analysis::paths::{Direction, PathNode, PathsResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colour of `(other)` nodes.
const OTHER: RGBColor = RGBColor(156, 163, 175);
/// Colour of drop-off blocks and bands.
const DROP: RGBColor = RGBColor(209, 213, 219);

/// Points along one edge of a band: from (x0, y0) to (x1, y1), an S curve.
fn curve(x0: f64, y0: f64, x1: f64, y1: f64) -> impl Iterator<Item = (f64, f64)> {
    (0..=16).map(move |k| {
        let t = k as f64 / 16.0;
        let s = t * t * (3.0 - 2.0 * t);
        (x0 + (x1 - x0) * t, y0 + (y1 - y0) * s)
    })
}

/// A band of thickness `h` from the right edge `x0` (top `y0`) to the left edge `x1`
/// (top `y1`), as polygon points in device pixels.
fn band(x0: f64, y0: f64, x1: f64, y1: f64, h: f64) -> Vec<(i32, i32)> {
    let mut pts: Vec<(i32, i32)> = curve(x0, y0, x1, y1)
        .map(|(x, y)| (x.round() as i32, y.round() as i32))
        .collect();
    let bottom: Vec<(i32, i32)> = curve(x0, y0 + h, x1, y1 + h)
        .map(|(x, y)| (x.round() as i32, y.round() as i32))
        .collect();
    pts.extend(bottom.into_iter().rev());
    pts
}

/// A node's shown name: `other` (the chart language's word) for the `(other)` node.
fn shown<'a>(x: &'a PathNode, other: &'a str) -> &'a str {
    if x.other {
        other
    } else {
        &x.label
    }
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max <= 1 {
        return "…".chars().take(max).collect();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Draws `r` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &PathsResult,
    labels: &Labels,
    scale: f64,
) -> Drawn {
    let cols = r.nodes.iter().map(|x| x.step).max().unwrap_or(0);
    if cols == 0 {
        return Ok(None);
    }
    let before = r.direction == Direction::Before;
    // display column of step k (1-based)
    let col = |step: usize| if before { cols - step } else { step - 1 };
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as f64, h as f64);
    let margin = 12.0 * scale;
    let (left, right, top, bottom) = (margin, w - margin, margin + 18.0 * scale, h - margin);
    let slot = (right - left) / cols as f64;
    let node_w = (12.0 * scale).min(slot * 0.3);
    let gap = 8.0 * scale;
    let x_of = |c: usize| left + (c as f64 + 0.5) * slot - node_w / 2.0;
    // drop-off leaving step k (shown in step k + 1's column)
    let drop: Vec<u64> = (1..=cols)
        .map(|k| {
            r.nodes
                .iter()
                .filter(|x| x.step == k && k < r.steps)
                .map(|x| x.drop_off)
                .sum()
        })
        .collect();
    let blocks = |k: usize| {
        r.nodes.iter().filter(|x| x.step == k).count() + usize::from(k > 1 && drop[k - 2] > 0)
    };
    let most_blocks = (1..=cols).map(blocks).max().unwrap_or(1);
    let unit = ((bottom - top) - gap * (most_blocks.saturating_sub(1)) as f64).max(1.0)
        / r.paths.max(1) as f64;
    // the top of each node
    let mut y_of = vec![0.0; r.nodes.len()];
    // the foot of each column (index = step; 0 unused), where its drop-off block starts
    let drop_y: Vec<f64> = (0..=cols)
        .map(|k| {
            let mut y = top;
            for (i, x) in r.nodes.iter().enumerate().filter(|(_, x)| x.step == k) {
                y_of[i] = y;
                y += x.paths as f64 * unit + gap;
            }
            y
        })
        .collect();
    // colours: one per label in order of first appearance, grey for (other)
    let mut seen: Vec<&str> = Vec::new();
    let colors: Vec<RGBColor> = r
        .nodes
        .iter()
        .map(|x| {
            if x.other {
                return OTHER;
            }
            let i = seen.iter().position(|s| *s == x.label).unwrap_or_else(|| {
                seen.push(&x.label);
                seen.len() - 1
            });
            PALETTE[i % PALETTE.len()]
        })
        .collect();
    // links: leave the node at `from` below the earlier links, enter `to` likewise; the
    // edge of the band nearer the anchor is the "from" side
    let mut out_y = y_of.clone();
    let mut in_y = y_of.clone();
    for l in &r.links {
        let (a, b) = (&r.nodes[l.from], &r.nodes[l.to]);
        let hgt = l.paths as f64 * unit;
        let (ca, cb) = (col(a.step), col(b.step));
        let (x0, y0, x1, y1) = if ca < cb {
            (x_of(ca) + node_w, out_y[l.from], x_of(cb), in_y[l.to])
        } else {
            (x_of(cb) + node_w, in_y[l.to], x_of(ca), out_y[l.from])
        };
        area.draw(&Polygon::new(
            band(x0, y0, x1, y1, hgt),
            colors[l.from].mix(0.35).filled(),
        ))
        .map_err(err)?;
        out_y[l.from] += hgt;
        in_y[l.to] += hgt;
    }
    // drop-off bands into the grey block of the next column (the previous one before an
    // end event)
    let mut drop_in = drop_y.clone();
    for (i, x) in r.nodes.iter().enumerate() {
        if x.drop_off == 0 || x.step >= r.steps || x.step >= cols {
            continue;
        }
        let hgt = x.drop_off as f64 * unit;
        let (ca, cb) = (col(x.step), col(x.step + 1));
        let (x0, y0, x1, y1) = if ca < cb {
            (x_of(ca) + node_w, out_y[i], x_of(cb), drop_in[x.step + 1])
        } else {
            (x_of(cb) + node_w, drop_in[x.step + 1], x_of(ca), out_y[i])
        };
        area.draw(&Polygon::new(
            band(x0, y0, x1, y1, hgt),
            DROP.mix(0.6).filled(),
        ))
        .map_err(err)?;
        drop_in[x.step + 1] += hgt;
    }
    let name = |x: &'_ PathNode| shown(x, &labels.paths[4]).to_string();
    let drop_word = if before {
        &labels.paths[3]
    } else {
        &labels.paths[2]
    };
    // characters that fit beside a node: a whole gap between columns, but the last gap is
    // shared by the labels of the last two columns (those of the last sit on its left)
    let fit = |room: f64| ((room - 8.0 * scale) / (7.0 * scale)).max(0.0) as usize;
    let chars = |c: usize| {
        let gap = slot - node_w;
        if cols > 1 && c + 2 >= cols {
            fit(gap / 2.0)
        } else {
            fit(gap)
        }
    };
    let text_style = font(12.0, scale);
    let draw_label = |c: usize, y: f64, hgt: f64, text: String| -> Result<(), String> {
        let chars = chars(c);
        if hgt + gap < 14.0 * scale || chars < 3 {
            return Ok(());
        }
        let last = c + 1 == cols && cols > 1;
        let (x, anchor) = if last {
            (x_of(c) - 4.0 * scale, HPos::Right)
        } else {
            (x_of(c) + node_w + 4.0 * scale, HPos::Left)
        };
        area.draw(&Text::new(
            truncate(&text, chars),
            (x.round() as i32, (y + hgt / 2.0).round() as i32),
            text_style.pos(Pos::new(anchor, VPos::Center)),
        ))
        .map_err(err)
    };
    for (i, x) in r.nodes.iter().enumerate() {
        let c = col(x.step);
        let hgt = (x.paths as f64 * unit).max(1.0);
        let (x0, y0) = (x_of(c), y_of[i]);
        area.draw(&Rectangle::new(
            [
                (x0.round() as i32, y0.round() as i32),
                ((x0 + node_w).round() as i32, (y0 + hgt).round() as i32),
            ],
            colors[i].filled(),
        ))
        .map_err(err)?;
        draw_label(
            c,
            y0,
            hgt,
            format!("{} ({})", name(x), group_digits(x.paths)),
        )?;
    }
    for k in 2..=cols {
        let d = drop[k - 2];
        if d == 0 {
            continue;
        }
        let c = col(k);
        let hgt = (d as f64 * unit).max(1.0);
        let (x0, y0) = (x_of(c), drop_y[k]);
        area.draw(&Rectangle::new(
            [
                (x0.round() as i32, y0.round() as i32),
                ((x0 + node_w).round() as i32, (y0 + hgt).round() as i32),
            ],
            DROP.filled(),
        ))
        .map_err(err)?;
        draw_label(c, y0, hgt, format!("{drop_word} ({})", group_digits(d)))?;
    }
    // step titles
    for k in 1..=cols {
        let c = col(k);
        area.draw(&Text::new(
            format!("{} {k}", labels.paths[0]),
            (
                (x_of(c) + node_w / 2.0).round() as i32,
                margin.round() as i32,
            ),
            font(12.0, scale)
                .color(&INK.mix(0.8))
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    area.draw(&PathElement::new(
        vec![
            (left.round() as i32, (top - 4.0 * scale).round() as i32),
            (right.round() as i32, (top - 4.0 * scale).round() as i32),
        ],
        GRID,
    ))
    .map_err(err)?;
    // one tip per column, left to right
    let tips = (0..cols)
        .map(|c| {
            let k = if before { cols - c } else { c + 1 };
            let total: u64 = r
                .nodes
                .iter()
                .filter(|x| x.step == k)
                .map(|x| x.paths)
                .sum();
            let mut tip = format!(
                "{} {k} ({}: {})",
                labels.paths[0],
                labels.paths[1],
                group_digits(total)
            );
            for x in r.nodes.iter().filter(|x| x.step == k) {
                let share = x.paths as f64 / r.paths.max(1) as f64 * 100.0;
                tip.push_str(&format!(
                    "\n{}: {} ({share:.1}%)",
                    name(x),
                    group_digits(x.paths)
                ));
                if x.drop_off > 0 && k < r.steps {
                    tip.push_str(&format!(", {drop_word} {}", group_digits(x.drop_off)));
                }
            }
            let mut into: Vec<_> = r.links.iter().filter(|l| r.nodes[l.to].step == k).collect();
            into.sort_by_key(|l| std::cmp::Reverse(l.paths));
            for l in into.iter().take(6) {
                let (a, b) = (&r.nodes[l.from], &r.nodes[l.to]);
                let (p, q) = if before { (b, a) } else { (a, b) };
                tip.push_str(&format!(
                    "\n{} → {}: {}",
                    name(p),
                    name(q),
                    group_digits(l.paths)
                ));
            }
            tip
        })
        .collect();
    Ok(Some(Frame {
        area: (left / scale, right / scale, top / scale, bottom / scale),
        x: (0.0, cols as f64),
        first: 0.5,
        tips,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{svg, tests::result, Frame, Labels};
    use crate::engine::analysis::paths::PathsResult;
    use crate::engine::analysis::AnalysisResult;
    use plotters::prelude::*;

    fn paths(json: &str) -> PathsResult {
        match result(json) {
            AnalysisResult::Paths(r) => r,
            other => panic!("{other:?}"),
        }
    }

    /// The hover frame of `r` drawn at 900 × 420.
    fn frame(r: &PathsResult) -> Frame {
        let mut out = String::new();
        let area = SVGBackend::with_string(&mut out, (900, 420)).into_drawing_area();
        super::draw(&area, r, &Labels::english(), 1.0)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn sankey_draws_nodes_bands_and_truncated_labels() {
        let r = paths(r#"{"analysis":"paths","start_event":"app_open","steps":4,"top":3}"#);
        assert!(r.paths > 0);
        let full = format!("app_open ({})", super::group_digits(r.paths));
        let wide = svg(900, 420, |a| super::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        // one rectangle per node, one band per link
        assert!(wide.matches("<rect").count() >= r.nodes.len());
        assert!(wide.matches("<polygon").count() >= r.links.len());
        assert!(wide.contains("Step 1") && wide.contains("Step 4"));
        assert!(wide.contains(&full));
        // a narrow chart truncates labels with an ellipsis instead of overlapping
        let narrow = svg(260, 300, |a| super::draw(a, &r, &Labels::english(), 1.0)).unwrap();
        assert!(!narrow.contains(&full));
        let f = frame(&r);
        assert_eq!(f.tips.len(), 4);
        assert!(f.tips[1].contains(" → "));
    }

    #[test]
    fn end_event_puts_step_one_on_the_right() {
        let r = paths(r#"{"analysis":"paths","end_event":"purchase","steps":3}"#);
        let f = frame(&r);
        assert!(
            f.tips[2].starts_with(&format!("Step 1 (Paths: {})\npurchase", r.paths)),
            "{}",
            f.tips[2]
        );
        assert!(f.tips[0].starts_with("Step 3"));
    }

    #[test]
    fn truncation_keeps_short_labels() {
        assert_eq!(super::truncate("abc", 5), "abc");
        assert_eq!(super::truncate("abcdef", 4), "abc…");
    }
}

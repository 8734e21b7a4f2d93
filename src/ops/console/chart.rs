//! Charts as SVG drawn on the server: columns for a series over time and
//! horizontal bars for a poll's results. Each says what it shows in its
//! `<title>` and label, writes its values where they fit (never colour
//! alone), and comes with its numbers as a table. Pure functions of their
//! data.
//!
//! The SVGs have no `viewBox`: across, marks are placed in percent of the
//! chart's width, so they fill it at any width; text is sized in CSS pixels
//! and never shrinks with the page. Labels are thinned for the narrowest
//! chart a phone shows ([`NARROWEST`]), so they never overlap.

use maud::{Markup, html};

/// A chart's points: a label (a day, a month, an option) and a value.
pub type Points = [(String, u64)];

const HEIGHT: u64 = 220;
/// Room under the columns for their labels, above for the top tick's.
const AXIS: u64 = 30;
const TOP: u64 = 20;
/// The narrowest a chart is drawn, in CSS pixels (a 320 px phone).
const NARROWEST: f64 = 290.0;
/// A label's width per character at 12 px, generously, and the room kept
/// between two labels.
const CHAR_PX: f64 = 7.5;
const GAP_PX: f64 = 16.0;
/// At most this many lines across the chart, each with its value.
const MOST_TICKS: u64 = 4;

/// A mark's height for `value` out of `peak`, in `room` units.
pub fn scaled(value: u64, peak: u64, room: u64) -> u64 {
    if peak == 0 {
        return 0;
    }
    ((value as u128 * room as u128) / peak as u128) as u64
}

/// How many labels of `chars` characters fit side by side on the narrowest
/// chart (at least two: the first and the last).
fn most_labels(chars: usize) -> usize {
    ((NARROWEST / (chars as f64 * CHAR_PX + GAP_PX)) as usize).max(2)
}

/// Which of `count` columns get a label when at most `most` fit: evenly
/// spaced back from the last (the latest is always named).
pub fn labelled(count: usize, most: usize) -> impl Fn(usize) -> bool {
    let step = count.div_ceil(most.max(1)).max(1);
    move |i| i < count && (count - 1 - i).is_multiple_of(step)
}

/// Round lines for values up to `peak`: a step of 1, 2 or 5 times a power
/// of ten, at most [`MOST_TICKS`] of them; the last one is the chart's top.
pub fn ticks(peak: u64) -> Vec<u64> {
    if peak == 0 {
        return Vec::new();
    }
    let mut power: u64 = 1;
    let step = loop {
        if let Some(step) = [1, 2, 5]
            .into_iter()
            .map(|m| m * power)
            .find(|s| peak.div_ceil(*s) <= MOST_TICKS)
        {
            break step;
        }
        power = power.saturating_mul(10);
    };
    (1..=peak.div_ceil(step)).map(|i| i * step).collect()
}

/// `x` percent, as an SVG length.
fn pc(x: f64) -> String {
    format!("{x:.3}%")
}

/// A column chart of a series over time. `title` names it for screen
/// readers; `number` writes a value the way the page's language does.
pub fn columns(title: &str, points: &Points, number: impl Fn(u64) -> String) -> Markup {
    described_columns(title, None, points, number)
}

/// A column chart described by the element `described_by` (a sentence
/// that sums it up for screen readers: its every value is in the table).
pub fn described_columns(
    title: &str,
    described_by: Option<&str>,
    points: &Points,
    number: impl Fn(u64) -> String,
) -> Markup {
    let count = points.len().max(1);
    let slot = 100.0 / count as f64;
    // Dense series draw their columns side by side.
    let (bar, dense) = if count > 60 {
        (slot, true)
    } else {
        (slot * 0.7, false)
    };
    let room = HEIGHT - AXIS - TOP;
    let lines = ticks(points.iter().map(|(_, v)| *v).max().unwrap_or(0));
    let top = lines.last().copied().unwrap_or(1);
    let chars = points
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(1);
    let most = most_labels(chars);
    let show_label = labelled(points.len(), most);
    // A first label within half a step of the left edge starts at its
    // column, where centring it could cut it.
    let step = points.len().div_ceil(most).max(1);
    let base = HEIGHT - AXIS;
    html! {
        svg.chart.columns.dense[dense] xmlns="http://www.w3.org/2000/svg" width="100%" height=(HEIGHT)
            role="img" aria-label=(title) aria-describedby=[described_by] {
            title { (title) }
            @for value in &lines {
                @let y = base - scaled(*value, top, room);
                line.grid x1="0" y1=(y) x2="100%" y2=(y) {}
            }
            line.axis x1="0" y1=(base) x2="100%" y2=(base) {}
            @for (i, (label, value)) in points.iter().enumerate() {
                @let h = scaled(*value, top, room);
                @let x = i as f64 * slot + (slot - bar) / 2.0;
                rect.bar x=(pc(x)) y=(base - h) width=(pc(bar)) height=(h) {
                    title { (label) ": " (number(*value)) }
                }
                @if show_label(i) {
                    @let (lx, anchor) = if i + 1 == points.len() && points.len() > 1 {
                        (100.0, "end")
                    } else if i * 2 < step {
                        (i as f64 * slot, "start")
                    } else {
                        (x + bar / 2.0, "middle")
                    };
                    text.label x=(pc(lx)) y=(base + 18) text-anchor=(anchor) { (label) }
                }
            }
            // Over the columns, each value above its line, haloed to stay legible.
            @for value in &lines {
                text.tick x="2" y=(base - scaled(*value, top, room) - 4) { (number(*value)) }
            }
        }
    }
}

/// Horizontal bars, one per option, with the label above each bar and the
/// value and share written after it.
pub fn bars(title: &str, points: &[(String, u64, String)]) -> Markup {
    let row = 46;
    let height = (points.len() as u64 * row).max(row);
    let top = points.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
    html! {
        svg.chart.bars xmlns="http://www.w3.org/2000/svg" width="100%" height=(height)
            role="img" aria-label=(title) {
            title { (title) }
            @for (i, (label, value, words)) in points.iter().enumerate() {
                @let y = i as u64 * row;
                // The longest bar leaves a third of the width for its words.
                @let w = (*value as f64 / top as f64 * 66.0).max(0.2);
                text.label x="0" y=(y + 15) { (label) }
                rect.bar x="0" y=(y + 21) width=(pc(w)) height="16" {}
                text.value x=(pc(w)) dx="6" y=(y + 34) { (words) }
            }
        }
    }
}

/// A table of a chart's numbers, for those who would rather read them.
pub fn table(caption: &str, heads: &[&str], rows: &[Vec<String>]) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr { @for head in heads { th scope="col" { (head) } } } }
            tbody {
                @for row in rows {
                    tr {
                        @for (i, cell) in row.iter().enumerate() {
                            @if i == 0 { th scope="row" { (cell) } } @else { td { (cell) } }
                        }
                    }
                }
            }
        }
    }
}

/// A chart with its table folded away beneath it.
pub fn with_table(chart: Markup, show: &str, table: Markup) -> Markup {
    html! {
        figure.chart-box {
            (chart)
            // Where the console's script writes the column a reader is on.
            p.readout aria-live="polite" hidden {}
            details { summary { (show) } (table) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[u64]) -> Vec<(String, u64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("d{i}"), *v))
            .collect()
    }

    /// Each column's left and right edge, in percent of the width.
    fn edges(svg: &str) -> Vec<(f64, f64)> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let attr = |name: &str| -> f64 {
                    let at = r.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                    r[at..].split('%').next().unwrap().parse().unwrap()
                };
                let x = attr("x");
                (x, x + attr("width"))
            })
            .collect()
    }

    #[test]
    fn marks_are_proportional_and_never_overflow() {
        assert_eq!(scaled(50, 100, 200), 100);
        assert_eq!(scaled(100, 100, 200), 200);
        assert_eq!(scaled(0, 100, 200), 0);
        assert_eq!(scaled(u64::MAX, u64::MAX, 200), 200);
        assert_eq!(scaled(5, 0, 200), 0);
    }

    #[test]
    fn ticks_are_a_few_round_values_reaching_the_peak() {
        assert_eq!(ticks(5_700), vec![2_000, 4_000, 6_000]);
        assert_eq!(ticks(3), vec![1, 2, 3]);
        assert_eq!(ticks(1), vec![1]);
        assert_eq!(ticks(10), vec![5, 10]);
        assert_eq!(ticks(0), Vec::<u64>::new());
        let huge = ticks(u64::MAX / 2);
        assert!(huge.len() <= 4 && *huge.last().unwrap() >= u64::MAX / 2);
    }

    #[test]
    fn labels_are_thinned_evenly_ending_with_the_last() {
        let most = most_labels("05/12".len());
        assert!((4..=6).contains(&most), "{most}");
        let show = labelled(365, most);
        let shown: Vec<usize> = (0..365).filter(|i| show(*i)).collect();
        assert!(shown.len() <= most, "{shown:?}");
        assert_eq!(shown.last(), Some(&364));
        let step = shown[1] - shown[0];
        assert!(shown.windows(2).all(|w| w[1] - w[0] == step), "{shown:?}");
        let show = labelled(3, most);
        assert!((0..3).all(show));
    }

    #[test]
    fn columns_fill_the_width_at_every_length() {
        for n in [7, 30, 365, 366] {
            let svg = columns("x", &series(&vec![5; n]), |n| n.to_string()).into_string();
            assert!(!svg.contains("viewBox"), "text keeps its pixel size");
            let edges = edges(&svg);
            assert_eq!(edges.len(), n);
            let (left, right) = (edges[0].0, edges[n - 1].1);
            assert!(
                right - left >= 95.0 && right <= 100.001,
                "{n}: {left}..{right}"
            );
            assert!(
                edges.windows(2).all(|w| w[0].1 <= w[1].0 + 0.002),
                "{n}: no overlap"
            );
        }
    }

    #[test]
    fn a_column_chart_names_itself_with_an_axis_and_values_on_hover() {
        let svg = columns("Lượt truy cập", &series(&[3, 0, 7]), |n| {
            format!("<{n}>")
        })
        .into_string();
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="Lượt truy cập""#));
        assert!(svg.contains("<title>Lượt truy cập</title>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("<title>d1: &lt;0&gt;</title>"));
        assert!(svg.contains("<title>d2: &lt;7&gt;</title>"));
        // Ticks 2, 4, 6, 8, written the page's way; no word of English.
        for tick in [2, 4, 6, 8] {
            assert!(svg.contains(&format!(">&lt;{tick}&gt;</text>")), "{svg}");
        }
        assert!(!svg.contains("max"));
        let described = described_columns("x", Some("tom-tat"), &series(&[1]), |n| n.to_string());
        assert!(
            described
                .into_string()
                .contains(r#"aria-describedby="tom-tat""#)
        );
    }

    #[test]
    fn labels_are_escaped() {
        let points = vec![("<b>".to_owned(), 1, "1 phiếu".to_owned())];
        let svg = bars("a & b", &points).into_string();
        assert!(svg.contains("&lt;b&gt;") && svg.contains("a &amp; b"));
        let t = table("c", &["h"], &[vec!["<i>".into()]]).into_string();
        assert!(t.contains("<caption>c</caption>") && t.contains("&lt;i&gt;"));
    }

    #[test]
    fn an_empty_series_draws_an_axis_only() {
        let svg = columns("x", &[], |n| n.to_string()).into_string();
        assert_eq!(svg.matches("<rect").count(), 0);
        assert!(svg.contains("<line"));
    }
}

//! Charts as SVG drawn on the server: columns for a series over time and
//! horizontal bars for a poll's results. Each says what it shows in its
//! `<title>` and label, writes values beside the marks (never colour alone),
//! and comes with its numbers as a table. Pure functions of their data.

use maud::{Markup, html};

/// A chart's points: a label (a day, a month, an option) and a value.
pub type Points = [(String, u64)];

const WIDTH: u64 = 640;
const HEIGHT: u64 = 220;
/// Room under the columns for their labels, above for values.
const AXIS: u64 = 36;
const TOP: u64 = 18;
/// At most this many columns carry their value, and labels are thinned to
/// about this many.
const MOST_VALUE_LABELS: usize = 31;
const MOST_AXIS_LABELS: usize = 8;

/// The largest value, at least 1 (so an all-zero series draws flat).
fn peak(points: &Points) -> u64 {
    points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1)
}

/// A mark's height for `value` out of `peak`, in `room` units.
pub fn scaled(value: u64, peak: u64, room: u64) -> u64 {
    if peak == 0 {
        return 0;
    }
    ((value as u128 * room as u128) / peak as u128) as u64
}

/// Which columns get an axis label: about [`MOST_AXIS_LABELS`], evenly
/// spaced back from the last (the latest day is always named, and labels
/// never crowd each other).
pub fn labelled(count: usize) -> impl Fn(usize) -> bool {
    let step = count.div_ceil(MOST_AXIS_LABELS).max(1);
    move |i| i < count && (count - 1 - i).is_multiple_of(step)
}

/// A column chart of a series over time. `title` names it for screen
/// readers; `number` writes a value the way the page's language does.
pub fn columns(title: &str, points: &Points, number: impl Fn(u64) -> String) -> Markup {
    let count = points.len().max(1) as u64;
    let slot = WIDTH / count;
    let bar = (slot * 7 / 10).max(1);
    let room = HEIGHT - AXIS - TOP;
    let top = peak(points);
    let show_values = points.len() <= MOST_VALUE_LABELS;
    let show_label = labelled(points.len());
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
            role="img" aria-label=(title) {
            title { (title) }
            line.axis x1="0" y1=(HEIGHT - AXIS) x2=(WIDTH) y2=(HEIGHT - AXIS) {}
            text.scale x="2" y="12" { "max " (number(points.iter().map(|(_, v)| *v).max().unwrap_or(0))) }
            @for (i, (label, value)) in points.iter().enumerate() {
                @let h = scaled(*value, top, room);
                @let x = i as u64 * slot + (slot - bar) / 2;
                rect.bar x=(x) y=(HEIGHT - AXIS - h) width=(bar) height=(h) {
                    title { (label) ": " (number(*value)) }
                }
                @if show_values && *value > 0 {
                    text.value x=(x + bar / 2) y=(HEIGHT - AXIS - h - 3) text-anchor="middle" {
                        (number(*value))
                    }
                }
                @if show_label(i) {
                    // The last label ends at the chart's edge, not past it.
                    @let (lx, anchor) = if i + 1 == points.len() { (x + bar, "end") } else { (x + bar / 2, "middle") };
                    text.label x=(lx) y=(HEIGHT - AXIS + 14) text-anchor=(anchor) {
                        (label)
                    }
                }
            }
        }
    }
}

/// Horizontal bars, one per option, with the label above each bar and the
/// value and share written after it.
pub fn bars(title: &str, points: &[(String, u64, String)]) -> Markup {
    let row = 44;
    let height = (points.len() as u64 * row).max(row);
    let room = WIDTH - 160;
    let top = points.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
    html! {
        svg.chart.bars xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (height) }
            role="img" aria-label=(title) {
            title { (title) }
            @for (i, (label, value, words)) in points.iter().enumerate() {
                @let y = i as u64 * row;
                @let w = scaled(*value, top, room).max(1);
                text.label x="0" y=(y + 14) { (label) }
                rect.bar x="0" y=(y + 20) width=(w) height="16" {}
                text.value x=(w + 6) y=(y + 33) { (words) }
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

    #[test]
    fn marks_are_proportional_and_never_overflow() {
        assert_eq!(scaled(50, 100, 200), 100);
        assert_eq!(scaled(100, 100, 200), 200);
        assert_eq!(scaled(0, 100, 200), 0);
        assert_eq!(scaled(u64::MAX, u64::MAX, 200), 200);
        assert_eq!(scaled(5, 0, 200), 0);
    }

    #[test]
    fn about_eight_evenly_spaced_labels_ending_with_the_last() {
        let show = labelled(365);
        let shown: Vec<usize> = (0..365).filter(|i| show(*i)).collect();
        assert!((7..=9).contains(&shown.len()), "{shown:?}");
        assert_eq!(shown.last(), Some(&364));
        assert!(shown.windows(2).all(|w| w[1] - w[0] == 46), "{shown:?}");
        let show = labelled(3);
        assert!((0..3).all(show));
    }

    #[test]
    fn a_column_chart_names_itself_and_writes_its_values() {
        let svg = columns("Lượt truy cập", &series(&[3, 0, 7]), |n| n.to_string()).into_string();
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="Lượt truy cập""#));
        assert!(svg.contains("<title>Lượt truy cập</title>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">7</text>") && svg.contains(">3</text>"));
        assert!(svg.contains("<title>d1: 0</title>"));
    }

    #[test]
    fn long_series_leave_values_to_the_table() {
        let svg = columns("x", &series(&[1; 365]), |n| n.to_string()).into_string();
        assert_eq!(svg.matches("<rect").count(), 365);
        assert_eq!(svg.matches("class=\"value\"").count(), 0);
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

//! Charts drawn on the server as SVG (plotters), put into the page as they
//! are: they are read without any script, and their text is escaped.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One series of values, one per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub color: RGBColor,
}

/// The window's blue, and a green and an amber that stay apart from it for
/// colour-blind readers.
pub const BLUE: RGBColor = RGBColor(0x1d, 0x4e, 0xd8);
pub const GREEN: RGBColor = RGBColor(0x15, 0x80, 0x3d);
pub const AMBER: RGBColor = RGBColor(0xb4, 0x53, 0x09);

const SIZE: (u32, u32) = (760, 300);
const FONT: &str = "sans-serif";

/// Bars of each series side by side for each category; `percent` draws the
/// values (shares, 0–1) as 0–100%.
pub fn bars(title: &str, categories: &[String], series: &[Series], percent: bool) -> String {
    draw(title, categories, series, percent, Kind::Bars)
}

/// A line per series across the categories; a missing value breaks nothing,
/// the line joins the values there are.
pub fn lines(title: &str, categories: &[String], series: &[Series], percent: bool) -> String {
    draw(title, categories, series, percent, Kind::Lines)
}

#[derive(Clone, Copy)]
enum Kind {
    Bars,
    Lines,
}

fn draw(
    title: &str,
    categories: &[String],
    series: &[Series],
    percent: bool,
    kind: Kind,
) -> String {
    let mut svg = String::new();
    let drawn = plot(&mut svg, title, categories, series, percent, kind);
    match drawn {
        Ok(()) => svg,
        Err(e) => {
            tracing::error!(title, "a chart failed to draw: {e}");
            String::new()
        }
    }
}

fn plot(
    svg: &mut String,
    title: &str,
    categories: &[String],
    series: &[Series],
    percent: bool,
    kind: Kind,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = categories.len();
    if n == 0 {
        root.titled(title, (FONT, 18))?;
        root.draw(&Text::new(
            "所选范围内没有数据",
            (SIZE.0 as i32 / 2 - 80, SIZE.1 as i32 / 2),
            (FONT, 16),
        ))?;
        root.present()?;
        return Ok(());
    }
    let scale = if percent { 100.0 } else { 1.0 };
    let highest = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, &b| a.max(b * scale));
    let top = if percent {
        100.0
    } else {
        (highest * 1.15).max(4.0).ceil()
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(44)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        // The categories are labelled below, centred on their bars.
        .x_labels(1)
        .x_label_formatter(&|_| String::new())
        .set_tick_mark_size(LabelAreaPosition::Bottom, 0)
        // Whole numbers of cases: a label per case up to ten.
        .y_labels(if percent {
            11
        } else {
            (top as usize).clamp(2, 10) + 1
        })
        .y_label_formatter(&|v| {
            if percent {
                format!("{v:.0}%")
            } else {
                format!("{v:.0}")
            }
        })
        .label_style((FONT, 12))
        .draw()?;
    // The right edge of category `i`, and a category's width on the page.
    let right_edge = |i: usize| {
        if i + 1 == n {
            SegmentValue::Last
        } else {
            SegmentValue::Exact(i + 1)
        }
    };
    // Where things go on the page, in pixels: each category's centre, the
    // axis, and a value's height.
    let x = |at| chart.backend_coord(&(at, 0.0)).0;
    let width = u32::try_from(x(right_edge(0)) - x(SegmentValue::Exact(0)))
        .unwrap_or(1)
        .max(1);
    let centers: Vec<i32> = (0..n)
        .map(|i| (x(SegmentValue::Exact(i)) + x(right_edge(i))) / 2)
        .collect();
    let (axis, roof) = (
        chart.backend_coord(&(SegmentValue::Exact(0), 0.0)).1,
        chart.backend_coord(&(SegmentValue::Exact(0), top)).1,
    );
    let height = |v: f64| axis + ((roof - axis) as f64 * v / top).round() as i32;
    let below = axis + 8;
    let label = TextStyle::from((FONT, 12)).pos(Pos::new(HPos::Center, VPos::Top));
    // At most 16 labels: every other week, or fewer, on a long period.
    let every = n.div_ceil(16);
    for (category, &center) in categories.iter().zip(&centers).step_by(every) {
        root.draw(&Text::new(category.as_str(), (center, below), &label))?;
    }
    let count = series.len().max(1) as u32;
    let gap = (width / 8).max(1);
    let bar = (width.saturating_sub(2 * gap) / count).max(1);
    for (k, s) in series.iter().enumerate() {
        let color = s.color;
        let style = color.filled();
        let drawn = match kind {
            Kind::Bars => {
                let (left, right) = (
                    gap + bar * k as u32,
                    width.saturating_sub(gap + bar * (k as u32 + 1)),
                );
                let bars: Vec<Rectangle<(SegmentValue<usize>, f64)>> = s
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let v = (*v)? * scale;
                        let mut bar = Rectangle::new(
                            [(SegmentValue::Exact(i), 0.0), (right_edge(i), v)],
                            style,
                        );
                        bar.set_margin(0, 0, left, right);
                        Some(bar)
                    })
                    .collect();
                chart.draw_series(bars)?
            }
            Kind::Lines => {
                // Drawn in the page's pixels, each point centred on its
                // category as the labels are.
                let points: Vec<(i32, i32)> = s
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| Some((centers[i], height((*v)? * scale))))
                    .collect();
                for &at in &points {
                    root.draw(&Circle::new(at, 4, style))?;
                }
                root.draw(&PathElement::new(points, color.stroke_width(2)))?;
                // Nothing more to draw: the series names the legend's entry.
                chart.draw_series(std::iter::empty::<Circle<(SegmentValue<usize>, f64), i32>>())?
            }
        };
        drawn
            .label(s.name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_draw_each_value_and_escape_the_labels() {
        let svg = bars(
            "每周受理",
            &["W48".into(), "<script>".into()],
            &[
                Series {
                    name: "受理",
                    values: vec![Some(3.0), Some(5.0)],
                    color: BLUE,
                },
                Series {
                    name: "办结",
                    values: vec![Some(1.0), None],
                    color: GREEN,
                },
            ],
            false,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("每周受理") && svg.contains("受理") && svg.contains("办结"));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        // Each bar fits its category: a negative width is an error in a browser.
        assert!(!svg.contains("width=\"-"), "{svg}");
        // Three bars, and the legend's two swatches.
        let filled = |color: &RGBColor| {
            let hex = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
            svg.matches(&format!("fill=\"{hex}\"")).count()
        };
        assert_eq!(filled(&BLUE) + filled(&GREEN), 5, "{svg}");
    }

    #[test]
    fn one_category_with_three_series_has_three_bars_side_by_side() {
        let one = |name, color| Series {
            name,
            values: vec![Some(0.5)],
            color,
        };
        let svg = bars(
            "各部门",
            &["县市场监督管理局".into()],
            &[one("甲", BLUE), one("乙", GREEN), one("丙", AMBER)],
            true,
        );
        assert!(!svg.contains("width=\"-"), "{svg}");
        assert!(svg.contains("县市场监督管理局"), "{svg}");
        if let Ok(path) = std::env::var("CHART_DUMP") {
            std::fs::write(path, &svg).unwrap();
        }
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = lines("按期办结率", &[], &[], true);
        assert!(svg.contains("所选范围内没有数据"), "{svg}");
    }
}

//! The look every figure shares: palette, fonts (the bundled DejaVu Sans), axes, legends, and
//! [`render`], which draws a [`Figure`] once to SVG text and once to an RGB buffer encoded as
//! PNG.
//!
//! Text uses DejaVu Sans, bundled in `assets/` and registered with plotters' `ab_glyph` font
//! table, so PNGs need no system fonts and render identically everywhere (plotters' default
//! `ttf` feature would look fonts up through fontconfig, and a fresh CI machine has none).
//! The SVGs name the `sans-serif` family and are laid out with the same font's metrics.

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
pub(crate) use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::error::ReportError;

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `assets/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// The family every text style names; the bundled font is registered under it.
pub(crate) const FAMILY: &str = "sans-serif";

/// Series colours: Tableau 10, readable on white; the first four stay distinguishable for
/// most colour-blind readers. Cycled when there are more series.
pub(crate) const SERIES: [RGBColor; 8] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xed, 0xc9, 0x48),
];
/// Fault-kind colours, distinct from the series colours.
pub(crate) const FAULTS: [RGBColor; 6] = [
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x8c, 0x8c, 0x8c),
];
/// Titles, labels and axes.
pub(crate) const TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Secondary text (subtitles, notes).
pub(crate) const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);
/// Major and minor grid lines.
pub(crate) const GRID_BOLD: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const GRID_LIGHT: RGBColor = RGBColor(0xf2, 0xf2, 0xf2);
/// Minor grid lines between two major ones: a hint of scale without a grey haze.
const LIGHT_LINES_MAX: usize = 4;

/// Font sizes in pixels.
pub(crate) const TITLE_PX: f64 = 24.0;
pub(crate) const SUBTITLE_PX: f64 = 15.0;
pub(crate) const DESC_PX: f64 = 16.0;
pub(crate) const LABEL_PX: f64 = 14.0;

/// The result type of drawing onto backend `DB`.
pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart with `f64` axes, as every figure here uses.
pub(crate) type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A figure that can draw itself onto any backend.
pub(crate) trait Figure {
    /// File stem: `latency_cdf`, `timeline`, `node_load`.
    const NAME: &'static str;
    /// Width and height in pixels.
    const SIZE: (u32, u32);
    /// Draws the whole figure onto `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// One rendered plot.
#[derive(Clone, Debug)]
pub(crate) struct Plot {
    /// File stem.
    pub name: &'static str,
    /// The SVG document.
    pub svg: String,
    /// The PNG file.
    pub png: Vec<u8>,
}

/// The bundled font, parsed once per process and registered with plotters' font table (whose
/// text-size estimates lay out legends and axes).
fn font() -> ab_glyph::FontRef<'static> {
    static PARSED: std::sync::OnceLock<ab_glyph::FontRef<'static>> = std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| {
            if register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
                panic!("the bundled DejaVu Sans is a valid TrueType font");
            }
            ab_glyph::FontRef::try_from_slice(FONT)
                .expect("the bundled DejaVu Sans is a valid TrueType font")
        })
        .clone()
}

/// Draws `figure` onto the SVG and the PNG backend.
pub(crate) fn render<F: Figure>(figure: &F) -> Result<Plot, ReportError> {
    let _ = font();
    let plot_error = |e: &dyn std::fmt::Display| ReportError::Plot {
        plot: F::NAME,
        message: e.to_string(),
    };
    let (width, height) = F::SIZE;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, F::SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&e))?;
        figure.draw(&root).map_err(|e| plot_error(&e))?;
        root.present().map_err(|e| plot_error(&e))?;
    }
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = super::raster::Raster::new(&mut rgb, F::SIZE, font()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&e))?;
        figure.draw(&root).map_err(|e| plot_error(&e))?;
        root.present().map_err(|e| plot_error(&e))?;
    }
    let png = encode_png(&rgb, F::SIZE).map_err(|source| ReportError::EncodePng {
        plot: F::NAME,
        source,
    })?;
    Ok(Plot {
        name: F::NAME,
        svg,
        png,
    })
}

/// Encodes an RGB8 buffer as PNG, with no timestamps or other ambient metadata.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    assert_eq!(rgb.len(), width as usize * height as usize * 3);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// A text style in the bundled family.
pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&color)
}

/// How a legend entry is marked.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A solid line, for a series drawn as a line.
    Line(RGBColor),
    /// A dashed line, for markers such as instantaneous faults or means.
    Dashed(RGBColor),
    /// A dotted line, for a series told apart from same-coloured ones by its dash.
    Dotted(RGBColor),
    /// A filled box at an opacity, for bars and shaded bands.
    Fill(RGBColor, f64),
}

/// One legend entry.
#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        LegendItem {
            swatch,
            label: label.into(),
        }
    }
}

/// Top of the title, subtitle and first legend row, and the height of a legend row, in px.
const TITLE_Y: i32 = 12;
const SUBTITLE_Y: i32 = 44;
const LEGEND_Y: i32 = 70;
const LEGEND_ROW_PX: i32 = 24;
/// Width of a legend swatch, the gap to its label, and the gap between entries, in px.
const SWATCH_PX: i32 = 24;
const SWATCH_GAP_PX: i32 = 7;
const ENTRY_GAP_PX: i32 = 26;

/// Draws the figure title, a muted subtitle line, and `legend` as centred rows under them
/// (outside the plot, so it never hides data); returns the area below.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = root.dim_in_pixel();
    let center = (width / 2) as i32;
    let title_style = text(TITLE_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(title, &title_style, (center, TITLE_Y))?;
    let subtitle_style = text(SUBTITLE_PX, MUTED).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(subtitle, &subtitle_style, (center, SUBTITLE_Y))?;
    let n_rows = legend_rows(root, legend)?;
    Ok(root.margin(LEGEND_Y as u32 + n_rows * LEGEND_ROW_PX as u32 + 6, 0, 0, 0))
}

/// Lays `legend` out in centred rows no wider than 90% of `root` and draws it; returns the
/// number of rows.
fn legend_rows<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &[LegendItem],
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = root.dim_in_pixel();
    let max_row_px = (width as i32) * 9 / 10;
    let label_style = text(LABEL_PX, TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    let mut rows: Vec<Vec<(&LegendItem, i32)>> = Vec::new();
    let mut row_px = 0;
    for item in legend {
        let (label_px, _) = root.estimate_text_size(&item.label, &label_style)?;
        let item_px = SWATCH_PX + SWATCH_GAP_PX + label_px as i32;
        let needed = if row_px == 0 {
            item_px
        } else {
            row_px + ENTRY_GAP_PX + item_px
        };
        match rows.last_mut() {
            Some(row) if needed <= max_row_px => {
                row.push((item, item_px));
                row_px = needed;
            }
            _ => {
                rows.push(vec![(item, item_px)]);
                row_px = item_px;
            }
        }
    }
    for (row_idx, row) in rows.iter().enumerate() {
        let total: i32 =
            row.iter().map(|(_, px)| px).sum::<i32>() + ENTRY_GAP_PX * (row.len() as i32 - 1);
        let mut x = (width as i32 - total) / 2;
        let y = LEGEND_Y + row_idx as i32 * LEGEND_ROW_PX + LEGEND_ROW_PX / 2;
        for (item, item_px) in row {
            draw_swatch(root, item.swatch, x, y)?;
            root.draw_text(
                &item.label,
                &label_style,
                (x + SWATCH_PX + SWATCH_GAP_PX, y),
            )?;
            x += item_px + ENTRY_GAP_PX;
        }
    }
    Ok(rows.len() as u32)
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    match swatch {
        Swatch::Line(color) => root.draw(&PathElement::new(
            vec![(x, y), (x + SWATCH_PX, y)],
            color.stroke_width(3),
        )),
        Swatch::Dashed(color) => {
            for start in [0, 10, 20] {
                let end = (start + 6).min(SWATCH_PX);
                root.draw(&PathElement::new(
                    vec![(x + start, y), (x + end, y)],
                    color.stroke_width(2),
                ))?;
            }
            Ok(())
        }
        Swatch::Dotted(color) => {
            for start in (0..SWATCH_PX).step_by(6) {
                root.draw(&PathElement::new(
                    vec![(x + start, y), (x + start + 2, y)],
                    color.stroke_width(2),
                ))?;
            }
            Ok(())
        }
        Swatch::Fill(color, alpha) => {
            root.draw(&Rectangle::new(
                [(x, y - 7), (x + SWATCH_PX, y + 7)],
                color.mix(alpha).filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x, y - 7), (x + SWATCH_PX, y + 7)],
                color.mix(0.8),
            ))
        }
    }
}

/// Draws `message` centred in `area`, for figures with nothing to show.
pub(crate) fn draw_empty<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    message: &str,
) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let style = text(DESC_PX, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(message, &style, ((width / 2) as i32, (height / 2) as i32))
}

/// Applies the shared grid, axis and label styling to a mesh.
pub(crate) fn style_mesh<'a, 'b, 'm, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged,
    Y: Ranged,
    DB: DrawingBackend,
{
    mesh.bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .max_light_lines(LIGHT_LINES_MAX)
        .axis_style(MUTED)
        .label_style(text(LABEL_PX, TEXT))
        .axis_desc_style(text(DESC_PX, TEXT))
}

/// Draws `chart`'s series legend at `position` in the shared style: a translucent white box
/// with a muted border, label-sized text.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .label_font(text(LABEL_PX, TEXT))
        .background_style(WHITE.mix(0.9))
        .border_style(MUTED.mix(0.5))
        .draw()
}

/// A number for an axis label: at most three significant digits, no trailing zeros.
pub(crate) fn axis_number(value: f64) -> String {
    if value.abs() >= 1000.0 {
        return crate::format::group_digits(value.round() as u64);
    }
    let text = crate::format::sig3(value);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A darker shade of `color`, for lines and text drawn over a tint of it.
pub(crate) fn darken(color: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = color;
    RGBColor(r / 10 * 6, g / 10 * 6, b / 10 * 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Goal: axis numbers are short and exact-looking at every magnitude.
    #[test]
    fn axis_numbers() {
        for (value, expected) in [
            (0.0, "0"),
            (0.001, "0.001"),
            (0.25, "0.25"),
            (1.0, "1"),
            (12.5, "12.5"),
            (100.0, "100"),
            (12345.0, "12,345"),
        ] {
            assert_eq!(axis_number(value), expected, "{value}");
        }
        assert_eq!(crate::format::group_digits(1_234_567), "1,234,567");
        assert_eq!(crate::format::group_digits(999), "999");
    }
}

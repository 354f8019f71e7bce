//! The PNG drawing backend: plotters' RGB bitmap backend with our own text rendering.
//!
//! Plotters' `ab_glyph` text path places each glyph at its truncated pen position and ignores
//! the glyph's left-side bearing, so digits and narrow letters are spaced unevenly ("81 27").
//! This wrapper delegates every shape to [`BitMapBackend`] and draws text itself: glyphs sit
//! at their exact (sub-pixel) pen positions with kerning and bearings, and the line is
//! centred vertically in the box plotters lays out for it. Horizontal layout (advances plus
//! kerning at the same scale) matches plotters' own text-size estimates, so legends and
//! axis labels computed from those estimates still fit.

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// Plotters' ratio of a font's pixel size to its layout box height (see its `ab_glyph` font).
const SIZE_PER_BOX_HEIGHT: f64 = 1.24;

/// An RGB bitmap backend that renders text with correct glyph placement.
pub(crate) struct Raster<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Raster<'a> {
    /// Draws into `rgb` (RGB8, `width * height * 3` bytes) with text in `font`.
    pub fn new(rgb: &'a mut [u8], size: (u32, u32), font: FontRef<'static>) -> Self {
        Raster {
            inner: BitMapBackend::with_buffer(rgb, size),
            font,
        }
    }

    /// The pixels of `text` at font size `size`, relative to the top-left of its layout box,
    /// with their coverage; and the box's width and height.
    fn rasterize(&self, text: &str, size: f64) -> (Vec<(i32, i32, f32)>, i32, i32) {
        let scale = size as f32;
        let scaled = self.font.as_scaled(scale);
        let box_height = (size / SIZE_PER_BOX_HEIGHT) as i32;
        // Centre the capital height in the box: digits and capitals look centred, descenders
        // hang below as in print.
        let cap_height = self
            .font
            .outline_glyph(scaled.scaled_glyph('H'))
            .map_or(scale * 0.7, |g| -g.px_bounds().min.y);
        let baseline = (box_height as f32 + cap_height) / 2.0;
        let mut pixels = Vec::new();
        let mut pen = 0.0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(previous) = previous {
                pen += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
                outline.draw(|x, y, coverage| {
                    if coverage > 0.0 {
                        pixels.push((left + x as i32, top + y as i32, coverage));
                    }
                });
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }
        (pixels, pen.round() as i32, box_height)
    }
}

type RasterResult =
    Result<(), DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

impl DrawingBackend for Raster<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> RasterResult {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> RasterResult {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> RasterResult {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> RasterResult {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> RasterResult {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> RasterResult {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> RasterResult {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> RasterResult {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> RasterResult {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let (_, width, height) = self.rasterize(text, style.size());
        Ok((width.max(0) as u32, height.max(0) as u32))
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> RasterResult {
        let color = style.color();
        if color.alpha <= 0.0 {
            return Ok(());
        }
        let (pixels, width, height) = self.rasterize(text, style.size());
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.get_size();
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < canvas_width && (y as u32) < canvas_height {
                let alpha = color.alpha * f64::from(coverage.min(1.0));
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha,
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}

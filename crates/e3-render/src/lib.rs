//! e3's SVG figures as PDF and PNG, the same on every machine.
//!
//! The SVG is read by usvg with a font database that holds one face, the
//! DejaVu Sans shipped in `fonts/` (no system fonts: what a figure looks
//! like must not depend on the machine that renders it), and every generic
//! family (`sans-serif`, `serif`, `monospace`, ...) names it, so text of any
//! `font-family` is set in it. From that tree krilla-svg writes a one-page
//! PDF (with krilla) whose text stays text (searchable, selectable) in the
//! font embedded as a subset, the same bytes on every run, and resvg paints
//! a PNG.
//!
//! Sizes: SVG's user unit is the CSS pixel, 1/96 in. A figure 336 px wide
//! is a 3.5 in PDF page (one LaTeX column) and, at 300 dpi, a PNG 1050
//! pixels wide that says so in its `pHYs` chunk.
//!
//! Pure: SVG text in, bytes out. No file is read (images an SVG links to
//! are left out) and nothing is printed.

use std::fmt;
use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::geom::Size;
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;

pub use resvg::usvg::fontdb;

/// The one font e3 renders with: DejaVu Sans 2.37 (Debian's
/// fonts-dejavu-core), its licence in `fonts/LICENSE-DejaVu.txt`.
pub const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name of [`FONT`].
pub const FONT_FAMILY: &str = "DejaVu Sans";

/// The resolution for print: a 3.5 in figure is 1050 pixels wide.
pub const DEFAULT_DPI: f32 = 300.0;

/// CSS pixels (SVG's user unit) per inch.
const SVG_PX_PER_INCH: f32 = 96.0;

/// PDF points per inch.
const PT_PER_INCH: f32 = 72.0;

/// The widest or tallest PNG drawn, in pixels (4 bytes each in memory).
pub const MAX_PIXELS_PER_SIDE: u32 = 20_000;

/// Why a figure could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// The text is not an SVG usvg can read.
    Svg(String),
    /// krilla could not write the PDF.
    Pdf(String),
    /// The resolution is not a positive number of dots per inch.
    Dpi(f32),
    /// The PNG would be empty, or wider or taller than [`MAX_PIXELS_PER_SIDE`].
    Size { width: f32, height: f32 },
    /// The PNG encoder failed.
    Png(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Svg(why) => write!(f, "not a readable SVG: {why}"),
            RenderError::Pdf(why) => write!(f, "cannot write the PDF: {why}"),
            RenderError::Dpi(dpi) => {
                write!(
                    f,
                    "{dpi} is not a resolution (a positive number of dots per inch)"
                )
            }
            RenderError::Size { width, height } => write!(
                f,
                "a PNG of {width:.0} × {height:.0} pixels cannot be drawn \
                 (each side from 1 to {MAX_PIXELS_PER_SIDE})"
            ),
            RenderError::Png(why) => write!(f, "cannot write the PNG: {why}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// The font database every figure is read with: [`FONT`] alone, named by
/// every generic family. Built once.
pub fn fontdb() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT)));
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        db.set_cursive_family(FONT_FAMILY);
        db.set_fantasy_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// `svg` read into usvg's tree, its text laid out in the shipped font.
fn tree(svg: &str) -> Result<usvg::Tree, RenderError> {
    let options = usvg::Options {
        // Text with no font-family.
        font_family: FONT_FAMILY.to_string(),
        fontdb: fontdb(),
        // Only images inside the SVG (data: URLs); none from files.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_string: Box::new(|_, _| None),
            ..usvg::ImageHrefResolver::default()
        },
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| RenderError::Svg(e.to_string()))
}

/// `svg` as a one-page PDF of the same size (96 SVG pixels to the inch),
/// its text kept as text in [`FONT`], embedded as a subset.
pub fn pdf(svg: &str) -> Result<Vec<u8>, RenderError> {
    let tree = tree(svg)?;
    let scale = PT_PER_INCH / SVG_PX_PER_INCH;
    let (width, height) = (tree.size().width() * scale, tree.size().height() * scale);
    // usvg refuses an SVG without a positive width and height.
    let size = Size::from_wh(width, height)
        .ok_or_else(|| RenderError::Pdf(format!("a page of {width} × {height} pt")))?;
    let mut document = Document::new();
    let mut page = document.start_page_with(PageSettings::new(size));
    let mut surface = page.surface();
    let settings = SvgSettings {
        embed_text: true,
        ..SvgSettings::default()
    };
    surface.draw_svg(&tree, size, settings);
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| RenderError::Pdf(e.to_string()))
}

/// `svg` as a PNG at `dpi` dots per inch (96 SVG pixels to the inch), with
/// that resolution recorded in the file.
pub fn png(svg: &str, dpi: f32) -> Result<Vec<u8>, RenderError> {
    if !(dpi.is_finite() && dpi > 0.0) {
        return Err(RenderError::Dpi(dpi));
    }
    let tree = tree(svg)?;
    let scale = dpi / SVG_PX_PER_INCH;
    let (width, height) = (
        (tree.size().width() * scale).round(),
        (tree.size().height() * scale).round(),
    );
    let fits = |side: f32| (1.0..=MAX_PIXELS_PER_SIDE as f32).contains(&side);
    let pixmap = if fits(width) && fits(height) {
        Pixmap::new(width as u32, height as u32)
    } else {
        None
    };
    let mut pixmap = pixmap.ok_or(RenderError::Size { width, height })?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    encode(&pixmap, dpi).map_err(|e| RenderError::Png(e.to_string()))
}

/// The pixels as an 8-bit RGBA PNG that records `dpi`.
fn encode(pixmap: &Pixmap, dpi: f32) -> Result<Vec<u8>, png::EncodingError> {
    // tiny-skia keeps colours premultiplied by alpha; PNG does not.
    let mut rgba = Vec::with_capacity(pixmap.data().len());
    for pixel in pixmap.pixels() {
        let c = pixel.demultiply();
        rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    let per_metre = (dpi / 0.0254).round() as u32;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgba)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_resolution_is_refused_before_reading() {
        assert_eq!(png("not svg", 0.0), Err(RenderError::Dpi(0.0)));
        assert!(matches!(png("<svg/>", f32::NAN), Err(RenderError::Dpi(_))));
    }

    #[test]
    fn text_that_is_not_svg_is_an_svg_error() {
        assert!(matches!(pdf("hello"), Err(RenderError::Svg(_))));
        assert!(matches!(png("hello", 300.0), Err(RenderError::Svg(_))));
    }

    #[test]
    fn a_png_too_large_is_refused() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="10"/>"#;
        assert!(matches!(png(svg, 300.0), Err(RenderError::Size { .. })));
    }
}

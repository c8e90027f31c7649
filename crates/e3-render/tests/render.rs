//! The PDF and PNG of a small SVG and of a plot made as e3-report makes
//! them (plotters' SVG backend), read back as what they are: the PDF parsed
//! (one page, its size, the shipped font embedded as a subset, the labels
//! extractable as text), the PNG decoded (its size for the resolution, dark
//! pixels where the text is).

use lopdf::{Document, Object};
use plotters::prelude::*;

/// An axis label and a legend entry, 3.5 in × 2 in (96 px to the inch).
const SMALL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="336" height="192" viewBox="0 0 336 192">
<rect x="0" y="0" width="336" height="192" fill="#FFFFFF"/>
<text x="168" y="180" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#000000">MPyC time (s)</text>
<text x="40" y="24" font-family="Helvetica, Arial" font-size="12" fill="#000000">net = e3-4regions</text>
</svg>"##;

/// A plot as e3-report draws one: plotters' SVG backend, 800 × 500 px,
/// `sans-serif` text, axis descriptions, a line series and its legend.
fn plotters_svg() -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let mut chart = ChartBuilder::on(&root)
            .caption("secretsanta: MPyC time", ("sans-serif", 26))
            .margin(10)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(2.0..13.0, 0.0..2.0)
            .unwrap();
        chart
            .configure_mesh()
            .x_desc("parties")
            .y_desc("MPyC time (s)")
            .draw()
            .unwrap();
        chart
            .draw_series(LineSeries::new(
                vec![(3.0, 0.4), (6.0, 0.8), (12.0, 1.6)],
                BLUE.stroke_width(2),
            ))
            .unwrap()
            .label("net = e3-4regions")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 17))
            .border_style(BLACK)
            .draw()
            .unwrap();
        root.present().unwrap();
    }
    svg
}

/// The PDF's one page: its MediaBox, its text, and the fonts it uses
/// (BaseFont names and whether each embeds a TrueType program).
struct Page {
    media_box: Vec<f32>,
    text: String,
    fonts: Vec<(String, bool)>,
}

fn read_pdf(pdf: &[u8]) -> Page {
    assert!(pdf.starts_with(b"%PDF-"), "no PDF header");
    let doc = Document::load_mem(pdf).expect("the PDF parses");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1, "one page");
    let (&number, &page_id) = pages.iter().next().unwrap();
    let page = doc.get_dictionary(page_id).unwrap();
    let media_box = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_float().unwrap())
        .collect();
    let text = doc.extract_text(&[number]).expect("text extracts");
    let mut fonts = Vec::new();
    for font in doc.get_page_fonts(page_id).unwrap().values() {
        let name = |d: &lopdf::Dictionary| {
            String::from_utf8(d.get(b"BaseFont").unwrap().as_name().unwrap().to_vec()).unwrap()
        };
        // A Type0 font names its CID font, whose descriptor holds the
        // embedded program (FontFile2: TrueType).
        let descendants = font.get(b"DescendantFonts").unwrap().as_array().unwrap();
        let deref = |o: &Object| match o {
            Object::Reference(id) => doc.get_object(*id).unwrap().clone(),
            o => o.clone(),
        };
        let cid = deref(&descendants[0]).as_dict().unwrap().clone();
        let descriptor = deref(cid.get(b"FontDescriptor").unwrap())
            .as_dict()
            .unwrap()
            .clone();
        let embedded = match descriptor.get(b"FontFile2") {
            Ok(Object::Reference(id)) => {
                let stream = doc.get_object(*id).unwrap().as_stream().unwrap();
                !stream.content.is_empty()
            }
            _ => false,
        };
        fonts.push((name(font), embedded));
    }
    Page {
        media_box,
        text,
        fonts,
    }
}

/// The PNG's width, height, pixels per metre and RGBA pixels.
fn read_png(png: &[u8]) -> (u32, u32, Option<u32>, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("the PNG decodes");
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a size that fits in memory")
    ];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let per_metre = reader.info().pixel_dims.map(|d| {
        assert_eq!(d.unit, png::Unit::Meter);
        assert_eq!(d.xppu, d.yppu);
        d.xppu
    });
    buf.truncate(info.buffer_size());
    (info.width, info.height, per_metre, buf)
}

/// Dark, opaque pixels in rows `rows` (text is black on white).
fn dark_pixels(width: u32, rgba: &[u8], rows: std::ops::Range<u32>) -> usize {
    rgba.chunks(4)
        .enumerate()
        .filter(|(i, _)| rows.contains(&(*i as u32 / width)))
        .filter(|(_, p)| p[3] > 200 && p[0] < 80 && p[1] < 80 && p[2] < 80)
        .count()
}

/// The subset tag svg2pdf puts before an embedded subset's name: six
/// capital letters and a plus, as the PDF reference asks.
fn is_subset_of(base_font: &str, family: &str) -> bool {
    match base_font.split_once('+') {
        Some((tag, name)) => {
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()) && name == family
        }
        None => false,
    }
}

/// Text without the whitespace a PDF text extractor puts between glyphs.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn the_font_database_holds_the_shipped_font_alone() {
    let db = e3_render::fontdb();
    let faces: Vec<_> = db.faces().collect();
    assert_eq!(faces.len(), 1, "one face: {faces:?}");
    let families: Vec<&str> = faces[0].families.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(families, [e3_render::FONT_FAMILY]);
    assert_eq!(faces[0].post_script_name, "DejaVuSans");
    // Every generic family, and any name at all (usvg falls back to
    // serif), is set in it.
    use e3_render::fontdb::{Family, Query};
    for family in [
        Family::SansSerif,
        Family::Serif,
        Family::Monospace,
        Family::Cursive,
        Family::Fantasy,
        Family::Name("DejaVu Sans"),
    ] {
        let query = Query {
            families: &[family],
            ..Query::default()
        };
        assert_eq!(db.query(&query), Some(faces[0].id), "{family:?}");
    }
}

#[test]
fn a_small_figure_as_pdf_keeps_its_text_in_the_embedded_subset() {
    let page = read_pdf(&e3_render::pdf(SMALL).unwrap());
    // 336 × 192 px at 96 to the inch: 3.5 in × 2 in, 252 pt × 144 pt.
    assert_eq!(page.media_box, [0.0, 0.0, 252.0, 144.0]);
    let text = squeezed(&page.text);
    for label in ["MPyC time (s)", "net = e3-4regions"] {
        assert!(text.contains(&squeezed(label)), "no {label:?} in {text:?}");
    }
    assert_eq!(page.fonts.len(), 1, "{:?}", page.fonts);
    let (name, embedded) = &page.fonts[0];
    assert!(is_subset_of(name, "DejaVuSans"), "{name}");
    assert!(embedded, "{name} has no FontFile2 stream");
}

#[test]
fn a_small_figure_as_png_has_its_size_and_text() {
    let (width, height, per_metre, rgba) = read_png(&e3_render::png(SMALL, 300.0).unwrap());
    // 3.5 in × 2 in at 300 dpi.
    assert_eq!((width, height), (1050, 600));
    // 300 dpi is 11811 pixels per metre.
    assert_eq!(per_metre, Some(11811));
    // Black text on white: dark pixels in the legend's rows (y 24 px is
    // 75 at 300 dpi) and the label's (y 180 px: 562), none in between.
    assert!(dark_pixels(width, &rgba, 40..80) > 500);
    assert!(dark_pixels(width, &rgba, 530..570) > 500);
    assert_eq!(dark_pixels(width, &rgba, 100..500), 0);

    let (width, height, per_metre, _) = read_png(&e3_render::png(SMALL, 96.0).unwrap());
    assert_eq!((width, height, per_metre), (336, 192, Some(3780)));
}

#[test]
fn a_plotters_plot_renders_with_its_labels() {
    let svg = plotters_svg();
    let page = read_pdf(&e3_render::pdf(&svg).unwrap());
    // 800 × 500 px: 600 pt × 375 pt.
    assert_eq!(page.media_box, [0.0, 0.0, 600.0, 375.0]);
    let text = squeezed(&page.text);
    for label in [
        "secretsanta: MPyC time",
        "MPyC time (s)",
        "parties",
        "net = e3-4regions",
    ] {
        assert!(text.contains(&squeezed(label)), "no {label:?} in {text:?}");
    }
    assert_eq!(page.fonts.len(), 1, "{:?}", page.fonts);
    assert!(is_subset_of(&page.fonts[0].0, "DejaVuSans"));
    assert!(page.fonts[0].1);

    let (width, height, _, rgba) = read_png(&e3_render::png(&svg, 300.0).unwrap());
    assert_eq!((width, height), (2500, 1563));
    // The caption at the top, in black.
    assert!(dark_pixels(width, &rgba, 0..150) > 1000);
}

#[test]
fn the_same_svg_gives_the_same_bytes() {
    let svg = plotters_svg();
    assert!(
        e3_render::pdf(&svg) == e3_render::pdf(&svg),
        "the PDFs differ"
    );
    assert!(
        e3_render::png(&svg, 150.0) == e3_render::png(&svg, 150.0),
        "the PNGs differ"
    );
}

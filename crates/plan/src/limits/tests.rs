//! The limits' unit tests: the markup lexer, size values, and the span
//! checks at their edges.

use super::*;

fn lex(xml: &str) -> Option<u64> {
    let mut lexer = MarkupLexer::default();
    // In pieces, as a stream arrives.
    for chunk in xml.as_bytes().chunks(3) {
        lexer.feed(chunk);
    }
    lexer.bad_at
}

#[test]
fn markup_in_attribute_values_is_found() {
    assert_eq!(lex(r#"<row r="1" x="</row>"><c/></row>"#), Some(14));
    assert_eq!(lex("<c r='a<b'/>"), Some(7));
    for fine in [
        r#"<?xml version="1.0"?><a b="x>y" c='"'>t &lt; u</a>"#,
        r#"<a><!-- "<" --><![CDATA[ " < ]] ]]><b x="1"/></a>"#,
        r#"<!DOCTYPE a><a x="&lt;/row&gt;"/>"#,
        r#"<a><![CDATA[ x > "y<" ]]><b c="d"/><!-- a > "<" --></a>"#,
    ] {
        assert_eq!(lex(fine), None, "{fine}");
    }
}

#[test]
fn sizes_read_well() {
    assert_eq!(size_text(312), "312 bytes");
    assert_eq!(size_text(16 * MIB), "16 MiB");
    assert_eq!(size_text(3 * 1024 * MIB + 1), "3.0 GiB");
    assert_eq!(size_text(1536), "1.5 KiB");
}

#[test]
fn a_span_is_refused_by_area_and_by_count() {
    let limits = WorkbookLimits {
        max_sheet_cells: 4,
        ..WorkbookLimits::DEFAULT
    };
    let mut span = CellSpan::default();
    assert!(span.add((0, 0), &limits, "s").is_ok());
    assert!(span.add((1, 1), &limits, "s").is_ok());
    let error = span.add((2, 0), &limits, "s").err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("from A1 to B3 (6 cells"), "{message}");

    let mut span = CellSpan::default();
    for _ in 0..4 {
        assert!(span.add((0, 0), &limits, "s").is_ok());
    }
    assert!(span.add((0, 0), &limits, "s").is_err());
}

#[test]
fn the_widest_span_does_not_overflow() {
    let mut span = CellSpan::default();
    let _ = span.add((0, 0), &WorkbookLimits::DEFAULT, "s");
    let error = span.add((u32::MAX, u32::MAX), &WorkbookLimits::DEFAULT, "s");
    assert!(error.is_err());
}

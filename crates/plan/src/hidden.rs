//! Characters a reader cannot see in a name: control characters, the
//! bidirectional controls that reorder the text around them (U+202E shows
//! `…evil` as `…live`), and zero-width and other invisible characters.
//! `plan check` warns about them in every name cell ([`hidden_characters`]);
//! the front ends print them as `⟨U+202E⟩` ([`visible`]) so a terminal or a
//! page cannot hide or reorder them.
//!
//! The list is Unicode's own, not a guess: general category Cc (controls),
//! U+2028 and U+2029 (a line break inside a one-line name, and a paragraph
//! boundary for the bidirectional algorithm), `Bidi_Control` (PropList.txt)
//! and `Default_Ignorable_Code_Point` (DerivedCoreProperties.txt, Unicode
//! 16.0: the code points a renderer shows as nothing — zero-width spaces and
//! joiners, the byte-order mark, variation selectors, Hangul fillers, the
//! tag characters). The page (`crates/console/assets/js/dom.js`, `HIDDEN`)
//! holds the same ranges; a console test compares the two.
//!
//! A name is kept as typed, characters and all: it is what the cluster is
//! given and what later runs and `check` look up on it, so a plan that
//! silently dropped them would name something else than the workbook does.

use std::borrow::Cow;

/// Why a character is hidden; the warning says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenKind {
    /// Cc, and the line and paragraph separators.
    Control,
    /// `Bidi_Control`: marks, embeddings, overrides and isolates.
    Bidi,
    /// The rest of `Default_Ignorable_Code_Point`.
    Invisible,
}

/// Whether `c` is hidden from a reader, and why.
pub fn hidden_kind(c: char) -> Option<HiddenKind> {
    match u32::from(c) {
        0x0000..=0x001F | 0x007F..=0x009F | 0x2028 | 0x2029 => Some(HiddenKind::Control),
        0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => Some(HiddenKind::Bidi),
        0x00AD
        | 0x034F
        | 0x115F..=0x1160
        | 0x17B4..=0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200D
        | 0x2060..=0x2065
        | 0x206A..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF => Some(HiddenKind::Invisible),
        _ => None,
    }
}

/// The hidden characters of `text`, each once, in the order they first
/// appear.
pub fn hidden_characters(text: &str) -> Vec<char> {
    let mut found = Vec::new();
    for c in text.chars() {
        if hidden_kind(c).is_some() && !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// `U+202E`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `text` with every hidden character written out as `⟨U+202E⟩`: what a
/// terminal prints for a name, so it shows what is there and in the order
/// it is stored.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden_kind(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden_kind(c).is_some() {
            out.push('⟨');
            out.push_str(&code_point(c));
            out.push('⟩');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_characters_are_hidden() {
        for (c, kind) in [
            ('\u{0}', HiddenKind::Control),
            ('\u{7}', HiddenKind::Control),
            ('\n', HiddenKind::Control),
            ('\u{7F}', HiddenKind::Control),
            ('\u{85}', HiddenKind::Control),
            ('\u{9F}', HiddenKind::Control),
            ('\u{2028}', HiddenKind::Control),
            ('\u{2029}', HiddenKind::Control),
            ('\u{061C}', HiddenKind::Bidi),
            ('\u{200E}', HiddenKind::Bidi),
            ('\u{200F}', HiddenKind::Bidi),
            ('\u{202A}', HiddenKind::Bidi),
            ('\u{202E}', HiddenKind::Bidi),
            ('\u{2066}', HiddenKind::Bidi),
            ('\u{2069}', HiddenKind::Bidi),
            ('\u{00AD}', HiddenKind::Invisible),
            ('\u{180E}', HiddenKind::Invisible),
            ('\u{200B}', HiddenKind::Invisible),
            ('\u{200C}', HiddenKind::Invisible),
            ('\u{200D}', HiddenKind::Invisible),
            ('\u{2060}', HiddenKind::Invisible),
            ('\u{2064}', HiddenKind::Invisible),
            ('\u{3164}', HiddenKind::Invisible),
            ('\u{FE0F}', HiddenKind::Invisible),
            ('\u{FEFF}', HiddenKind::Invisible),
            ('\u{E0041}', HiddenKind::Invisible),
            ('\u{E0100}', HiddenKind::Invisible),
        ] {
            assert_eq!(hidden_kind(c), Some(kind), "{}", code_point(c));
        }
    }

    #[test]
    fn names_as_sites_write_them_are_not() {
        for name in [
            "CN-BJ-SMTX-Prod-Cls01",
            "北京-生产集群_01",
            "ＣＮ－ＢＪ　全角",
            "VLAN 1120 (prod)",
            "Ünïcödé ñame",
            "שלום عربي",
            "클러스터",
            "⟨U+202E⟩",
        ] {
            assert_eq!(hidden_characters(name), Vec::<char>::new(), "{name}");
            assert!(matches!(visible(name), Cow::Borrowed(_)), "{name}");
        }
    }

    #[test]
    fn hidden_characters_are_written_out() {
        let name = "Cls01-\u{202E}live\u{200B}\u{202E}";
        assert_eq!(hidden_characters(name), ['\u{202E}', '\u{200B}']);
        assert_eq!(visible(name), "Cls01-⟨U+202E⟩live⟨U+200B⟩⟨U+202E⟩");
        assert_eq!(visible("a\u{E0041}b"), "a⟨U+E0041⟩b");
        assert_eq!(code_point('\u{7}'), "U+0007");
    }
}

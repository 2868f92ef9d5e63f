//! Seeds the fuzz corpora: the real template (read from `../shared`, never
//! committed), the example fixtures, and the crafted hostile workbooks (the
//! 3 GiB bomb in a 4 MiB-inflating version, to keep inputs small).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed`

use std::path::{Path, PathBuf};

use smtx_plan::crafted::{self, MarkupTag};
use smtx_plan::fixture::WorkbookSpec;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let template = fuzz.join("../../shared/reference/workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx");
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    match std::fs::read(&template) {
        Ok(bytes) => seeds.push(("template.xlsx".into(), bytes)),
        Err(error) => eprintln!("note: no template at {}: {error}", template.display()),
    }
    for hosts in 1..=4 {
        seeds.push((
            format!("fixture-{hosts}-hosts.xlsx"),
            WorkbookSpec::example(hosts).to_xlsx_bytes()?,
        ));
    }
    seeds.push(("bomb-4mib.xlsx".into(), crafted::zip_bomb(4, true)?));
    seeds.push(("bomb-lying.xlsx".into(), crafted::zip_bomb(4, false)?));
    seeds.push(("strings.xlsx".into(), crafted::shared_strings_claim(100_000_000_000)?));
    seeds.push(("far.xlsx".into(), crafted::far_apart_cells()?));
    seeds.push(("row-markup.xlsx".into(), crafted::markup_in_attribute(MarkupTag::Row, "</sheetData>")?));
    seeds.push(("cell-markup.xlsx".into(), crafted::markup_in_attribute(MarkupTag::Cell, "</row>")?));
    seeds.push(("shared-formula.xlsx".into(), crafted::shared_formula_index(4_000_000_000)?));
    for target in ["workbook_reader", "serial_write_back"] {
        let dir = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in &seeds {
            write(&dir.join(name), bytes)?;
        }
        println!("{}: {} seeds", dir.display(), seeds.len());
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)?;
    Ok(())
}

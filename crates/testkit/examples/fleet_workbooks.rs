//! Writes a fleet of generated workbooks for a rehearsal or the fleet
//! benchmark: `cargo run -p smtx-testkit --example fleet_workbooks -- DIR
//! [COUNT=10] [HOSTS=4] [NETWORKS=11]` → `DIR/site-000.xlsx`, … each its own
//! cluster (name, addresses; see `smtx_testkit::fleet_workbook_spec`).

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: fleet_workbooks DIR [COUNT] [HOSTS] [NETWORKS]");
        std::process::exit(2);
    };
    let mut number = |default: usize| {
        args.next()
            .map_or(Ok(default), |text| text.parse::<usize>())
            .unwrap_or_else(|error| {
                eprintln!("not a number: {error}");
                std::process::exit(2);
            })
    };
    let (count, hosts, networks) = (number(10), number(4), number(11));
    let paths =
        smtx_testkit::write_fleet_workbooks(std::path::Path::new(&dir), count, hosts, networks);
    println!("{} workbook(s) in {dir}", paths.len());
}

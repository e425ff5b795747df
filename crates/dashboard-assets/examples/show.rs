//! Prints an embedded file, or `missing`: what the crate's test builds in release and runs.

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "index.html".into());
    match dashboard_assets::get(&path) {
        Some(asset) => print!("{}\n{}", asset.mime, String::from_utf8_lossy(&asset.data)),
        None => print!("missing"),
    }
}

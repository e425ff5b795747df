//! The `tributary` binary: the command line of [`tributary::cli`], with the dashboard's files
//! embedded (crates/dashboard-assets). Kept this small because this crate is recompiled for
//! every new dashboard build; see src/http/dashboard.rs.

fn main() -> anyhow::Result<()> {
    tributary::cli::run(|path| dashboard_assets::get(path).map(|asset| (asset.data, asset.mime)))
}

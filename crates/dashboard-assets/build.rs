//! Points the embed at the dashboard's build output and tells cargo to rebuild this crate when
//! anything in it changes.
//!
//! In release builds rust-embed copies the files in with `include_bytes!`, so cargo already
//! notices a changed file, but not a new one (Vite names assets by content hash, so every
//! build adds files) nor the folder appearing after a first build made without it. Hence a
//! `rerun-if-changed` on the folder itself: cargo scans a directory's whole tree for newer
//! modification times. A path that does not exist would make cargo rerun this script on every
//! build (and relink the server each time), so a missing folder is created, empty (in debug
//! builds as well, for the reason given where it is done).
//!
//! Debug builds read the folder at run time (see src/lib.rs), so they never need rebuilding
//! for it: the folder is watched in release builds only, which keeps a new `web/dist` from
//! recompiling the debug server and its test binaries.
//!
//! `TRIBUTARY_DASHBOARD_DIR` embeds another folder instead (the crate's own test uses it).

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TRIBUTARY_DASHBOARD_DIR");
    let folder = match std::env::var_os("TRIBUTARY_DASHBOARD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/dist"),
    };
    // Set by cargo for the crate being built: rust-embed embeds exactly when this is off.
    let embeds = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none();
    // Created in debug builds too: there rust-embed compares each requested file's canonical
    // path with the folder's, and for a folder missing at build time it keeps the path with
    // its `../..`, which no canonical path starts with: a debug binary built before the first
    // dashboard build (as on CI, where the tests build first) would never serve it.
    if let Err(error) = std::fs::create_dir_all(&folder) {
        // Not fatal: the embed allows a missing folder (the dashboard is then absent), and
        // cargo reruns this script next time.
        println!("cargo::warning=cannot create {}: {error}", folder.display());
    }
    let folder = folder.canonicalize().unwrap_or(folder);
    if embeds {
        println!("cargo::rerun-if-changed={}", folder.display());
    }
    let code = format!(
        "#[derive(rust_embed::RustEmbed)]\n#[folder = {:?}]\n#[allow_missing = true]\nstruct Files;\n",
        folder.display().to_string()
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("files.rs");
    if let Err(error) = std::fs::write(&out, code) {
        panic!("cannot write {}: {error}", out.display());
    }
}

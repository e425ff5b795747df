//! The embed follows the folder. In release: a release build made before the dashboard existed
//! serves the dashboard built later, and a rebuild of the dashboard (new content-hashed file
//! names) is picked up, with no `cargo clean` or touched source in between. This is what
//! build.rs's `rerun-if-changed` on the folder is for; without it cargo would keep the first,
//! empty embed.
//!
//! It runs cargo itself, in release, on this crate's `show` example, with the folder pointed at
//! a temporary directory, and in a target directory of its own: the `cargo test` running this
//! holds the lock on the shared one. That directory is kept under target/ so that later runs
//! only rebuild this crate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the `show` example in release with the embed pointed at `folder`.
fn build(folder: &Path) {
    build_profile(folder, true);
}

fn build_profile(folder: &Path, release: bool) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--locked", "--offline", "--quiet"]);
    if release {
        command.arg("--release");
    }
    let status = command
        .args(["-p", "dashboard-assets", "--example", "show"])
        .current_dir(workspace_root())
        .env(
            "CARGO_TARGET_DIR",
            workspace_root().join("target/embed-test"),
        )
        .env("TRIBUTARY_DASHBOARD_DIR", folder)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the build of the example failed");
}

/// What the built example prints for `path`: the MIME type and the file, or `missing`.
fn show(path: &str) -> String {
    show_profile(path, "release")
}

fn show_profile(path: &str, profile: &str) -> String {
    let binary = format!("target/embed-test/{profile}/examples/show");
    let output = Command::new(workspace_root().join(binary))
        .arg(path)
        .output()
        .expect("the example runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn a_release_build_embeds_the_dashboard_built_after_it_and_every_rebuild() {
    let temp = tempfile::tempdir().unwrap();
    let dist = temp.path().join("dist");

    // 1. Built before the dashboard exists (a fresh clone's first `cargo build --release`).
    build(&dist);
    assert_eq!(show("index.html"), "missing");

    // 2. The dashboard is built: the next cargo build embeds it.
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), "<p>first build</p>").unwrap();
    std::fs::write(dist.join("assets/index-aaaa1111.js"), "console.log(1)").unwrap();
    build(&dist);
    assert_eq!(show("index.html"), "text/html\n<p>first build</p>");
    assert_eq!(
        show("assets/index-aaaa1111.js"),
        "text/javascript\nconsole.log(1)"
    );

    // 3. Rebuilt as Vite does: the old asset gone, a new name, a new index.html.
    std::fs::remove_file(dist.join("assets/index-aaaa1111.js")).unwrap();
    std::fs::write(dist.join("assets/index-bbbb2222.js"), "console.log(2)").unwrap();
    std::fs::write(dist.join("index.html"), "<p>second build</p>").unwrap();
    build(&dist);
    assert_eq!(show("index.html"), "text/html\n<p>second build</p>");
    assert_eq!(show("assets/index-aaaa1111.js"), "missing");
    assert_eq!(
        show("assets/index-bbbb2222.js"),
        "text/javascript\nconsole.log(2)"
    );
}

/// Debug builds read the folder at run time: one built before the dashboard existed (on CI the
/// tests build the server before the dashboard is built) must serve it once it is there, with
/// no rebuild. The folder is named with a `..` in it, as the real one is
/// (`crates/dashboard-assets/../../web/dist`).
#[test]
fn a_debug_build_made_before_the_dashboard_serves_it_once_built() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(temp.path().join("sub")).unwrap();
    let dist = temp.path().join("sub/../dist");

    build_profile(&dist, false);
    assert_eq!(show_profile("index.html", "debug"), "missing");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<p>built later</p>").unwrap();
    assert_eq!(
        show_profile("index.html", "debug"),
        "text/html\n<p>built later</p>"
    );
}

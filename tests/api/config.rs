//! The example configuration file is the documented list of settings: it must load, and
//! it must state the defaults.

use figment::providers::Format;
use tributary::config::Config;

#[test]
fn the_example_config_loads_and_matches_the_defaults() {
    // These tests belong to crates/server: the repository root is two levels up.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tributary.example.toml");
    let loaded = figment::Figment::new()
        .merge(figment::providers::Toml::file(&path))
        .extract::<Config>()
        .expect("the example parses into a complete Config");
    let defaults = Config::default();
    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        serde_json::to_value(&defaults).unwrap()
    );
}

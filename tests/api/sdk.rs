//! The real SDKs, unmodified, against the real server: `@segment/analytics-node` and
//! `posthog-node` from a Node script, `@segment/analytics-next` and `posthog-js` in headless
//! Chromium from a page on another origin, `segment-analytics-python` and `posthog` from Python
//! (tests/sdk/). The JavaScript SDKs' clocks run two hours behind, so every stored time proves
//! the skew correction. Needs Node.js and `npm ci --prefix tests/sdk`, and a virtualenv with
//! tests/sdk/requirements.txt in tests/sdk/.venv (`make test` makes both); the browser test also
//! needs /usr/bin/chromium. Outside CI a missing piece skips the test with a note; under
//! `CI=true` it fails.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

const BAD_KEY: &str = "trb_this_key_does_not_exist_00000";

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/sdk")
}

#[derive(Clone, Copy, PartialEq)]
enum Sdks {
    Node,
    Browser,
    Python,
}

/// Whether what the SDKs need is installed; panics under CI if not.
fn sdks_installed(sdks: Sdks) -> bool {
    let mut missing = Vec::new();
    if sdks == Sdks::Python {
        if !sdk_dir().join(".venv/bin/python").exists() {
            missing.push("tests/sdk/.venv (run `make tests/sdk/.venv`)");
        }
    } else {
        if !sdk_dir().join("node_modules").is_dir() {
            missing.push("tests/sdk/node_modules (run `npm ci --prefix tests/sdk`)");
        }
        if std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_err()
        {
            missing.push("node");
        }
    }
    if sdks == Sdks::Browser && !std::path::Path::new("/usr/bin/chromium").exists() {
        missing.push("/usr/bin/chromium");
    }
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "SDK tests need {}",
        missing.join(", ")
    );
    eprintln!("skipping SDK test: missing {}", missing.join(", "));
    false
}

/// Runs a script of tests/sdk (with node, or the virtualenv's python for `.py`) and returns the
/// JSON line it printed last.
async fn run_script(script: &str, args: &[&str]) -> Value {
    let interpreter = if script.ends_with(".py") {
        sdk_dir().join(".venv/bin/python")
    } else {
        PathBuf::from("node")
    };
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(interpreter)
            .arg(script)
            .args(args)
            .current_dir(sdk_dir())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the SDK script finished within 120 s")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|_| panic!("{script} printed {stdout}"))
}

fn time(event: &Value, field: &str) -> DateTime<Utc> {
    event[field].as_str().unwrap().parse().unwrap()
}

/// How long before its receipt the event is dated, in seconds.
fn age(event: &Value) -> f64 {
    (time(event, "received_at") - time(event, "timestamp")).as_seconds_f64()
}

fn find<'a>(events: &'a [Value], event_type: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event_type"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type} among {events:#?}"))
}

/// The SDKs reported no error with the good key, and a 401 for every send with the bad one.
fn assert_only_the_bad_key_was_refused(reported: &Value) {
    assert_eq!(
        reported["segment_good"],
        serde_json::json!([]),
        "{reported}"
    );
    assert_eq!(
        reported["posthog_good"],
        serde_json::json!([]),
        "{reported}"
    );
    for sdk in ["segment_bad", "posthog_bad"] {
        let errors = reported[sdk].as_array().unwrap();
        assert!(
            !errors.is_empty() && errors.iter().all(|e| e.as_str().unwrap().contains("401")),
            "{sdk} reports the refused key: {reported}"
        );
    }
}

fn assert_no_credential_stored(events: &[Value], key: &str) {
    for event in events {
        assert!(
            !event["metadata"].to_string().contains(key),
            "the key is stored in {event}"
        );
    }
}

#[tokio::test]
async fn the_node_sdks_deliver_events_with_their_ids_and_corrected_times() {
    if !sdks_installed(Sdks::Node) {
        return;
    }
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let run = "4242";
    let reported = run_script("node-sdks.mjs", &[&app.address, &tenant.key, BAD_KEY, run]).await;

    assert_only_the_bad_key_was_refused(&reported);

    let events = app.all_events(&tenant.key, "").await;
    assert_eq!(events.len(), 5, "{events:#?}");
    let order = find(&events, "Order_Completed");
    assert_eq!(order["event_id"], format!("segment-track-{run}"));
    assert_eq!(order["metadata"]["event"], "Order Completed");
    assert_eq!(order["metadata"]["userId"], format!("user-{run}"));
    assert_eq!(order["metadata"]["properties"]["revenue"], 42.5);
    assert_eq!(order["metadata"]["properties"]["items"][0]["sku"], "A-1");
    assert_eq!(
        order["metadata"]["context"]["library"]["name"],
        "@segment/analytics-node"
    );
    let identify = find(&events, "identify");
    assert_eq!(identify["metadata"]["traits"]["plan"], "pro");
    let signed_up = find(&events, "signed_up");
    assert_eq!(signed_up["metadata"]["distinct_id"], format!("user-{run}"));
    assert_eq!(signed_up["metadata"]["properties"]["plan"], "pro");
    assert!(signed_up["event_id"].as_str().unwrap().starts_with("0193"));

    // The SDKs' clocks are two hours behind: every event is dated when it happened by the
    // server's clock, the ones sent "now" within a second or two of receipt, the ones dated
    // five seconds back five seconds (plus the SDK's batching delay) before receipt.
    for event in [order, identify, signed_up] {
        assert!((0.0..3.0).contains(&age(event)), "{event}");
    }
    for event_type in ["Cart_Viewed", "_pageview"] {
        let event = find(&events, event_type);
        assert!((4.9..8.0).contains(&age(event)), "{event}");
    }
    assert_no_credential_stored(&events, &tenant.key);
}

#[tokio::test]
async fn the_browser_sdks_deliver_from_another_origin_with_corrected_times() {
    if !sdks_installed(Sdks::Browser) {
        return;
    }
    let page_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap();
    let page_origin = format!("http://127.0.0.1:{page_port}");
    let app = spawn_app_with(|config| config.http.cors_origins = vec![page_origin.clone()]).await;
    let tenant = app.create_tenant("acme").await;
    let run = "77";
    let reported = run_script(
        "browser.mjs",
        &[
            &app.address,
            &tenant.key,
            BAD_KEY,
            run,
            &page_port.to_string(),
        ],
    )
    .await;

    assert_eq!(
        reported["console_errors"],
        serde_json::json!([]),
        "{reported}"
    );
    for status in reported["statuses"].as_array().unwrap() {
        assert!(status.as_str().unwrap().ends_with(" 200"), "{reported}");
    }
    assert_eq!(reported["segment"]["delivered"], true, "{reported}");
    assert_eq!(reported["bad"]["segment_failed"], true, "{reported}");
    assert_eq!(
        reported["bad"]["posthog_statuses"],
        serde_json::json!([401]),
        "{reported}"
    );

    let events = app.all_events(&tenant.key, "").await;
    let upgraded = find(&events, "Plan_Upgraded");
    assert_eq!(upgraded["event_id"], format!("browser-segment-{run}"));
    assert_eq!(upgraded["metadata"]["properties"]["seats"], 5);
    assert_eq!(
        upgraded["metadata"]["anonymousId"],
        reported["segment"]["anonymousId"]
    );
    assert_eq!(
        upgraded["metadata"]["context"]["page"]["url"],
        format!("{page_origin}/")
    );
    let identify = find(&events, "identify");
    assert_eq!(
        identify["metadata"]["userId"],
        format!("browser-user-{run}")
    );
    let clicked = find(&events, "clicked_buy");
    assert_eq!(clicked["metadata"]["event"], "clicked buy");
    assert_eq!(clicked["metadata"]["properties"]["sku"], "A-1");
    assert_eq!(
        clicked["metadata"]["distinct_id"],
        format!("browser-user-{run}")
    );
    find(&events, "_identify");
    for event in &events {
        assert!((0.0..5.0).contains(&age(event)), "{event}");
    }
    assert!(
        !events.iter().any(|e| e["event_type"]
            .as_str()
            .unwrap()
            .contains("Should_Not_Arrive")),
        "nothing from the bad key"
    );
    assert_no_credential_stored(&events, &tenant.key);
}

#[tokio::test]
async fn the_python_sdks_deliver_events_with_their_ids_and_times() {
    if !sdks_installed(Sdks::Python) {
        return;
    }
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme").await;
    let run = "5151";
    let reported = run_script("python_sdks.py", &[&app.address, &tenant.key, BAD_KEY, run]).await;

    assert_only_the_bad_key_was_refused(&reported);

    let events = app.all_events(&tenant.key, "").await;
    assert_eq!(events.len(), 3, "{events:#?}");
    for gzip in ["False", "True"] {
        let paid = events
            .iter()
            .find(|e| e["event_id"] == format!("python-segment-{run}-{gzip}"))
            .unwrap_or_else(|| panic!("the {gzip} gzip message among {events:#?}"));
        assert_eq!(paid["event_type"], "Invoice_Paid");
        assert_eq!(paid["metadata"]["properties"]["amount"], 99.5);
        assert_eq!(paid["metadata"]["userId"], format!("py-user-{run}"));
    }
    let exported = find(&events, "report_exported");
    assert_eq!(
        exported["metadata"]["distinct_id"],
        format!("py-user-{run}")
    );
    assert_eq!(exported["metadata"]["properties"]["rows"], 1200);
    assert_eq!(
        exported["event_id"],
        format!("0194{run}-0000-7000-8000-000000000002")
    );
    // Dated an hour back by an accurate clock: the correction keeps them there.
    for event in &events {
        assert!((3590.0..3610.0).contains(&age(event)), "{event}");
    }
    assert_no_credential_stored(&events, &tenant.key);
}

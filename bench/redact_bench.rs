//! The privacy steps' own cost per event, in process (run by `bench/privacy.sh`, or
//! `cargo run --release --example redact-bench -- --events 200000`), beside what every event
//! costs anyway: parsing its JSON from the request bytes.
//!
//! The events are `bench/schemas.lua`'s (20 properties). For each scenario of `privacy.sh`
//! (5 rules; the four detectors; 100 suppressions that none of the events match) it times the
//! step alone over the same events, in interleaved rounds, and prints one Markdown table:
//! nanoseconds per event (median of the rounds), and the ratio to the JSON parse.

use std::time::Instant;

use serde_json::{Map, Value, json};
use tributary::privacy::redact::Redactor;
use tributary::privacy::subject::Subject;
use tributary::privacy::suppressions::{Suppression, Suppressions};
use tributary::privacy::{Action, Detector, DetectorRule, Policy, Rule};
use tributary::tenants::TenantId;
use uuid::Uuid;

const ROUNDS: usize = 5;

fn event(n: u64) -> String {
    let words = ["alpha", "beta", "gamma", "delta", "omega", "sigma"];
    let plans = ["free", "pro", "team"];
    let w = |i: u64| words[(i % 6) as usize];
    json!({
        "event_type": "checkout",
        "metadata": {
            "p01": w(n), "p02": format!("{}-{n}", w(n + 1)), "p03": format!("user-{}", n * 7),
            "p04": w(n + 3), "p05": format!("/p/{}", n % 97), "p06": n % 1000, "p07": n % 13,
            "p08": n % 17, "p09": n * 3, "p10": n % 5, "p11": n.is_multiple_of(2), "p12": n.is_multiple_of(3),
            "p13": n.is_multiple_of(5), "p14": plans[(n % 3) as usize], "p15": "desktop", "p16": "eu",
            "p17": (n % 500) as f64 + 0.5, "p18": {"id": format!("o-{n}")},
            "p19": [w(n), w(n + 2)], "p20": format!("{}-{n}", w(n + 4)),
        }
    })
    .to_string()
}

fn rule(path: &str, action: Action) -> Rule {
    Rule {
        path: path.to_owned(),
        action,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut events: u64 = 200_000;
    while let Some(arg) = args.next() {
        if arg == "--events" {
            events = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--events N");
        }
    }
    let bodies: Vec<String> = (0..events).map(event).collect();
    let parsed: Vec<Map<String, Value>> = bodies
        .iter()
        .map(|body| {
            let value: Value = serde_json::from_str(body).expect("JSON");
            value["metadata"].as_object().expect("metadata").clone()
        })
        .collect();

    let rules5 = Redactor::new(
        &Policy {
            rules: vec![
                rule("p03", Action::Hash),
                rule("p02", Action::Mask),
                rule("p18.id", Action::Hash),
                rule("p19", Action::Drop),
                rule("p14", Action::Mask),
            ],
            detectors: Vec::new(),
        },
        b"bench-tenant-key-0123456789abcdef".to_vec(),
    );
    let detectors = Redactor::new(
        &Policy {
            rules: Vec::new(),
            detectors: [
                Detector::Email,
                Detector::Iban,
                Detector::Card,
                Detector::Phone,
            ]
            .into_iter()
            .map(|detector| DetectorRule {
                detector,
                action: Action::Mask,
            })
            .collect(),
        },
        b"bench-tenant-key-0123456789abcdef".to_vec(),
    );
    let suppressions = Suppressions::new(
        (0..100)
            .map(|n| Suppression {
                id: Uuid::now_v7(),
                tenant_id: TenantId(Uuid::nil()),
                subject: Subject::parse(
                    "match",
                    json!({"meta.p03": format!("nobody-{n}")})
                        .as_object()
                        .expect("an object"),
                )
                .expect("a subject"),
                reason: None,
                dropped: 0,
                last_dropped_at: None,
                created_at: chrono::Utc::now(),
            })
            .collect(),
    );

    let per_event = |start: Instant| start.elapsed().as_nanos() as f64 / events as f64;
    let (mut parse, mut rules, mut detect, mut suppress) = (vec![], vec![], vec![], vec![]);
    let mut sink = 0usize;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for body in &bodies {
            let value: Value = serde_json::from_str(body).expect("JSON");
            sink += value.as_object().map_or(0, Map::len);
        }
        parse.push(per_event(start));

        let mut copies = parsed.clone();
        let start = Instant::now();
        for metadata in &mut copies {
            rules5.redact(metadata);
        }
        rules.push(per_event(start));
        sink += copies.iter().map(Map::len).sum::<usize>();

        let mut copies = parsed.clone();
        let start = Instant::now();
        for metadata in &mut copies {
            detectors.redact(metadata);
        }
        detect.push(per_event(start));

        let start = Instant::now();
        for metadata in &parsed {
            sink += usize::from(suppressions.hit(metadata).is_some());
        }
        suppress.push(per_event(start));
    }
    let parse = median(parse);
    println!(
        "In process, per event (median of {ROUNDS} rounds over {events} events; checksum {sink}):"
    );
    println!();
    println!("| step | ns/event | vs parsing the event's JSON |");
    println!("|---|---:|---:|");
    println!("| parse the event's JSON (every event pays it) | {parse:.0} | 1.00 |");
    for (name, values) in [
        ("rules5: the 5 rules", rules),
        ("detectors: the four, over every string", detect),
        ("suppressed: 100 suppressions checked", suppress),
    ] {
        let value = median(values);
        println!("| {name} | {value:.0} | {:.2} |", value / parse);
    }
}

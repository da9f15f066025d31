//! The SAM template, the Lambda binaries, the sample events and the route table must agree:
//! a function missing from any of them would deploy broken or not at all.
use shared::functions::{FUNCTIONS, ROUTES};

fn read(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + path)
        .unwrap_or_default()
}

#[test]
fn every_function_has_a_binary_a_template_resource_and_a_sample_event() {
    let template = read("template.yaml");
    assert!(!template.is_empty(), "template.yaml is missing");
    let bins: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/functions/src/bin"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .trim_end_matches(".rs")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
    for f in FUNCTIONS {
        assert!(
            bins.contains(&f.name.to_string()),
            "no functions/src/bin/{}.rs",
            f.name
        );
        assert!(
            template.contains(&format!("Binary: {}\n", f.name)),
            "template.yaml has no Binary: {}",
            f.name
        );
        assert!(
            !read(&format!("events/{}.json", f.name)).is_empty(),
            "no events/{}.json",
            f.name
        );
    }
    for b in &bins {
        assert!(
            FUNCTIONS.iter().any(|f| f.name == b),
            "binary {b} is not in shared::functions::FUNCTIONS"
        );
    }
}

#[test]
fn every_route_is_in_the_template() {
    let template = read("template.yaml");
    let lines: Vec<&str> = template.lines().map(str::trim).collect();
    for r in ROUTES {
        let found = lines.windows(2).any(|w| {
            w[0] == format!("Method: {}", r.method) && w[1] == format!("Path: {}", r.path)
        });
        assert!(found, "template.yaml lacks {} {}", r.method, r.path);
    }
}

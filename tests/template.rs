//! The SAM template, the Lambda binaries, the sample events and the function list must agree:
//! a function missing from any of them would deploy broken or not at all. The template is read
//! as YAML (CloudFormation's `!Ref`/`!Sub` tags are dropped by the parser, their value kept).
use shared::functions::ALL;
use shared::runtime::function::Trigger;
use std::collections::BTreeSet;
use yaml_rust2::{Yaml, YamlLoader};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn read(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
}

fn template() -> Result<Yaml, Box<dyn std::error::Error>> {
    let docs = YamlLoader::load_from_str(&read("template.yaml")?)?;
    docs.into_iter()
        .next()
        .ok_or_else(|| "template.yaml is empty".into())
}

fn keys(y: &Yaml) -> BTreeSet<String> {
    y.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every `AWS::Serverless::Function` resource as (logical id, its Binary, the resource).
fn function_resources(t: &Yaml) -> Vec<(String, String, Yaml)> {
    let mut out = Vec::new();
    if let Some(resources) = t["Resources"].as_hash() {
        for (id, r) in resources {
            if r["Type"].as_str() == Some("AWS::Serverless::Function") {
                let binary = r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                out.push((
                    id.as_str().unwrap_or_default().to_string(),
                    binary,
                    r.clone(),
                ));
            }
        }
    }
    out
}

#[test]
fn every_function_has_one_template_resource_and_every_resource_a_function() -> TestResult {
    let t = template()?;
    let resources = function_resources(&t);
    for f in ALL {
        let n = resources.iter().filter(|(_, b, _)| b == f.name).count();
        assert_eq!(
            n, 1,
            "template.yaml has {n} resources with Binary: {}",
            f.name
        );
    }
    for (id, binary, r) in &resources {
        assert!(
            shared::functions::find(binary).is_some(),
            "{id} builds {binary:?}, which is not in shared::functions::ALL"
        );
        assert_eq!(
            r["Properties"]["CodeUri"].as_str(),
            Some("./functions"),
            "{id}: cargo-lambda must run in the package that has the bins"
        );
        assert_eq!(
            r["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
    }
    Ok(())
}

#[test]
fn every_function_gets_the_variables_it_needs_and_no_others() -> TestResult {
    let t = template()?;
    let globals = keys(&t["Globals"]["Function"]["Environment"]["Variables"]);
    for (id, binary, r) in function_resources(&t) {
        let Some(f) = shared::functions::find(&binary) else {
            continue;
        };
        let own = keys(&r["Properties"]["Environment"]["Variables"]);
        for v in f.required_env() {
            assert!(
                own.contains(v) || globals.contains(v),
                "{id} ({binary}) lacks {v}, which it needs to start"
            );
        }
        let reads = f.all_env();
        for v in &own {
            assert!(
                reads.contains(&v.as_str()),
                "{id} ({binary}) is given {v}, which it never reads"
            );
        }
    }
    Ok(())
}

#[test]
fn secrets_come_from_secrets_manager_not_parameters() -> TestResult {
    let t = template()?;
    let secret_vars = [
        "DATABASE_URL",
        "MIGRATION_DATABASE_URL",
        "SUPABASE_JWT_SECRET",
        "RAZORPAY_KEY_SECRET",
        "RAZORPAY_WEBHOOK_SECRET",
        "WHATSAPP_TOKEN",
        "GOOGLE_SERVICE_ACCOUNT_KEY",
    ];
    let mut seen = 0;
    let mut check = |scope: &str, vars: &Yaml| {
        for v in secret_vars {
            if !vars[v].is_badvalue() {
                seen += 1;
                let value = vars[v].as_str().unwrap_or_default();
                assert!(
                    value.starts_with("{{resolve:secretsmanager:")
                        || value.starts_with("{{resolve:ssm"),
                    "{scope}: {v} must be a dynamic reference, not {value:?}"
                );
            }
        }
    };
    check(
        "Globals",
        &t["Globals"]["Function"]["Environment"]["Variables"],
    );
    for (id, _, r) in function_resources(&t) {
        check(&id, &r["Properties"]["Environment"]["Variables"]);
    }
    assert!(
        seen >= secret_vars.len(),
        "only {seen} secret variables found"
    );
    if let Some(params) = t["Parameters"].as_hash() {
        for (name, p) in params {
            assert!(
                p["NoEcho"].as_bool() != Some(true),
                "{name:?}: a secret as a template parameter; use the secret instead"
            );
        }
    }
    Ok(())
}

#[test]
fn triggers_in_the_template_match_the_definitions() -> TestResult {
    let t = template()?;
    for (id, binary, r) in function_resources(&t) {
        let Some(f) = shared::functions::find(&binary) else {
            continue;
        };
        let events: Vec<&Yaml> = r["Properties"]["Events"]
            .as_hash()
            .map(|h| h.values().collect())
            .unwrap_or_default();
        let of_type = |ty: &str| -> Vec<&Yaml> {
            events
                .iter()
                .copied()
                .filter(|e| e["Type"].as_str() == Some(ty))
                .collect()
        };
        match f.trigger {
            Trigger::Http { routes, .. } => {
                let in_template: BTreeSet<(String, String)> = of_type("HttpApi")
                    .iter()
                    .map(|e| {
                        let p = &e["Properties"];
                        (
                            p["Method"].as_str().unwrap_or_default().to_string(),
                            p["Path"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                let defined: BTreeSet<(String, String)> = routes
                    .iter()
                    .map(|r| (r.method.to_string(), r.path.to_string()))
                    .collect();
                assert_eq!(in_template, defined, "{id}: HttpApi routes differ");
                assert_eq!(events.len(), routes.len(), "{id}: other events than routes");
            }
            Trigger::Schedule {
                expression,
                timezone,
                input,
                ..
            } => {
                let schedules: Vec<&Yaml> = of_type("Schedule")
                    .into_iter()
                    .chain(of_type("ScheduleV2"))
                    .collect();
                assert_eq!(schedules.len(), 1, "{id}: one schedule expected");
                let p = &schedules[0]["Properties"];
                let expr = p["Schedule"]
                    .as_str()
                    .or_else(|| p["ScheduleExpression"].as_str());
                assert_eq!(expr, Some(expression), "{id}: schedule differs");
                // A zone needs EventBridge Scheduler; the classic rule runs in UTC only.
                match timezone {
                    Some(zone) => {
                        assert_eq!(schedules[0]["Type"].as_str(), Some("ScheduleV2"), "{id}");
                        assert_eq!(
                            p["ScheduleExpressionTimezone"].as_str(),
                            Some(zone),
                            "{id}: schedule zone differs"
                        );
                    }
                    None => assert!(
                        p["ScheduleExpressionTimezone"].is_badvalue(),
                        "{id}: a zone the definition does not have"
                    ),
                }
                let given: serde_json::Value =
                    serde_json::from_str(p["Input"].as_str().unwrap_or("null"))?;
                let want: serde_json::Value = serde_json::from_str(input)?;
                assert_eq!(given, want, "{id}: schedule input differs");
            }
            Trigger::Queue { queue, .. } => {
                let sqs = of_type("SQS");
                assert_eq!(sqs.len(), 1, "{id}: one SQS event expected");
                let q = sqs[0]["Properties"]["Queue"].as_str().unwrap_or_default();
                assert_eq!(q, format!("{queue}.Arn"), "{id}: consumes another queue");
                assert!(
                    !t["Resources"][queue].is_badvalue(),
                    "{id}: queue {queue} is not in the template"
                );
            }
            Trigger::Manual { .. } => {
                assert!(events.is_empty(), "{id}: a manual function has no events");
            }
        }
    }
    Ok(())
}

#[test]
fn every_function_has_a_binary_that_runs_its_own_definition_and_a_sample_event() -> TestResult {
    let dir = format!("{}/functions/src/bin", env!("CARGO_MANIFEST_DIR"));
    let mut bins = BTreeSet::new();
    for e in std::fs::read_dir(dir)? {
        let name = e?
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        bins.insert(name);
    }
    for f in ALL {
        assert!(bins.contains(f.name), "no functions/src/bin/{}.rs", f.name);
        assert!(
            read(&format!("events/{}.json", f.name)).is_ok(),
            "no events/{}.json",
            f.name
        );
        let src = read(&format!("functions/src/bin/{}.rs", f.name))?;
        assert!(
            !src.contains("functions::ALL") && !src.contains("functions::find"),
            "{}: a binary hands over its own definition, never a lookup",
            f.name
        );
        let runner = if f.is_http() {
            "run_http(&"
        } else {
            "run_event(&"
        };
        assert!(
            src.contains(&format!("shared::runtime::lambda::{runner}")),
            "{}: must start with shared::runtime::lambda::{runner}…) for its trigger",
            f.name
        );
    }
    for b in &bins {
        assert!(
            shared::functions::find(b).is_some(),
            "binary {b} is not in shared::functions::ALL"
        );
    }
    Ok(())
}

#[test]
fn public_routes_are_throttled_and_ses_may_send_only_as_its_identity() -> TestResult {
    let t = template()?;
    let api = &t["Resources"]["Api"]["Properties"];
    let limits = |settings: &Yaml| {
        (
            settings["ThrottlingBurstLimit"].as_i64(),
            settings["ThrottlingRateLimit"]
                .as_f64()
                .or(settings["ThrottlingRateLimit"].as_i64().map(|v| v as f64)),
        )
    };
    let (burst, rate) = limits(&api["DefaultRouteSettings"]);
    assert!(
        burst.is_some() && rate.is_some(),
        "every route has a default throttle"
    );
    // A route is public when its function does not check a token.
    let mut public = 0;
    for f in ALL {
        if f.needs
            .iter()
            .any(|n| n.name == shared::runtime::needs::JWT.name)
        {
            continue;
        }
        for r in f.routes() {
            public += 1;
            let key = format!("{} {}", r.method, r.path);
            let (burst, rate) = limits(&api["RouteSettings"][key.as_str()]);
            let (Some(burst), Some(rate)) = (burst, rate) else {
                panic!("public route {key} has no RouteSettings throttle");
            };
            assert!(burst <= 100 && rate <= 50.0, "{key} is throttled loosely");
        }
    }
    assert!(public >= 2, "the webhook and the retry link are public");

    for (id, _, r) in function_resources(&t) {
        let policies = r["Properties"]["Policies"]
            .as_vec()
            .cloned()
            .unwrap_or_default();
        for p in policies {
            for statement in p["Statement"].as_vec().cloned().unwrap_or_default() {
                let actions = format!("{:?}", statement["Action"]);
                if actions.contains("ses:") {
                    let resource = statement["Resource"].as_str().unwrap_or_default();
                    assert!(
                        resource.contains(":identity/${SesIdentity}"),
                        "{id}: SES may send only as the configured identity, not {resource:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn each_queue_hides_a_message_for_at_least_six_times_its_consumers_timeout() -> TestResult {
    let t = template()?;
    let default_timeout = t["Globals"]["Function"]["Timeout"].as_i64().unwrap_or(3);
    let mut checked = 0;
    for (id, binary, r) in function_resources(&t) {
        let Some(f) = shared::functions::find(&binary) else {
            continue;
        };
        let Trigger::Queue { queue, .. } = f.trigger else {
            continue;
        };
        let timeout = r["Properties"]["Timeout"]
            .as_i64()
            .unwrap_or(default_timeout);
        let visibility = t["Resources"][queue]["Properties"]["VisibilityTimeout"]
            .as_i64()
            .unwrap_or(30);
        assert!(
            visibility >= 6 * timeout,
            "{id}: {queue} VisibilityTimeout {visibility} < 6 x Timeout {timeout}"
        );
        checked += 1;
    }
    assert!(checked >= 1);
    Ok(())
}

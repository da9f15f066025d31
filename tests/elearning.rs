//! E-learning content over HTTP against a real database: the bulk import (CSV and JSON, all-or-
//! nothing validation with every bad row named, idempotent re-import, dry runs, places held by
//! other videos, the row limit), the coverage report against the plan, and the apps' list that
//! never shows drafts.
use crate::support;

use serde_json::{json, Value};
use support::{TestApp, TestResult};
use uuid::Uuid;

type E = Box<dyn std::error::Error + Send + Sync>;

const TOPICS: [(&str, &str); 8] = [
    ("foundation", "letter_sounds"),
    ("foundation", "blending"),
    ("foundation", "cvc_words"),
    ("building", "digraphs"),
    ("building", "long_vowels"),
    ("building", "fluency"),
    ("mastery", "advanced_phonics"),
    ("mastery", "comprehension"),
];

/// `n` rows spread over the 8 topics, positions from 1; every third published.
fn csv(n: usize, edit: impl Fn(usize, &mut Vec<String>)) -> String {
    let mut out =
        String::from("stage,topic,position,title,youtube,durationSeconds,quizId,status\n");
    for i in 0..n {
        let (stage, topic) = TOPICS[i % 8];
        let mut cells: Vec<String> = vec![
            stage.into(),
            topic.into(),
            (i / 8 + 1).to_string(),
            format!("Video {i}"),
            format!("https://youtu.be/v{i:010}"),
            format!("{}:{:02}", 2 + i % 5, i % 60),
            String::new(),
            if i % 3 == 0 { "published" } else { "draft" }.into(),
        ];
        edit(i, &mut cells);
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// (row, field) of each error of a refused import.
fn error_cells(answer: &Value) -> Vec<(u64, String)> {
    answer["details"]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

async fn import_csv(app: &TestApp, body: String, query: &str) -> Result<(u16, Value), E> {
    let r = app
        .http
        .post(format!("{}/admin/elearning/modules{query}", app.base))
        .bearer_auth(app.admin_token())
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await?))
}

async fn import_json(app: &TestApp, body: &Value) -> Result<(u16, Value), E> {
    let r = app
        .http
        .post(format!("{}/admin/elearning/modules", app.base))
        .bearer_auth(app.admin_token())
        .json(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await?))
}

/// Rows are named as the spreadsheet shows them, however the file was saved: a bad row 3 and a
/// video repeated in rows 7 and 12 (after a title with a line break in it and a blank line).
#[tokio::test]
async fn rows_are_the_sheets_rows_with_crlf_a_bom_and_line_breaks_in_cells() -> TestResult {
    let app = TestApp::spawn().await?;
    let rows = [
        "stage,topic,position,title,youtube,durationSeconds,quizId,status",
        "foundation,blending,1,Good,https://youtu.be/vgood000001,3:00,,draft",
        "foundation,blending,2,Bad,https://www.youtube.com/playlist?list=PLabc,3:00,,draft",
        "foundation,blending,3,\"Two{break}lines\",https://youtu.be/vtwolines01,3:00,,draft",
        "foundation,blending,4,Four,https://youtu.be/vfour000001,3:00,,draft",
        "",
        "foundation,blending,6,Seven,https://youtu.be/vrepeated01,3:00,,draft",
        "foundation,blending,7,Eight,https://youtu.be/veight00001,3:00,,draft",
        "foundation,blending,8,Nine,https://youtu.be/vnine000001,3:00,,draft",
        "foundation,blending,9,Ten,https://youtu.be/vten0000001,3:00,,draft",
        "foundation,blending,10,Eleven,https://youtu.be/veleven0001,3:00,,draft",
        "foundation,blending,11,Twelve,https://youtu.be/vrepeated01,3:00,,draft",
    ];
    for (name, sheet) in support::sheet_variants(&rows) {
        let (status, answer) = import_csv(&app, sheet, "?dryRun=true").await?;
        assert_eq!(status, 400, "{name}: {answer}");
        assert_eq!(
            error_cells(&answer),
            vec![(3, "youtube".into()), (12, "youtube".into())],
            "{name}: {answer}"
        );
        assert_eq!(
            answer["details"]["errors"][1]["message"], "the same video as row 7",
            "{name}"
        );
        // Without the two bad rows the same sheet passes (a dry run: nothing is written).
        let good: Vec<&str> = rows
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2 && *i != 11)
            .map(|(_, r)| *r)
            .collect();
        let sheet = support::sheet_variants(&good)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
            .ok_or("variant")?;
        let (status, answer) = import_csv(&app, sheet, "?dryRun=true").await?;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["created"], 8, "{name}: {answer}");
    }
    Ok(())
}

#[tokio::test]
async fn a_2000_row_sheet_is_all_or_nothing_and_re_imports_change_nothing() -> TestResult {
    let app = TestApp::spawn().await?;
    // Three bad rows (spreadsheet rows 11, 501 and 2001): a playlist, a bad duration, a bad stage.
    let bad = csv(2000, |i, c| match i {
        9 => c[4] = "https://www.youtube.com/playlist?list=PLabc".into(),
        499 => c[5] = "ten minutes".into(),
        1999 => c[0] = "expert".into(),
        _ => {}
    });
    let (status, answer) = import_csv(&app, bad, "").await?;
    assert_eq!(status, 400, "{answer}");
    let cells = error_cells(&answer);
    assert_eq!(
        cells,
        vec![
            (11, "youtube".into()),
            (501, "durationSeconds".into()),
            (2001, "stage".into())
        ]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM elearning_modules").await?,
        0
    );

    let good = csv(2000, |_, _| {});
    let (status, dry) = import_csv(&app, good.clone(), "?dryRun=true").await?;
    assert_eq!(
        (status, dry["created"].clone(), dry["dryRun"].clone()),
        (200, json!(2000), json!(true))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM elearning_modules").await?,
        0
    );
    let (status, first) = import_csv(&app, good.clone(), "").await?;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (
            first["created"].clone(),
            first["updated"].clone(),
            first["unchanged"].clone()
        ),
        (json!(2000), json!(0), json!(0))
    );
    let (_, again) = import_csv(&app, good, "").await?;
    assert_eq!(
        (
            again["created"].clone(),
            again["updated"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(2000))
    );
    let edited = csv(2000, |i, c| {
        if i == 42 {
            c[3] = "Video 42, re-cut".into();
            c[3] = format!("\"{}\"", c[3]);
        }
    });
    let (_, once) = import_csv(&app, edited, "").await?;
    assert_eq!(
        (
            once["created"].clone(),
            once["updated"].clone(),
            once["unchanged"].clone()
        ),
        (json!(0), json!(1), json!(1999))
    );
    let title: String = app
        .db()
        .await?
        .query_one(
            "SELECT title FROM elearning_modules WHERE youtube_video_id = 'v0000000042'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(title, "Video 42, re-cut");
    // 2,001 rows: too many.
    let (status, answer) = import_csv(&app, csv(2001, |_, _| {}), "").await?;
    assert_eq!(
        (status, answer["code"].clone()),
        (413, json!("payload_too_large"))
    );
    Ok(())
}

#[tokio::test]
async fn json_rows_are_named_by_index_and_held_places_are_refused() -> TestResult {
    let app = TestApp::spawn().await?;
    let module = |topic: &str, position: i64, youtube: &str| json!({"stage": "Foundation", "topic": topic, "position": position, "title": "T", "youtube": youtube, "durationSeconds": 120});
    let (status, answer) = import_json(
        &app,
        &json!({"modules": [
            module("Letter sounds", 1, "https://www.youtube.com/watch?v=aaaaaaaaaa1&list=PLx"),
            module("blending", 1, "https://www.youtube.com/@yestoryd"),
            module("letter_sounds", 1, "aaaaaaaaaa3"),
        ]}),
    )
    .await?;
    assert_eq!(status, 400);
    let cells = error_cells(&answer);
    assert_eq!(cells, vec![(2, "youtube".into()), (3, "position".into())]);
    // A body the rows cannot be read from names the entry and its field.
    let mut typo = module("blending", 2, "aaaaaaaaaa4");
    typo["youtubeUrl"] = json!("aaaaaaaaaa5");
    for (body, field) in [
        (
            json!({"modules": [module("blending", 1, "aaaaaaaaaa4"), typo]}),
            "modules[1].youtubeUrl",
        ),
        (
            json!({"modules": [{"stage": ["foundation"]}]}),
            "modules[0].stage",
        ),
        (json!({"modules": "all of them"}), "modules"),
        (json!({"modules": [], "dryRun": "yes"}), "dryRun"),
    ] {
        let (status, answer) = import_json(&app, &body).await?;
        assert_eq!(status, 400, "{body}");
        let fields: Vec<String> = answer["details"]["fields"]
            .as_object()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(fields, vec![field.to_string()], "{body}: {answer}");
    }
    let (status, answer) = import_json(&app, &json!({"modules": [module("Letter sounds", 1, "https://www.youtube.com/watch?v=aaaaaaaaaa1&list=PLx")]})).await?;
    assert_eq!((status, answer["created"].clone()), (200, json!(1)));
    let stored: String = app
        .db()
        .await?
        .query_one("SELECT youtube_video_id FROM elearning_modules", &[])
        .await?
        .get(0);
    assert_eq!(stored, "aaaaaaaaaa1");
    // Another video in the same place → 400 naming it; once the first is retired, the place is free.
    let (status, answer) = import_json(
        &app,
        &json!({"modules": [module("letter_sounds", 1, "bbbbbbbbbb1")]}),
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        answer["details"]["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("aaaaaaaaaa1")),
        "{answer}"
    );
    let mut retired = module("letter_sounds", 1, "aaaaaaaaaa1");
    retired["status"] = json!("retired");
    let (status, answer) = import_json(
        &app,
        &json!({"modules": [retired, module("letter_sounds", 1, "bbbbbbbbbb1")]}),
    )
    .await?;
    assert_eq!(
        (status, answer["updated"].clone(), answer["created"].clone()),
        (200, json!(1), json!(1)),
        "{answer}"
    );
    // Unknown fields, a topic outside the plan, non-admins.
    let (status, _) = import_json(&app, &json!({"modules": [], "extra": 1})).await?;
    assert_eq!(status, 400);
    let (status, answer) = import_json(
        &app,
        &json!({"modules": [module("phonics", 2, "ccccccccccc")]}),
    )
    .await?;
    assert_eq!(
        (status, answer["details"]["errors"][0]["field"].clone()),
        (400, json!("topic"))
    );
    let r = app
        .http
        .post(format!("{}/admin/elearning/modules", app.base))
        .bearer_auth(app.parent_token(Uuid::new_v4()))
        .json(&json!({"modules": []}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 403);
    Ok(())
}

#[tokio::test]
async fn coverage_matches_a_hand_count_and_the_apps_never_see_drafts() -> TestResult {
    let app = TestApp::spawn().await?;
    // letter_sounds: 4 published (120 s each), 1 draft; blending: 2 published (90 s), 1 retired;
    // comprehension: 1 draft.
    let mut modules = Vec::new();
    for i in 0..4 {
        modules.push(json!({"stage": "foundation", "topic": "letter_sounds", "position": i + 1, "title": format!("L{i}"), "youtube": format!("ls{i:09}"), "durationSeconds": 120, "status": "published"}));
    }
    modules.push(json!({"stage": "foundation", "topic": "letter_sounds", "position": 9, "title": "Draft", "youtube": "lsdraft0001", "durationSeconds": 60}));
    for i in 0..2 {
        modules.push(json!({"stage": "4-6", "topic": "Blending", "position": i + 1, "title": format!("B{i}"), "youtube": format!("bl{i:09}"), "durationSeconds": "1:30", "status": "published"}));
    }
    modules.push(json!({"stage": "foundation", "topic": "blending", "position": 1, "title": "Old", "youtube": "blretired01", "durationSeconds": 500, "status": "retired"}));
    modules.push(json!({"stage": "mastery", "topic": "comprehension", "position": 1, "title": "Draft", "youtube": "cmdraft0001", "durationSeconds": 60}));
    let (status, answer) = import_json(&app, &json!({"modules": modules})).await?;
    assert_eq!(status, 200, "{answer}");

    let r = app
        .http
        .get(format!("{}/admin/elearning/coverage", app.base))
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    let c: Value = r.json().await?;
    let f = &c["stages"][0];
    assert_eq!(f["stage"], "foundation");
    assert_eq!(f["ages"], "4-6");
    assert_eq!(
        (f["published"].clone(), f["draft"].clone()),
        (json!(6), json!(1))
    );
    assert_eq!(f["target"], json!({"min": 159, "max": 393}));
    assert_eq!(f["percentOfMin"], json!(3.8));
    assert_eq!(f["minutesPublished"], 11, "4 × 120 s + 2 × 90 s = 660 s");
    assert_eq!(
        f["topics"][0],
        json!({"topic": "blending", "published": 2, "draft": 0, "targetMin": 53, "targetMax": 131, "gap": 51})
    );
    assert_eq!(c["stages"][2]["target"], json!({"min": 160, "max": 394}));
    assert_eq!(c["stages"][2]["draft"], 1);
    assert_eq!(
        c["total"],
        json!({"published": 6, "draft": 2, "minutesPublished": 11})
    );
    let csv = app
        .http
        .get(format!("{}/admin/elearning/coverage?format=csv", app.base))
        .bearer_auth(app.admin_token())
        .send()
        .await?
        .text()
        .await?;
    assert!(
        csv.starts_with("stage,topic,published,draft,targetMin,targetMax,gap\n"),
        "{csv}"
    );
    assert!(
        csv.contains("foundation,letter_sounds,4,1,53,131,49\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 9);

    let list = |q: &str| {
        let http = app.http.clone();
        let url = format!("{}/elearning/modules{q}", app.base);
        let token = app.parent_token(Uuid::new_v4());
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await?
                .json::<Value>()
                .await
        }
    };
    let all = list("").await?;
    let titles: Vec<&str> = all["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["B0", "B1", "L0", "L1", "L2", "L3"],
        "published only, in order"
    );
    let one = list("?stage=4-6&topic=letter_sounds").await?;
    assert_eq!(one["modules"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        app.http
            .get(format!("{}/elearning/modules", app.base))
            .send()
            .await?
            .status()
            .as_u16(),
        401
    );
    Ok(())
}

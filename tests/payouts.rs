//! Coach payouts over HTTP against a real database: reconcile (validation, order of answers,
//! retries, races on one payout and on one UTR), the PDF receipt (parsed back, same bytes every
//! time, only for its coach), the list, and bank statement matching on a 500-line file.
use crate::support;

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use support::{TestApp, TestResult, JWT_SECRET};
use tokio_postgres::Client;
use uuid::Uuid;

type E = Box<dyn std::error::Error + Send + Sync>;

async fn coach(db: &Client, name: &str, email: &str) -> Result<Uuid, E> {
    Ok(db
        .query_one(
            "INSERT INTO coaches (name, email) VALUES ($1, $2) RETURNING id",
            &[&name, &email],
        )
        .await?
        .get(0))
}

async fn payout(db: &Client, coach: Uuid, amount: i64, period_end: NaiveDate) -> Result<Uuid, E> {
    Ok(db
        .query_one(
            "INSERT INTO coach_payouts (coach_id, amount, period_start, period_end, status, created_at)
             VALUES ($1, $2, $3::date - 30, $3, 'approved', NOW() - INTERVAL '20 days') RETURNING id",
            &[&coach, &amount, &period_end],
        )
        .await?
        .get(0))
}

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&shared::common::ist::IST)
        .date_naive()
}

async fn reconcile(app: &TestApp, id: Uuid, body: &Value) -> Result<(u16, Value), E> {
    let r = app
        .http
        .post(format!("{}/admin/payouts/{id}/reconcile", app.base))
        .bearer_auth(app.admin_token())
        .json(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await?))
}

fn body(utr: &str) -> Value {
    json!({"utrNumber": utr, "transferDate": (today() - Duration::days(1)).to_string()})
}

fn code(r: &(u16, Value)) -> (u16, String) {
    (r.0, r.1["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn reconcile_validates_then_answers_in_order_and_a_retry_is_safe() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asha Rao", "asha@example.com").await?;
    let p = payout(&db, c, 1_200_000, today() - Duration::days(10)).await?;

    // Unknown payout first, whatever the body.
    assert_eq!(
        reconcile(&app, Uuid::new_v4(), &json!({"x": 1})).await?.0,
        404
    );
    for (bad, field) in [
        (
            json!({"utrNumber": "HDFC N52022112512", "transferDate": today().to_string()}),
            "utrNumber",
        ),
        (
            json!({"utrNumber": "12345678901", "transferDate": today().to_string()}),
            "utrNumber",
        ),
        (
            json!({"utrNumber": "123456789012", "transferDate": (today() + Duration::days(1)).to_string()}),
            "transferDate",
        ),
        (
            json!({"utrNumber": "123456789012", "transferDate": (today() - Duration::days(40)).to_string()}),
            "transferDate",
        ),
        (
            json!({"utrNumber": "123456789012", "transferDate": "24/11/2026"}),
            "transferDate",
        ),
        (
            json!({"utrNumber": "123456789012", "transferDate": today().to_string(), "proofUrl": "http://x.example/p.pdf"}),
            "proofUrl",
        ),
        (json!({"utrNumber": "123456789012"}), "transferDate"),
    ] {
        let (status, answer) = reconcile(&app, p, &bad).await?;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            answer["details"]["fields"][field].is_string(),
            "{bad}: {answer}"
        );
    }
    let (status, answer) = reconcile(&app, p, &json!({"utrNumber": "hdfcn52026112401", "transferDate": today().to_string(), "amount": 1_200_001})).await?;
    assert_eq!(
        (status, answer["code"].clone()),
        (409, json!("amount_mismatch"))
    );

    let mut ok = body(" hdfcn52026112401 ");
    ok["proofUrl"] = json!("https://drive.example.com/proof.pdf");
    ok["amount"] = json!(1_200_000);
    let first = reconcile(&app, p, &ok).await?;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first.1["payout"]["bankUtrNumber"], "HDFCN52026112401");
    assert_eq!(first.1["payout"]["bankTransferStatus"], "completed");
    let number = first.1["receiptNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let year = Utc::now()
        .with_timezone(&shared::common::ist::IST)
        .format("%Y")
        .to_string();
    assert!(
        number.starts_with(&format!("YT-PO-{year}-")) && number.len() == 17,
        "{number}"
    );
    assert_eq!(first.1["receiptUrl"], format!("/coach/payouts/{p}/receipt"));
    // The same call again (or with another date): the stored answer, nothing done twice.
    let mut retry = body("HDFCN52026112401");
    retry["transferDate"] = json!(today().to_string());
    let again = reconcile(&app, p, &retry).await?;
    assert_eq!(again, first);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE payload->>'template' = 'payout_receipt'")
            .await?,
        1
    );
    assert_eq!(
        code(&reconcile(&app, p, &body("123456789012")).await?),
        (409, "already_reconciled".into())
    );
    // The UTR is now taken for any other payout.
    let other = payout(&db, c, 500_000, today() - Duration::days(10)).await?;
    assert_eq!(
        code(&reconcile(&app, other, &body("hdfcn52026112401")).await?),
        (409, "utr_in_use".into())
    );
    let message = app.queue_messages(1).await?;
    assert_eq!(
        message.first().map(|m| m["template"].clone()),
        Some(json!("payout_receipt"))
    );
    assert_eq!(message[0]["recipient"], json!({"coachId": c}));
    Ok(())
}

#[tokio::test]
async fn races_on_one_payout_and_on_one_utr_have_one_winner() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asha Rao", "asha@example.com").await?;
    let one = payout(&db, c, 1_000_000, today() - Duration::days(10)).await?;
    let run = |requests: Vec<(Uuid, Value)>| {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(id, b)| {
                let http = app.http.clone();
                let url = format!("{}/admin/payouts/{id}/reconcile", app.base);
                let token = app.admin_token();
                tokio::spawn(async move {
                    let r = http.post(url).bearer_auth(token).json(&b).send().await?;
                    let status = r.status().as_u16();
                    let v: Value = r.json().await?;
                    Ok::<_, reqwest::Error>((
                        status,
                        v["code"].as_str().unwrap_or_default().to_string(),
                    ))
                })
            })
            .collect::<Vec<_>>();
        async move {
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await??);
            }
            Ok::<_, E>(out)
        }
    };
    let utrs: Vec<(Uuid, Value)> = (0..20)
        .map(|i| (one, body(&format!("{:012}", 100_000_000_000u64 + i))))
        .collect();
    let got = run(utrs).await?;
    assert_eq!(got.iter().filter(|(s, _)| *s == 200).count(), 1, "{got:?}");
    assert!(
        got.iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, c)| *s == 409 && c == "already_reconciled"),
        "{got:?}"
    );

    let mut many = Vec::new();
    for _ in 0..20 {
        many.push((
            payout(&db, c, 700_000, today() - Duration::days(10)).await?,
            body("ICICR52026112499"),
        ));
    }
    let got = run(many).await?;
    assert_eq!(got.iter().filter(|(s, _)| *s == 200).count(), 1, "{got:?}");
    assert!(
        got.iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, c)| *s == 409 && c == "utr_in_use"),
        "{got:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM coach_payouts WHERE bank_utr_number = 'ICICR52026112499'")
            .await?,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE payload->>'template' = 'payout_receipt'")
            .await?,
        2
    );
    Ok(())
}

fn text_of(pdf: &[u8]) -> Result<String, E> {
    let doc = lopdf::Document::load_mem(pdf)?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    Ok(doc.extract_text(&pages)?)
}

#[tokio::test]
async fn the_receipt_is_a_pdf_with_the_facts_the_same_bytes_and_only_for_its_coach() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asha Rao", "Asha@Example.com").await?;
    coach(&db, "Bela Iyer", "bela@example.com").await?;
    let p = payout(&db, c, 12_345_600, today() - Duration::days(10)).await?;
    let admin_url = format!("{}/admin/payouts/{p}/receipt", app.base);
    let coach_url = format!("{}/coach/payouts/{p}/receipt", app.base);
    let r = app
        .http
        .get(&admin_url)
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 409, "not reconciled yet");
    let (status, answer) = reconcile(&app, p, &body("SBINR52026112400000001")).await?;
    assert_eq!(status, 200, "{answer}");
    let number = answer["receiptNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let token = |email: &str| {
        shared::runtime::auth::sign_token(
            JWT_SECRET,
            &Uuid::new_v4().to_string(),
            Some(email),
            None,
            600,
        )
    };
    let get = |url: String, token: String| {
        let http = app.http.clone();
        async move {
            let r = http.get(url).bearer_auth(token).send().await?;
            Ok::<_, reqwest::Error>((
                r.status().as_u16(),
                r.headers().get("content-type").cloned(),
                r.bytes().await?.to_vec(),
            ))
        }
    };
    let (s1, ct, admin_pdf) = get(admin_url.clone(), app.admin_token()).await?;
    let (s2, _, again) = get(admin_url, app.admin_token()).await?;
    let (s3, _, coach_pdf) = get(coach_url.clone(), token(" asha@example.COM ")?).await?;
    assert_eq!((s1, s2, s3), (200, 200, 200));
    assert_eq!(
        ct.and_then(|v| v.to_str().ok().map(str::to_string))
            .as_deref(),
        Some("application/pdf")
    );
    assert_eq!(admin_pdf, again, "the same payout renders the same bytes");
    assert_eq!(admin_pdf, coach_pdf, "on either route");
    let text = text_of(&admin_pdf)?;
    for want in [
        number.as_str(),
        "SBINR52026112400000001",
        "INR 1,23,456.00",
        "Asha Rao",
        "One lakh twenty-three thousand",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    // Another coach: not found. A token without a coach's email: forbidden.
    let (other, _, _) = get(coach_url.clone(), token("bela@example.com")?).await?;
    assert_eq!(other, 404);
    let (stranger, _, _) = get(coach_url, token("someone@example.com")?).await?;
    assert_eq!(stranger, 403);
    Ok(())
}

#[tokio::test]
async fn the_list_filters_and_pages() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let a = coach(&db, "Asha Rao", "asha@example.com").await?;
    let b = coach(&db, "Bela Iyer", "bela@example.com").await?;
    for i in 0..5 {
        payout(&db, a, 100_000 + i, today() - Duration::days(10 + i)).await?;
    }
    let done = payout(&db, b, 999_900, today() - Duration::days(3)).await?;
    assert_eq!(reconcile(&app, done, &body("123456789012")).await?.0, 200);
    let list = |q: String| {
        let http = app.http.clone();
        let url = format!("{}/admin/payouts?{q}", app.base);
        let token = app.admin_token();
        async move {
            let r = http.get(url).bearer_auth(token).send().await?;
            Ok::<_, reqwest::Error>((r.status().as_u16(), r.json::<Value>().await?))
        }
    };
    let (_, all) = list(String::new()).await?;
    assert_eq!(all["total"], 6);
    let (_, pending) = list("status=pending&limit=2&page=2".into()).await?;
    assert_eq!(
        (
            pending["total"].clone(),
            pending["payouts"].as_array().map(Vec::len)
        ),
        (json!(5), Some(2))
    );
    let (_, bela) = list(format!("coachId={b}")).await?;
    assert_eq!(
        bela["payouts"][0]["receiptNumber"]
            .as_str()
            .map(|s| s.starts_with("YT-PO-")),
        Some(true)
    );
    let (_, ranged) = list(format!(
        "from={}&to={}",
        today() - Duration::days(11),
        today() - Duration::days(10)
    ))
    .await?;
    assert_eq!(ranged["total"], 2);
    for q in [
        "status=paid",
        "coachId=x",
        "from=2026-13-01",
        "limit=0",
        "page=abc",
    ] {
        assert_eq!(list(q.into()).await?.0, 400, "{q}");
    }
    Ok(())
}

#[tokio::test]
async fn a_500_line_statement_finds_every_payout_once() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let end = today() - Duration::days(20);
    let mut payouts = Vec::new();
    for i in 0..40 {
        let c = coach(
            &db,
            &format!("Coach{i:02} Surname"),
            &format!("c{i}@example.com"),
        )
        .await?;
        // Pairs share an amount: only the name or the date tells them apart.
        let amount = 1_000_000 + (i / 2) * 10_050;
        payouts.push((payout(&db, c, amount, end).await?, amount, i));
    }
    let mut csv =
        String::from("Value Date,Description,Ref No,Debit Amount,Credit Amount,Balance\n");
    let mut n = 1;
    let mut expect: Vec<(u64, Uuid)> = Vec::new();
    for (id, amount, i) in &payouts {
        n += 1;
        let rupees = format!("\"{}\"", shared::common::rupees::grouped(*amount));
        let (narration, days) = match i % 4 {
            0 | 1 => (format!("NEFT-COACH{i:02} SURNAME-PAYOUT"), 2),
            // The name alone (paid late) or the date alone (narration without the name).
            2 => (format!("IMPS COACH{i:02} SURNAME"), 15),
            _ => ("NEFT PAYOUT BATCH".to_string(), 1),
        };
        let date = (end + Duration::days(days)).format("%d/%m/%Y");
        csv.push_str(&format!(
            "{date},{narration},HDFCN5202611{n:04},{rupees},,1000\n"
        ));
        expect.push((n, *id));
    }
    let (mut credits, mut broken) = (0, 0);
    while n < 500 {
        n += 1;
        match n % 5 {
            0 => credits += 1,
            1 => broken += 1,
            _ => {}
        }
        match n % 5 {
            0 => csv.push_str(&format!(
                "{},UPI fee refund,,,\"{}.00\",1000\n",
                end.format("%d-%m-%Y"),
                n
            )),
            1 => csv.push_str("31/02/2026,Bad date,,100,,1000\n"),
            _ => csv.push_str(&format!(
                "{},Vendor {n},,\"{}.25\",,1000\n",
                end.format("%Y-%m-%d"),
                77 + n
            )),
        }
    }
    let r = app
        .http
        .post(format!("{}/admin/payouts/statement", app.base))
        .bearer_auth(app.admin_token())
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let answer: Value = r.json().await?;
    let lines = answer["lines"].as_array().cloned().unwrap_or_default();
    let mut matched: Vec<String> = Vec::new();
    for (line, id) in &expect {
        let l = lines
            .iter()
            .find(|l| l["line"] == json!(line))
            .ok_or("line missing")?;
        assert_eq!(l["match"]["payoutId"], json!(id), "line {line}: {l}");
        assert!(
            matches!(l["match"]["confidence"].as_str(), Some("exact" | "likely")),
            "{l}"
        );
        matched.push(id.to_string());
    }
    let all: Vec<String> = lines
        .iter()
        .filter_map(|l| l["match"]["payoutId"].as_str().map(str::to_string))
        .collect();
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a payout proposed twice");
    assert_eq!(all.len(), 40);
    assert_eq!(answer["skipped"], credits);
    assert_eq!(answer["errors"].as_array().map(Vec::len), Some(broken));
    assert!(credits > 80 && broken > 80);
    // Nothing was written.
    assert_eq!(
        app.count("SELECT count(*) FROM coach_payouts WHERE bank_transfer_status = 'pending'")
            .await?,
        40
    );
    // A file without the needed columns is refused.
    let r = app
        .http
        .post(format!("{}/admin/payouts/statement", app.base))
        .bearer_auth(app.admin_token())
        .body("Date,Amount\n2026-11-05,100\n")
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    Ok(())
}

/// A statement saved as LF, CRLF or with Excel's BOM reads the same: lines numbered as the sheet
/// shows them (a narration with a line break is one line), credits skipped, a blank line
/// ignored, and a short line (a broken export row) an error with its number, never skipped.
#[tokio::test]
async fn statement_lines_keep_their_numbers_and_a_short_line_is_an_error() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let end = today() - Duration::days(3);
    let c = coach(&db, "Asha Rao", "asha@example.com").await?;
    let id = payout(&db, c, 1_200_000, end).await?;
    let date = (end + Duration::days(1)).format("%Y-%m-%d").to_string();
    let rows = [
        "Date,Narration,Ref,Debit,Credit".to_string(),
        format!("{date},\"NEFT ASHA RAO{{break}}OCT PAYOUT\",UTR1,\"12,000\","),
        format!("{date},Salary,,,50000"),
        String::new(),
        "2025-05-21,BROKEN EXPORT ROW".to_string(),
        format!("{date},Vendor,UTR2,500,"),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    for (name, sheet) in support::sheet_variants(&rows) {
        let r = app
            .http
            .post(format!("{}/admin/payouts/statement", app.base))
            .bearer_auth(app.admin_token())
            .header("content-type", "text/csv")
            .body(sheet)
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 200, "{name}");
        let answer: Value = r.json().await?;
        let lines: Vec<(Value, Value)> = answer["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| (l["line"].clone(), l["match"]["payoutId"].clone()))
            .collect();
        assert_eq!(
            lines,
            vec![(json!(2), json!(id)), (json!(6), Value::Null)],
            "{name}: {answer}"
        );
        assert_eq!(answer["skipped"], 1, "{name}: {answer}");
        assert_eq!(
            answer["errors"],
            json!([{"line": 5, "message": "the line has 2 cells where the header has 5"}]),
            "{name}"
        );
    }
    Ok(())
}

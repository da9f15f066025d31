//! Bank statement matching (gap 10): read a bank's CSV export and propose, for each debit line,
//! the pending payout it most likely pays. Nothing is written; the admin confirms each proposal
//! with the reconcile call.
//!
//! Among pending payouts of exactly the line's amount: the coach's name in the narration and the
//! date within 5 days after the period's end → `exact`; one of the two → `likely`; neither → no
//! proposal. No payout is proposed twice: the best pairs are taken first (both kinds of
//! evidence, then the name, then the closest date).
use crate::common::sheet_rows::SheetRows;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

pub const DAYS_AFTER_PERIOD: i64 = 5;

const DATE: &[&str] = &["date", "txn date", "transaction date", "value date"];
const NARRATION: &[&str] = &["narration", "description", "particulars", "remarks"];
const REFERENCE: &[&str] = &["reference", "ref no", "chq/ref no", "reference no", "utr"];
const DEBIT: &[&str] = &[
    "debit",
    "debit amount",
    "withdrawal",
    "withdrawal amt",
    "dr",
];
const CREDIT: &[&str] = &["credit", "credit amount", "deposit", "cr"];

/// A debit line of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line: u64,
    pub date: NaiveDate,
    pub narration: String,
    pub reference: Option<String>,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub lines: Vec<Line>,
    pub skipped: u64,
    pub errors: Vec<LineError>,
}

fn find(headers: &[String], aliases: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| aliases.contains(&h.trim().trim_matches('.').to_lowercase().as_str()))
}

/// `DD/MM/YYYY`, `DD-MM-YYYY`, `DD/MM/YY`, `DD-Mon-YYYY` or `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    // Two-digit years are 20YY (chrono would read `26` as the year 26).
    let parts: Vec<&str> = s.split(['/', '-']).collect();
    if let [d, m, y] = parts.as_slice() {
        if y.len() == 2 && d.len() <= 2 && m.len() <= 2 {
            let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse::<i32>().ok()?);
            return NaiveDate::from_ymd_opt(2000 + y, m, d);
        }
        if y.len() != 4 && d.len() != 4 {
            return None;
        }
    }
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d-%b-%Y", "%d %b %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// A cell that should hold an amount and does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnAmount;

/// Rupees (`12,000`, `12000.50`, `₹ 1,23,456.7`) → paise, exactly; empty → `Ok(None)`.
pub fn parse_rupees(s: &str) -> Result<Option<i64>, NotAnAmount> {
    let cleaned: String = s
        .trim()
        .trim_start_matches('₹')
        .trim_start_matches("INR")
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned == "-" {
        return Ok(None);
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 13
    {
        return Err(NotAnAmount);
    }
    let rupees: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| NotAnAmount)?
    };
    let paise: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| NotAnAmount)? * 10,
        _ => frac.parse().map_err(|_| NotAnAmount)?,
    };
    Ok(Some(rupees * 100 + paise))
}

/// Reads the CSV: the first record is the header. `Err` when a needed column is missing.
pub fn parse(csv_text: &[u8]) -> Result<Parsed, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text);
    let mut sheet = SheetRows::new(csv_text);
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(h)) => {
            sheet.row_of(h.position());
            h.iter()
                .map(|s| s.trim_start_matches('\u{feff}').to_string())
                .collect()
        }
        Some(Err(e)) => return Err(format!("the header line is not CSV: {e}")),
        None => return Err("the file is empty".into()),
    };
    let (Some(date), Some(narration), Some(debit)) = (
        find(&headers, DATE),
        find(&headers, NARRATION),
        find(&headers, DEBIT),
    ) else {
        return Err("the header needs a date, a narration and a debit column".into());
    };
    let reference = find(&headers, REFERENCE);
    let credit = find(&headers, CREDIT);
    let mut out = Parsed::default();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = sheet.row_of(e.position());
                out.errors.push(LineError {
                    line,
                    message: "not a CSV line".into(),
                });
                continue;
            }
        };
        let line = sheet.row_of(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        // A line cut short (or with cells beyond the header's that hold something) cannot be
        // read by column: it is an error of its own, never a skipped credit.
        let extra = record.iter().skip(headers.len()).any(|c| !c.is_empty());
        if record.len() < headers.len() || extra {
            out.errors.push(LineError {
                line,
                message: format!(
                    "the line has {} cells where the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let cell = |i: usize| record.get(i).unwrap_or("").to_string();
        let mut fail = |message: &str| {
            out.errors.push(LineError {
                line,
                message: message.into(),
            });
        };
        let debit_amount = match parse_rupees(&cell(debit)) {
            Ok(v) => v.filter(|a| *a > 0),
            Err(NotAnAmount) => {
                fail("the debit is not an amount");
                continue;
            }
        };
        let Some(amount) = debit_amount else {
            let credited = credit.map(|c| parse_rupees(&cell(c)));
            match credited {
                Some(Err(NotAnAmount)) => fail("the credit is not an amount"),
                _ => out.skipped += 1,
            }
            continue;
        };
        let Some(d) = parse_date(&cell(date)) else {
            fail(
                "the date is not one of YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY, DD/MM/YY, DD-Mon-YYYY",
            );
            continue;
        };
        out.lines.push(Line {
            line,
            date: d,
            narration: cell(narration),
            reference: reference.map(cell).filter(|s| !s.is_empty()),
            amount,
        });
    }
    Ok(out)
}

/// A pending payout as the matcher sees it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: Uuid,
    pub coach_name: Option<String>,
    pub amount: i64,
    pub period_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    pub payout_id: Uuid,
    pub coach_name: Option<String>,
    pub confidence: &'static str,
    pub why: String,
}

fn evidence(line: &Line, p: &Pending) -> (bool, bool) {
    let name = p
        .coach_name
        .as_deref()
        .map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty())
        .is_some_and(|n| line.narration.to_lowercase().contains(&n));
    let date = p.period_end.is_some_and(|end| {
        line.date >= end && line.date <= end + Duration::days(DAYS_AFTER_PERIOD)
    });
    (name, date)
}

/// One proposal (or none) per line, in the lines' order; best pairs are taken first, and a payout
/// is proposed at most once.
pub fn propose(lines: &[Line], pending: &[Pending]) -> Vec<Option<Proposal>> {
    // (strength, the name matched, days apart, line index, payout index): the coach's name is
    // the stronger evidence — every payout of a period shares its dates.
    let mut pairs: Vec<(u8, bool, i64, usize, usize)> = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for (pi, p) in pending
            .iter()
            .enumerate()
            .filter(|(_, p)| p.amount == line.amount)
        {
            let (name, date) = evidence(line, p);
            let strength = u8::from(name) + u8::from(date);
            if strength > 0 {
                let apart = p
                    .period_end
                    .map(|e| (line.date - e).num_days().abs())
                    .unwrap_or(i64::MAX);
                pairs.push((strength, name, apart, li, pi));
            }
        }
    }
    pairs.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
            .then(a.4.cmp(&b.4))
    });
    let mut out: Vec<Option<Proposal>> = vec![None; lines.len()];
    let mut taken = vec![false; pending.len()];
    for (strength, _, _, li, pi) in pairs {
        if out[li].is_some() || taken[pi] {
            continue;
        }
        taken[pi] = true;
        let p = &pending[pi];
        let (name, date) = evidence(&lines[li], p);
        let mut why = vec![format!(
            "amount ₹{}",
            crate::common::rupees::grouped(p.amount)
        )];
        if name {
            why.push("the coach's name is in the narration".into());
        }
        if date {
            why.push(format!(
                "within {DAYS_AFTER_PERIOD} days after the period's end"
            ));
        }
        out[li] = Some(Proposal {
            payout_id: p.id,
            coach_name: p.coach_name.clone(),
            confidence: if strength == 2 { "exact" } else { "likely" },
            why: why.join("; "),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn dates_and_amounts_in_the_shapes_banks_write() {
        for s in [
            "2026-11-05",
            "05/11/2026",
            "05-11-2026",
            "05/11/26",
            "05-Nov-2026",
        ] {
            assert_eq!(parse_date(s), Some(d("2026-11-05")), "{s}");
        }
        assert_eq!(parse_date("11/2026"), None);
        assert_eq!(parse_rupees("12,000"), Ok(Some(1_200_000)));
        assert_eq!(parse_rupees("1,23,456.7"), Ok(Some(12_345_670)));
        assert_eq!(parse_rupees("₹ 99.05"), Ok(Some(9_905)));
        assert_eq!(parse_rupees(""), Ok(None));
        assert_eq!(parse_rupees("12.345"), Err(NotAnAmount));
        assert_eq!(parse_rupees("abc"), Err(NotAnAmount));
    }

    #[test]
    fn headers_by_alias_credits_skipped_and_bad_lines_reported() {
        let csv = "Txn Date,Particulars,Chq/Ref No,Withdrawal Amt,Deposit,Balance\n\
                   05/11/2026,NEFT-Asha Rao,HDFCN52022110501,\"12,000.00\",,1000\n\
                   06/11/2026,Salary credit,,,50000,2000\n\
                   07/11/2026,Broken,,twelve,,3000\n\
                   32/11/2026,Bad date,,500,,3000\n";
        let Ok(p) = parse(csv.as_bytes()) else {
            panic!("refused")
        };
        assert_eq!(p.lines.len(), 1);
        assert_eq!(p.lines[0].line, 2);
        assert_eq!(p.lines[0].amount, 1_200_000);
        assert_eq!(p.lines[0].reference.as_deref(), Some("HDFCN52022110501"));
        assert_eq!(p.skipped, 1);
        let bad: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(bad, vec![4, 5]);
        assert!(parse(b"Date,Amount\n2026-11-05,100\n").is_err());
    }

    /// The same export saved four ways (LF, CRLF as Excel writes, with Excel's UTF-8 BOM), with a
    /// narration holding a line break: the same lines, numbered as the spreadsheet shows them.
    #[test]
    fn line_numbers_are_the_sheets_whatever_the_line_ends() {
        let rows = [
            "Date,Narration,Ref,Debit,Credit",
            "2026-11-05,\"NEFT ASHA RAO{break}OCT PAYOUT\",UTR1,\"12,000\",",
            "2026-11-06,Salary,,,50000",
            "",
            "2025-05-21,BROKEN EXPORT ROW",
            "2026-11-07,NEFT BELA,UTR2,500,",
            "2026-11-08,Too many,UTR3,600,,oops",
        ];
        for (name, ends, bom) in [
            ("LF", "\n", ""),
            ("CRLF", "\r\n", ""),
            ("BOM + CRLF", "\r\n", "\u{feff}"),
            ("BOM + LF", "\n", "\u{feff}"),
        ] {
            let text = format!("{bom}{}{ends}", rows.join(ends)).replace("{break}", ends);
            let Ok(p) = parse(text.as_bytes()) else {
                panic!("{name}: refused")
            };
            let lines: Vec<(u64, i64)> = p.lines.iter().map(|l| (l.line, l.amount)).collect();
            assert_eq!(lines, vec![(2, 1_200_000), (6, 50_000)], "{name}");
            assert_eq!(
                p.lines[0].narration,
                format!("NEFT ASHA RAO{ends}OCT PAYOUT")
            );
            assert_eq!(p.skipped, 1, "{name}: the credit line, nothing else");
            let errors: Vec<(u64, &str)> = p
                .errors
                .iter()
                .map(|e| (e.line, e.message.as_str()))
                .collect();
            assert_eq!(
                errors,
                vec![
                    (5, "the line has 2 cells where the header has 5"),
                    (7, "the line has 6 cells where the header has 5"),
                ],
                "{name}"
            );
        }
    }

    #[test]
    fn on_an_amount_tie_the_name_beats_the_date() {
        let end = d("2026-10-31");
        let pending = vec![
            Pending {
                id: Uuid::from_u128(1),
                coach_name: Some("Asha Rao".into()),
                amount: 100,
                period_end: Some(end),
            },
            Pending {
                id: Uuid::from_u128(2),
                coach_name: Some("Bela Iyer".into()),
                amount: 100,
                period_end: Some(end),
            },
        ];
        // Line 2 names Asha but came late; line 3 is on time and names nobody. Taking the date
        // first would give Asha's payout to line 3 and leave line 2 without one.
        let lines = vec![
            Line {
                line: 2,
                date: d("2026-11-20"),
                narration: "IMPS ASHA RAO".into(),
                reference: None,
                amount: 100,
            },
            Line {
                line: 3,
                date: d("2026-11-01"),
                narration: "NEFT BATCH".into(),
                reference: None,
                amount: 100,
            },
        ];
        let got: Vec<Option<u128>> = propose(&lines, &pending)
            .iter()
            .map(|p| p.as_ref().map(|p| p.payout_id.as_u128()))
            .collect();
        assert_eq!(got, vec![Some(1), Some(2)]);
    }

    #[test]
    fn best_pairs_first_and_no_payout_twice() {
        let line = |n: u64, date: &str, narration: &str, amount: i64| Line {
            line: n,
            date: d(date),
            narration: narration.into(),
            reference: None,
            amount,
        };
        let payout = |n: u128, name: &str, amount: i64, end: &str| Pending {
            id: Uuid::from_u128(n),
            coach_name: Some(name.into()),
            amount,
            period_end: Some(d(end)),
        };
        let pending = vec![
            payout(1, "Asha Rao", 1_000_000, "2026-10-31"),
            payout(2, "Bela Iyer", 1_000_000, "2026-10-31"),
            payout(3, "Chitra Nair", 500_000, "2026-10-31"),
        ];
        let lines = vec![
            // Same amount as 1 and 2, dated in range, naming nobody: likely — but only after the
            // exact ones took their payouts.
            line(2, "2026-11-02", "NEFT transfer", 1_000_000),
            line(3, "2026-11-03", "NEFT BELA IYER", 1_000_000),
            line(4, "2026-11-20", "IMPS Chitra Nair", 500_000),
            line(5, "2026-11-02", "IMPS someone", 700_000),
        ];
        let got: Vec<Option<(u128, &str)>> = propose(&lines, &pending)
            .iter()
            .map(|p| p.as_ref().map(|p| (p.payout_id.as_u128(), p.confidence)))
            .collect();
        assert_eq!(
            got,
            vec![
                Some((1, "likely")),
                Some((2, "exact")),
                Some((3, "likely")),
                None
            ]
        );
    }
}

//! The coach's payout receipt as an A4 PDF (`pdf-writer`): receipt number, coach, period, amount
//! in rupees with Indian grouping and in words, UTR, transfer date, who reconciled it and when.
//! Built only from the payout's stored fields — no "now", no random ids — so the same payout
//! always gives the same bytes. Text is Helvetica with WinAnsi encoding (extractable; `INR`, as
//! the standard fonts have no ₹ glyph; characters outside WinAnsi print as `?`).
use chrono::{DateTime, NaiveDate, Utc};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub payout_id: Uuid,
    pub receipt_number: String,
    pub coach_name: Option<String>,
    pub coach_email: Option<String>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub amount: i64,
    pub utr: String,
    pub transfer_date: Option<NaiveDate>,
    pub reconciled_by: Option<String>,
    pub reconciled_at: Option<DateTime<Utc>>,
}

/// Latin-1 letters keep their WinAnsi byte; anything else becomes `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Splits `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d %b %Y").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The receipt's rows: (label, value).
pub fn rows(r: &Receipt) -> Vec<(&'static str, String)> {
    let coach = match (&r.coach_name, &r.coach_email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => "-".into(),
    };
    let at = r
        .reconciled_at
        .map(|t| {
            t.with_timezone(&crate::common::ist::IST)
                .format("%d %b %Y, %H:%M IST")
                .to_string()
        })
        .unwrap_or_else(|| "-".into());
    vec![
        ("Receipt number", r.receipt_number.clone()),
        ("Coach", coach),
        (
            "Period",
            format!("{} to {}", date(r.period_start), date(r.period_end)),
        ),
        (
            "Amount",
            format!("INR {}", crate::common::rupees::grouped(r.amount)),
        ),
        ("In words", crate::common::rupees::in_words(r.amount)),
        ("Bank reference (UTR)", r.utr.clone()),
        ("Transfer date", date(r.transfer_date)),
        (
            "Reconciled by",
            r.reconciled_by.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Reconciled at", at),
        ("Payout id", r.payout_id.to_string()),
    ]
}

pub fn render(r: &Receipt) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let content_id = Ref::new(6);
    let info = Ref::new(7);
    let (f_regular, f_bold) = (Name(b"F1"), Name(b"F2"));

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
    page.parent(tree);
    page.contents(content_id);
    let mut resources = page.resources();
    let mut fonts = resources.fonts();
    fonts.pair(f_regular, regular);
    fonts.pair(f_bold, bold);
    drop(fonts);
    drop(resources);
    drop(page);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("YesToryd payout receipt {}", r.receipt_number);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&title))
        .producer(pdf_writer::TextStr("YesToryd backend"));

    let mut c = Content::new();
    let mut y = 770.0;
    let text = |c: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str| {
        c.begin_text();
        c.set_font(font, size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(s)));
        c.end_text();
    };
    text(&mut c, f_bold, 20.0, 56.0, y, "YesToryd");
    y -= 26.0;
    text(&mut c, f_regular, 14.0, 56.0, y, "Coach payout receipt");
    y -= 14.0;
    c.move_to(56.0, y);
    c.line_to(539.0, y);
    c.stroke();
    y -= 30.0;
    for (label, value) in rows(r) {
        text(&mut c, f_bold, 11.0, 56.0, y, label);
        for (i, part) in wrap(&value, 58).iter().enumerate() {
            if i > 0 {
                y -= 15.0;
            }
            text(&mut c, f_regular, 11.0, 210.0, y, part);
        }
        y -= 24.0;
    }
    y -= 10.0;
    text(
        &mut c,
        f_regular,
        9.0,
        56.0,
        y,
        "This receipt records a bank transfer made by YesToryd to the coach named above.",
    );
    pdf.stream(content_id, &c.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            payout_id: Uuid::from_u128(7),
            receipt_number: "YT-PO-2026-000001".into(),
            coach_name: Some("Anita Désai".into()),
            coach_email: Some("anita@example.com".into()),
            period_start: NaiveDate::from_ymd_opt(2026, 10, 1),
            period_end: NaiveDate::from_ymd_opt(2026, 10, 31),
            amount: 12_345_600,
            utr: "HDFCN52022110501".into(),
            transfer_date: NaiveDate::from_ymd_opt(2026, 11, 5),
            reconciled_by: Some("ops@yestoryd.com".into()),
            reconciled_at: DateTime::parse_from_rfc3339("2026-11-06T04:30:00Z")
                .ok()
                .map(|d| d.with_timezone(&Utc)),
        }
    }

    #[test]
    fn the_same_receipt_is_the_same_bytes() {
        let a = render(&receipt());
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, render(&receipt()));
        let mut other = receipt();
        other.utr = "123456789012".into();
        assert_ne!(a, render(&other));
    }

    #[test]
    fn rows_speak_indian_rupees() {
        let rows = rows(&receipt());
        assert!(rows.contains(&("Amount", "INR 1,23,456.00".to_string())));
        assert!(rows.contains(&("Reconciled at", "06 Nov 2026, 10:00 IST".to_string())));
        assert!(
            rows.iter()
                .any(|(_, v)| v
                    == "One lakh twenty-three thousand four hundred fifty-six rupees only")
        );
        assert_eq!(win_ansi("Désai ₹"), b"D\xe9sai ?".to_vec());
    }
}

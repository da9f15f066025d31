//! The CSV export: RFC 4180 (the csv crate), a header row, rupees and paise, IST times, and
//! cells that a spreadsheet would run as a formula neutralised.
use super::store::PaymentRow;
use chrono_tz::Asia::Kolkata;

pub const HEADER: [&str; 14] = [
    "Payment ID",
    "Created (IST)",
    "Parent",
    "Parent email",
    "Child",
    "Amount (INR)",
    "Amount (paise)",
    "Currency",
    "Status",
    "Razorpay payment ID",
    "Razorpay order ID",
    "Refund status",
    "Refund (INR)",
    "Refund (paise)",
];

/// What a spreadsheet may read as the start of a formula: the ASCII signs and their full-width
/// forms (Excel and LibreOffice normalise `＝＋－＠` on input).
const FORMULA_START: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// A cell whose first visible character starts a formula — after any leading spaces, tabs or
/// line breaks, which spreadsheets skip — or that starts with a tab or carriage return, is
/// prefixed with `'`, shown as text instead of evaluated (OWASP's CSV injection advice).
pub fn neutralise(cell: &str) -> String {
    let visible = cell
        .trim_start_matches([' ', '\t', '\r', '\n', '\u{3000}'])
        .chars()
        .next();
    let risky =
        cell.starts_with(['\t', '\r']) || visible.is_some_and(|c| FORMULA_START.contains(&c));
    if risky {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub fn rupees(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    let p = paise.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

pub fn to_csv(rows: &[PaymentRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160 + 256));
    w.write_record(HEADER)?;
    for r in rows {
        let opt = |v: &Option<String>| neutralise(v.as_deref().unwrap_or(""));
        w.write_record([
            r.id.to_string(),
            r.created_at
                .with_timezone(&Kolkata)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            opt(&r.parent_name),
            opt(&r.parent_email),
            opt(&r.child_name),
            rupees(r.amount),
            r.amount.to_string(),
            neutralise(&r.currency),
            neutralise(&r.status),
            opt(&r.razorpay_payment_id),
            opt(&r.razorpay_order_id),
            opt(&r.refund_status),
            r.refund_amount.map(rupees).unwrap_or_default(),
            r.refund_amount.map(|a| a.to_string()).unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+91 98"), "'+91 98");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("  =1+2"), "'  =1+2");
        assert_eq!(neutralise("\t=cmd"), "'\t=cmd");
        assert_eq!(neutralise("\n@SUM(A1)"), "'\n@SUM(A1)");
        assert_eq!(neutralise("＝HYPERLINK(\"x\")"), "'＝HYPERLINK(\"x\")");
        assert_eq!(neutralise("＋91"), "'＋91");
        assert_eq!(neutralise("－1"), "'－1");
        assert_eq!(neutralise("＠A1"), "'＠A1");
        assert_eq!(neutralise("\u{3000}=1"), "'\u{3000}=1");
        assert_eq!(neutralise("Meera Iyer"), "Meera Iyer");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
        assert_eq!(neutralise("   "), "   ");
        assert_eq!(neutralise("Meera"), "Meera");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn rupees_have_two_decimals() {
        assert_eq!(rupees(24000), "240.00");
        assert_eq!(rupees(5), "0.05");
        assert_eq!(rupees(123456), "1234.56");
    }
}

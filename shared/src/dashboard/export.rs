//! The CSV export: RFC 4180 (the csv crate), a header row, rupees and paise, IST times, and
//! cells that a spreadsheet would run as a formula neutralised.
use super::store::PaymentRow;
use crate::common::ist::IST as Kolkata;

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

/// The export's CSV written row by row into a buffer that is taken in pieces: the handler
/// streams rows in and hands out parts, so memory holds one part, not the file.
pub struct CsvStream {
    w: csv::Writer<Vec<u8>>,
    rows: u64,
    bytes: u64,
}

impl CsvStream {
    /// Starts the file with its header row.
    pub fn new() -> Result<Self, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::with_capacity(64 * 1024));
        w.write_record(HEADER)?;
        Ok(CsvStream {
            w,
            rows: 0,
            bytes: 0,
        })
    }

    pub fn push(&mut self, r: &PaymentRow) -> Result<(), csv::Error> {
        self.w.write_record(record(r))?;
        self.w.flush()?;
        self.rows += 1;
        Ok(())
    }

    /// Bytes written and not taken yet.
    pub fn buffered(&self) -> usize {
        self.w.get_ref().len()
    }

    /// Takes what is buffered (the next piece of the file).
    pub fn take(&mut self) -> Result<Vec<u8>, csv::Error> {
        self.w.flush()?;
        let capacity = self.buffered().max(64 * 1024);
        let full = std::mem::replace(
            &mut self.w,
            csv::Writer::from_writer(Vec::with_capacity(capacity)),
        );
        let piece = full
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        self.bytes += piece.len() as u64;
        Ok(piece)
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes taken so far.
    pub fn bytes_taken(&self) -> u64 {
        self.bytes
    }
}

fn record(r: &PaymentRow) -> [String; 14] {
    let opt = |v: &Option<String>| neutralise(v.as_deref().unwrap_or(""));
    [
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
    ]
}

/// The whole file at once (small exports, tests and the benchmark's baseline): the same bytes
/// `CsvStream` produces piece by piece.
pub fn to_csv(rows: &[PaymentRow]) -> Result<Vec<u8>, csv::Error> {
    let mut s = CsvStream::new()?;
    for r in rows {
        s.push(r)?;
    }
    s.take()
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
    fn the_stream_taken_in_pieces_is_the_whole_file() -> Result<(), csv::Error> {
        let row = |n: i64, name: &str| PaymentRow {
            id: uuid::Uuid::from_u128(n as u128),
            created_at: chrono::DateTime::from_timestamp(1_795_500_000 + n, 0).unwrap_or_default(),
            parent_name: Some(name.to_string()),
            parent_email: None,
            child_name: Some("Kabir, \"K\"".into()),
            amount: 24000 + n,
            currency: "INR".into(),
            status: "captured".into(),
            razorpay_payment_id: Some(format!("pay_{n}")),
            razorpay_order_id: None,
            refund_status: None,
            refund_amount: Some(n),
        };
        let rows: Vec<PaymentRow> = (0..50)
            .map(|n| row(n, if n % 7 == 0 { "=cmd" } else { "Meera" }))
            .collect();
        let whole = to_csv(&rows)?;
        let mut s = CsvStream::new()?;
        let mut pieces = Vec::new();
        for r in &rows {
            s.push(r)?;
            if s.buffered() > 300 {
                pieces.extend(s.take()?);
            }
        }
        pieces.extend(s.take()?);
        assert_eq!(pieces, whole);
        assert_eq!(s.rows(), 50);
        assert_eq!(s.bytes_taken(), whole.len() as u64);
        assert!(String::from_utf8_lossy(&whole).contains("'=cmd"));
        Ok(())
    }

    #[test]
    fn rupees_have_two_decimals() {
        assert_eq!(rupees(24000), "240.00");
        assert_eq!(rupees(5), "0.05");
        assert_eq!(rupees(123456), "1234.56");
    }
}

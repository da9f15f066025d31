//! What a bank transfer reference (UTR) may look like: 12 digits (an IMPS/UPI RRN), 16
//! alphanumerics starting with 4 letters (NEFT) or 22 starting with 4 letters (RTGS). Surrounding
//! spaces are trimmed and letters upper-cased; anything else, inner spaces too, is refused.

/// The UTR as stored (upper-case), or why it is not one.
pub fn normalize(raw: &str) -> Result<String, &'static str> {
    let utr = raw.trim().to_ascii_uppercase();
    let bytes = utr.as_bytes();
    let alnum = bytes.iter().all(u8::is_ascii_alphanumeric);
    let bank_prefix = bytes.len() >= 4 && bytes[..4].iter().all(u8::is_ascii_uppercase);
    let ok = match bytes.len() {
        12 => bytes.iter().all(u8::is_ascii_digit),
        16 | 22 => alnum && bank_prefix,
        _ => false,
    };
    if ok {
        Ok(utr)
    } else {
        Err("must be a UTR: 12 digits (IMPS/UPI), or 16 (NEFT) or 22 (RTGS) letters and digits starting with the bank's 4-letter code")
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn the_utr_table() {
        let cases = [
            ("123456789012", Some("123456789012")),
            ("  123456789012 ", Some("123456789012")),
            ("HDFCN52022112512", Some("HDFCN52022112512")),
            ("hdfcn52022112512", Some("HDFCN52022112512")),
            ("SBINR52022112512345678", Some("SBINR52022112512345678")),
            ("sbinr52022112512345678", Some("SBINR52022112512345678")),
            ("12345678901", None),
            ("1234567890123", None),
            ("12345678901A", None),
            ("HDFC N52022112512", None),
            ("HDFCN5202211251", None),
            ("HDF1N52022112512", None),
            ("HDFCN52022-12512", None),
            ("SBINR5202211251234567", None),
            ("", None),
            ("₹23456789012", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).ok().as_deref(), want, "{raw:?}");
        }
    }
}

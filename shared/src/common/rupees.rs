//! Rupees as Indians write them, from integer paise: digits grouped 3 then 2 (`1,23,456.00`) and
//! in words with lakh and crore ("One lakh twenty-three thousand four hundred fifty-six rupees
//! only"). Used by the notification templates and the payout receipts.

/// `12345600` paise → `1,23,456.00`.
pub fn grouped(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    let p = paise.unsigned_abs();
    let (rupees, rest) = (p / 100, p % 100);
    let digits = rupees.to_string();
    let grouped = if digits.len() <= 3 {
        digits
    } else {
        let (head, last3) = digits.split_at(digits.len() - 3);
        let mut parts: Vec<String> = Vec::new();
        let mut h = head.to_string();
        while h.len() > 2 {
            let cut = h.len() - 2;
            parts.push(h[cut..].to_string());
            h.truncate(cut);
        }
        if !h.is_empty() {
            parts.push(h);
        }
        parts.reverse();
        format!("{},{last3}", parts.join(","))
    };
    format!("{sign}{grouped}.{rest:02}")
}

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

fn below_hundred(n: u64) -> String {
    if n < 20 {
        ONES[n as usize].to_string()
    } else if n.is_multiple_of(10) {
        TENS[(n / 10) as usize].to_string()
    } else {
        format!("{}-{}", TENS[(n / 10) as usize], ONES[(n % 10) as usize])
    }
}

fn below_thousand(n: u64) -> String {
    match (n / 100, n % 100) {
        (0, r) => below_hundred(r),
        (h, 0) => format!("{} hundred", ONES[h as usize]),
        (h, r) => format!("{} hundred {}", ONES[h as usize], below_hundred(r)),
    }
}

/// A whole number in words, Indian system (crore, lakh, thousand).
pub fn words(n: u64) -> String {
    if n == 0 {
        return "zero".into();
    }
    let mut parts = Vec::new();
    let crore = n / 10_000_000;
    if crore > 0 {
        parts.push(format!("{} crore", words(crore)));
    }
    let rest = n % 10_000_000;
    for (unit, name) in [(100_000, "lakh"), (1_000, "thousand")] {
        let q = (rest / unit) % 100;
        if q > 0 {
            parts.push(format!("{} {name}", below_hundred(q)));
        }
    }
    if !rest.is_multiple_of(1000) {
        parts.push(below_thousand(rest % 1000));
    }
    parts.join(" ")
}

/// `12345650` paise → "One lakh twenty-three thousand four hundred fifty-six rupees and fifty
/// paise only".
pub fn in_words(paise: i64) -> String {
    let p = paise.unsigned_abs();
    let (rupees, rest) = (p / 100, p % 100);
    let mut s = format!(
        "{} rupee{}",
        words(rupees),
        if rupees == 1 { "" } else { "s" }
    );
    if rest > 0 {
        s.push_str(&format!(" and {} paise", words(rest)));
    }
    s.push_str(" only");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indian_grouping() {
        let cases = [
            (0, "0.00"),
            (5, "0.05"),
            (99_900, "999.00"),
            (100_000, "1,000.00"),
            (12_345_600, "1,23,456.00"),
            (1_234_567_890, "1,23,45,678.90"),
            (100_000_000_000, "1,00,00,00,000.00"),
        ];
        for (p, want) in cases {
            assert_eq!(grouped(p), want);
        }
    }

    #[test]
    fn indian_words() {
        assert_eq!(
            in_words(12_345_600),
            "One lakh twenty-three thousand four hundred fifty-six rupees only"
        );
        assert_eq!(in_words(100), "One rupee only");
        assert_eq!(
            in_words(1_500_000_050),
            "One crore fifty lakh rupees and fifty paise only"
        );
        // 10,10,10,101 in Indian grouping.
        assert_eq!(
            words(101_010_101),
            "ten crore ten lakh ten thousand one hundred one"
        );
        // 99,99,999.
        assert_eq!(
            words(9_999_999),
            "ninety-nine lakh ninety-nine thousand nine hundred ninety-nine"
        );
        assert_eq!(words(1_000), "one thousand");
        // 123,00,00,000.
        assert_eq!(words(1_230_000_000), "one hundred twenty-three crore");
    }
}

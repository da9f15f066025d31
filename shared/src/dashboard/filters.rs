//! The query parameters shared by the list and the export: dates are whole days in Asia/Kolkata,
//! instants are RFC 3339; every bad parameter is named in the 400.
use crate::common::ist::IST as Kolkata;
use crate::runtime::http::{ApiError, FieldErrors};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::HashMap;

pub const STATUSES: [&str; 5] = ["created", "authorized", "captured", "failed", "refunded"];

#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    /// Inclusive lower bound on `created_at`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `created_at`.
    pub to: Option<DateTime<Utc>>,
    pub statuses: Vec<String>,
    pub q: Option<String>,
    pub page: i64,
    pub limit: i64,
    /// The dates as given, for the export's file name.
    pub label: (String, String),
}

/// Midnight at the start of `date` in India, as UTC.
pub fn ist_midnight(date: NaiveDate) -> DateTime<Utc> {
    match Kolkata
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
    {
        Some(t) => t.with_timezone(&Utc),
        None => {
            Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
                - Duration::minutes(330)
        }
    }
}

fn parse_bound(raw: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end { d.succ_opt()? } else { d };
        return Some(ist_midnight(day));
    }
    let t = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
    // An instant `to` is inclusive; stored as exclusive.
    Some(if end {
        t + Duration::microseconds(1)
    } else {
        t
    })
}

/// Parses from a map of parameter name to every value given for it.
pub fn parse(params: &HashMap<String, Vec<String>>, paginate: bool) -> Result<Filters, ApiError> {
    let mut errors = FieldErrors::default();
    let one = |name: &str| {
        params
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.trim().to_string())
    };
    let from_raw = one("from").filter(|s| !s.is_empty());
    let to_raw = one("to").filter(|s| !s.is_empty());
    let from = from_raw.as_deref().and_then(|r| {
        let v = parse_bound(r, false);
        if v.is_none() {
            errors.add("from", "must be a date (YYYY-MM-DD) or an RFC 3339 time");
        }
        v
    });
    let to = to_raw.as_deref().and_then(|r| {
        let v = parse_bound(r, true);
        if v.is_none() {
            errors.add("to", "must be a date (YYYY-MM-DD) or an RFC 3339 time");
        }
        v
    });
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            errors.add("to", "must not be before from");
        }
    }
    let mut statuses: Vec<String> = Vec::new();
    for raw in params.get("status").into_iter().flatten() {
        for s in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if s == "all" {
                continue;
            }
            if STATUSES.contains(&s) {
                if !statuses.iter().any(|x| x == s) {
                    statuses.push(s.to_string());
                }
            } else {
                errors.add(
                    "status",
                    format!("must be one or more of {}", STATUSES.join(", ")),
                );
            }
        }
    }
    let q = one("q").filter(|s| !s.is_empty());
    if q.as_ref().is_some_and(|s| s.chars().count() > 100) {
        errors.add("q", "must be at most 100 characters");
    }
    let int = |name: &str, default: i64, min: i64, max: i64, errors: &mut FieldErrors| -> i64 {
        match one(name) {
            None => default,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    errors.add(name, format!("must be a whole number from {min} to {max}"));
                    default
                }
            },
        }
    };
    let (page, limit) = if paginate {
        (
            int("page", 1, 1, 1_000_000, &mut errors),
            int("limit", 20, 1, 100, &mut errors),
        )
    } else {
        (1, 0)
    };
    errors.into_result()?;
    Ok(Filters {
        from,
        to,
        statuses,
        q,
        page,
        limit,
        label: (
            from_raw.unwrap_or_else(|| "start".into()),
            to_raw.unwrap_or_else(|| "now".into()),
        ),
    })
}

/// `%`, `_` and `\\` in a search are literal characters, not patterns.
pub fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
        m
    }

    fn field(e: ApiError) -> String {
        e.to_body("r")["details"]["fields"]
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    }

    #[test]
    fn dates_are_whole_indian_days() -> Result<(), ApiError> {
        let f = parse(
            &params(&[("from", "2026-11-30"), ("to", "2026-11-30")]),
            true,
        )?;
        assert_eq!(
            f.from.map(|t| t.to_rfc3339()),
            Some("2026-11-29T18:30:00+00:00".into())
        );
        assert_eq!(
            f.to.map(|t| t.to_rfc3339()),
            Some("2026-11-30T18:30:00+00:00".into())
        );
        Ok(())
    }

    #[test]
    fn bad_parameters_are_named() {
        for (k, v) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "-1"),
            ("limit", "abc"),
            ("page", "0"),
            ("from", "yesterday"),
            ("status", "paid"),
        ] {
            let e = parse(&params(&[(k, v)]), true).err().map(field);
            assert_eq!(e.as_deref(), Some(k), "{k}={v}");
        }
        let e = parse(
            &params(&[("from", "2026-11-02"), ("to", "2026-11-01")]),
            true,
        )
        .err()
        .map(field);
        assert_eq!(e.as_deref(), Some("to"));
    }

    #[test]
    fn statuses_repeat_or_comma_separate() -> Result<(), ApiError> {
        let f = parse(
            &params(&[
                ("status", "captured,failed"),
                ("status", "refunded"),
                ("status", "captured"),
            ]),
            true,
        )?;
        assert_eq!(f.statuses, vec!["captured", "failed", "refunded"]);
        Ok(())
    }

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}

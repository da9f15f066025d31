//! India Standard Time, UTC+05:30 all year (no daylight saving since 1945): business days and
//! admin-facing times. A fixed offset, so functions that only need IST do not link the IANA
//! zone database (chrono-tz), which only the scheduling functions need (parents abroad).
use chrono::FixedOffset;

pub const OFFSET_SECONDS: i32 = 5 * 3600 + 30 * 60;

pub const IST: FixedOffset = match FixedOffset::east_opt(OFFSET_SECONDS) {
    Some(o) => o,
    None => panic!("+05:30 is a valid offset"),
};

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn ist_matches_the_zone_database_for_asia_kolkata() {
        for secs in [0i64, 1_700_000_000, 1_795_514_400, 2_000_000_000] {
            let Some(t) = Utc.timestamp_opt(secs, 0).single() else {
                continue;
            };
            assert_eq!(
                t.with_timezone(&super::IST).to_rfc3339(),
                t.with_timezone(&chrono_tz::Asia::Kolkata).to_rfc3339()
            );
        }
    }
}

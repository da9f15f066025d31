//! IANA time zones for the slot search (parents abroad pass any zone; a coach's zone is on their
//! row), read from jiff's bundled copy of the tz database and put behind chrono's `TimeZone`, so
//! the slot rule keeps chrono's types. jiff bundles the database as the TZif files in one byte
//! string, parsed when a zone is first asked for; chrono-tz compiled every zone's transitions
//! into pointer tables that the dynamic loader relocated at every cold start (available-slots
//! started at 2.1x an empty binary for it; README, "Size and cold start").
use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use std::fmt;

/// A named IANA zone.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone(jiff::tz::TimeZone);

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Zone {
    /// The zone of that exact IANA name (`Asia/Kolkata`, `Europe/London`, `UTC`, links such as
    /// `US/Eastern`); names are case-sensitive as in the database.
    pub fn named(name: &str) -> Option<Zone> {
        let tz = jiff::tz::TimeZone::get(name).ok()?;
        (tz.iana_name() == Some(name)).then_some(Zone(tz))
    }

    pub fn kolkata() -> Zone {
        Zone::named("Asia/Kolkata").unwrap_or_else(|| {
            let ist = jiff::tz::Offset::from_seconds(crate::common::ist::OFFSET_SECONDS)
                .unwrap_or(jiff::tz::Offset::UTC);
            Zone(jiff::tz::TimeZone::fixed(ist))
        })
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("Asia/Kolkata")
    }

    fn at(&self, offset: jiff::tz::Offset, utc_seconds: i64) -> ZoneOffset {
        ZoneOffset {
            zone: self.clone(),
            fixed: fixed(offset),
            utc_seconds,
        }
    }
}

fn fixed(offset: jiff::tz::Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds()).unwrap_or(crate::common::ist::IST)
}

/// The offset in force at one instant, with its zone (chrono rebuilds a zone from an offset)
/// and the instant (for its abbreviation, which `%Z` prints).
#[derive(Clone)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
    utc_seconds: i64,
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.zone.name(), self.fixed)
    }
}

/// The abbreviation (`IST`, `BST`, `EST`), as chrono-tz printed it for `%Z`.
impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_second(self.utc_seconds) {
            Ok(ts) => f.write_str(self.zone.0.to_offset_info(ts).abbreviation()),
            Err(_) => write!(f, "{}", self.fixed),
        }
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(local.month()).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        i32::try_from(local.nanosecond()).ok()?,
    )
    .ok()
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    /// One offset, none in a gap (the clock skips the time), two in a fold (earlier first).
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        use jiff::tz::AmbiguousOffset;
        let Some(dt) = civil(local) else {
            return LocalResult::None;
        };
        let local_seconds = local.and_utc().timestamp();
        let at = |o: jiff::tz::Offset| self.at(o, local_seconds - i64::from(o.seconds()));
        match self.0.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(at(offset)),
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(at(before), at(after))
            }
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        let seconds = utc.and_utc().timestamp();
        let offset = jiff::Timestamp::from_second(seconds)
            .map(|ts| self.0.to_offset(ts))
            .unwrap_or(jiff::tz::Offset::UTC);
        self.at(offset, seconds)
    }
}

#[cfg(test)]
mod tests {
    //! chrono-tz (a test dependency only) is the oracle: the two databases agree.
    use super::Zone;
    use chrono::{DateTime, Duration, LocalResult, NaiveDate, TimeZone, Utc};

    const ZONES: [&str; 8] = [
        "Asia/Kolkata",
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Dubai",
        "Asia/Kathmandu",
        "America/Sao_Paulo",
        "Pacific/Chatham",
    ];

    fn zone(name: &str) -> Zone {
        Zone::named(name).unwrap_or_else(|| panic!("{name} is in the database"))
    }

    #[test]
    fn names_are_exact_iana_names() {
        assert!(Zone::named("Europe/London").is_some());
        assert!(Zone::named("US/Eastern").is_some());
        assert!(Zone::named("UTC").is_some());
        assert_eq!(zone("Asia/Kolkata").name(), "Asia/Kolkata");
        for bad in [
            "europe/london",
            "Mars/Olympus",
            "",
            "+05:30",
            "Asia/Kolkata ",
        ] {
            assert!(Zone::named(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn instants_read_in_every_zone_agree_with_chrono_tz_over_two_years() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
        let Some(start) = start else { return };
        for name in ZONES {
            let ours = zone(name);
            let theirs: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
            // Every 97 minutes for two years crosses each transition at many minutes of the day.
            let mut t = start;
            while t < start + Duration::days(730) {
                let a = t.with_timezone(&ours);
                let b = t.with_timezone(&theirs);
                assert_eq!(a.naive_local(), b.naive_local(), "{name} at {t}");
                assert_eq!(
                    a.format("%Z").to_string(),
                    b.format("%Z").to_string(),
                    "{name} at {t}"
                );
                t += Duration::minutes(97);
            }
        }
    }

    /// A local time's instants: none in a gap, one, or two in a fold (earlier first).
    fn instants<T: TimeZone>(r: LocalResult<DateTime<T>>) -> Vec<DateTime<Utc>> {
        match r {
            LocalResult::Single(a) => vec![a.with_timezone(&Utc)],
            LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
            LocalResult::None => vec![],
        }
    }

    #[test]
    fn local_times_agree_with_chrono_tz_in_gaps_and_folds() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for name in ZONES {
            let ours = zone(name);
            let theirs: chrono_tz::Tz = name.parse().unwrap_or(chrono_tz::UTC);
            for date in [
                day(2026, 3, 8),
                day(2026, 3, 29),
                day(2026, 4, 5),
                day(2026, 9, 27),
                day(2026, 10, 4),
                day(2026, 10, 25),
                day(2026, 11, 1),
            ]
            .into_iter()
            .flatten()
            {
                for minute in (0..24 * 60).step_by(15) {
                    let Some(local) = date.and_hms_opt(minute / 60, minute % 60, 0) else {
                        continue;
                    };
                    assert_eq!(
                        instants(ours.from_local_datetime(&local)),
                        instants(theirs.from_local_datetime(&local)),
                        "{name} {local}"
                    );
                }
            }
        }
    }

    #[test]
    fn london_skips_and_repeats_an_hour() {
        let london = zone("Europe/London");
        let local =
            |m, d, h| NaiveDate::from_ymd_opt(2026, m, d).and_then(|d| d.and_hms_opt(h, 30, 0));
        let Some(gap) = local(3, 29, 1) else { return };
        assert_eq!(london.from_local_datetime(&gap), LocalResult::None);
        let Some(fold) = local(10, 25, 1) else { return };
        match london.from_local_datetime(&fold) {
            LocalResult::Ambiguous(bst, gmt) => {
                assert_eq!(bst.to_rfc3339(), "2026-10-25T01:30:00+01:00");
                assert_eq!(gmt.to_rfc3339(), "2026-10-25T01:30:00+00:00");
                assert_eq!(bst.format("%Z").to_string(), "BST");
                assert_eq!(gmt.format("%Z").to_string(), "GMT");
            }
            other => panic!("expected a fold, got {other:?}"),
        }
    }
}

//! How the list's exact `total` is counted at a cost that does not grow with the table: the whole
//! India days inside `[from, to)` are summed from the per-day × status counts
//! (`payment_day_counts`), the whole India hours of a first or last day that the range covers in
//! part from the per-hour × status counts (`payment_hour_counts`), and only the minutes before
//! the first whole hour and after the last one are counted from the payments themselves (at most
//! two spans, each under an hour, read through the `created_at` index).
use super::filters::ist_midnight;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalPlan {
    /// Whole days `[first, end)` summed from the day counts (`None` bounds are open); `None`
    /// when the range holds no whole day.
    pub days: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Whole India wall-clock hours `[start, end)` summed from the hour counts.
    pub hours: Vec<(NaiveDateTime, NaiveDateTime)>,
    /// Instants `[start, end)` counted from the payments, each inside one India hour.
    pub direct: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The India date an instant falls on.
pub fn ist_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&crate::common::ist::IST).date_naive()
}

/// The India wall-clock time of an instant.
fn ist_local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&crate::common::ist::IST).naive_local()
}

/// The instant of an India wall-clock time (a fixed offset: always exactly one).
fn ist_instant(local: NaiveDateTime) -> DateTime<Utc> {
    crate::common::ist::IST
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local) - Duration::minutes(330))
}

/// The India hour an instant falls in, as wall-clock time.
fn hour_of(t: DateTime<Utc>) -> NaiveDateTime {
    let l = ist_local(t);
    l.date().and_hms_opt(l.hour(), 0, 0).unwrap_or(l)
}

/// Splits `[start, end)` (inside a day, or across at most two partial days) into the whole India
/// hours it covers and the parts of an hour at either end.
fn split(plan: &mut TotalPlan, start: DateTime<Utc>, end: DateTime<Utc>) {
    if start >= end {
        return;
    }
    let first = {
        let h = hour_of(start);
        if ist_instant(h) == start {
            h
        } else {
            h + Duration::hours(1)
        }
    };
    let last = hour_of(end);
    if first >= last {
        plan.direct.push((start, end));
        return;
    }
    let (first_at, last_at) = (ist_instant(first), ist_instant(last));
    if start < first_at {
        plan.direct.push((start, first_at));
    }
    plan.hours.push((first, last));
    if last_at < end {
        plan.direct.push((last_at, end));
    }
}

pub fn plan(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> TotalPlan {
    // The first whole day starts at or after `from`; the day holding `to` is not whole (`to` is
    // exclusive, so a `to` at midnight leaves that day out entirely).
    let first = from.map(|f| {
        let d = ist_date(f);
        if ist_midnight(d) == f {
            d
        } else {
            d.succ_opt().unwrap_or(d)
        }
    });
    let end = to.map(ist_date);
    let mut plan = TotalPlan {
        days: None,
        hours: Vec::new(),
        direct: Vec::new(),
    };
    if let (Some(f), Some(t), Some(first), Some(end)) = (from, to, first, end) {
        if first >= end {
            split(&mut plan, f, t);
            return plan;
        }
    }
    if let (Some(f), Some(first)) = (from, first) {
        split(&mut plan, f, ist_midnight(first));
    }
    if let (Some(t), Some(end)) = (to, end) {
        split(&mut plan, ist_midnight(end), t);
    }
    plan.days = Some((first, end));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        crate::common::ist::IST
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }
    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }
    fn wall(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        day(y, m, d).and_hms_opt(h, 0, 0).unwrap_or_default()
    }

    #[test]
    fn no_bounds_sum_every_day() {
        assert_eq!(
            plan(None, None),
            TotalPlan {
                days: Some((None, None)),
                hours: vec![],
                direct: vec![]
            }
        );
    }

    #[test]
    fn whole_days_come_from_the_day_counts() {
        // ?from=2026-11-01&to=2026-11-30: IST midnights, `to` the day after.
        let p = plan(Some(ist(2026, 11, 1, 0, 0)), Some(ist(2026, 12, 1, 0, 0)));
        assert_eq!(
            p.days,
            Some((Some(day(2026, 11, 1)), Some(day(2026, 12, 1))))
        );
        assert!(p.hours.is_empty());
        assert!(p.direct.is_empty());
    }

    #[test]
    fn partial_days_come_from_the_hour_counts_and_only_minutes_from_the_rows() {
        let (f, t) = (ist(2026, 11, 1, 9, 30), ist(2026, 11, 5, 17, 20));
        let p = plan(Some(f), Some(t));
        assert_eq!(
            p.days,
            Some((Some(day(2026, 11, 2)), Some(day(2026, 11, 5))))
        );
        // 10:00 to midnight on the 1st, midnight to 17:00 on the 5th.
        assert_eq!(
            p.hours,
            vec![
                (wall(2026, 11, 1, 10), wall(2026, 11, 2, 0)),
                (wall(2026, 11, 5, 0), wall(2026, 11, 5, 17))
            ]
        );
        assert_eq!(
            p.direct,
            vec![(f, ist(2026, 11, 1, 10, 0)), (ist(2026, 11, 5, 17, 0), t)]
        );
    }

    #[test]
    fn an_instant_on_the_hour_counts_nothing_directly() {
        // 14:00 IST is 08:30 UTC: India hours, not UTC ones.
        let f = ist(2026, 10, 22, 14, 0);
        let p = plan(Some(f), None);
        assert_eq!(p.days, Some((Some(day(2026, 10, 23)), None)));
        assert_eq!(
            p.hours,
            vec![(wall(2026, 10, 22, 14), wall(2026, 10, 23, 0))]
        );
        assert!(p.direct.is_empty());
    }

    #[test]
    fn a_range_inside_one_day_or_two_partial_days() {
        let (f, t) = (ist(2026, 11, 1, 9, 0), ist(2026, 11, 1, 18, 0));
        assert_eq!(
            plan(Some(f), Some(t)),
            TotalPlan {
                days: None,
                hours: vec![(wall(2026, 11, 1, 9), wall(2026, 11, 1, 18))],
                direct: vec![]
            }
        );
        let (f, t) = (ist(2026, 11, 1, 9, 15), ist(2026, 11, 2, 18, 45));
        let p = plan(Some(f), Some(t));
        assert_eq!(p.days, None);
        assert_eq!(
            p.hours,
            vec![(wall(2026, 11, 1, 10), wall(2026, 11, 2, 18))]
        );
        assert_eq!(
            p.direct,
            vec![(f, ist(2026, 11, 1, 10, 0)), (ist(2026, 11, 2, 18, 0), t)]
        );
        // Inside one hour: only the rows.
        let (f, t) = (ist(2026, 11, 1, 9, 15), ist(2026, 11, 1, 9, 45));
        let p = plan(Some(f), Some(t));
        assert_eq!((p.days, p.hours, p.direct), (None, vec![], vec![(f, t)]));
        // Across one hour's end but no whole hour.
        let (f, t) = (ist(2026, 11, 1, 9, 15), ist(2026, 11, 1, 10, 5));
        let p = plan(Some(f), Some(t));
        assert_eq!((p.days, p.hours, p.direct), (None, vec![], vec![(f, t)]));
    }

    #[test]
    fn one_open_bound() {
        let f = ist(2026, 11, 1, 23, 59);
        let p = plan(Some(f), None);
        assert_eq!(p.days, Some((Some(day(2026, 11, 2)), None)));
        assert!(p.hours.is_empty());
        assert_eq!(p.direct, vec![(f, ist(2026, 11, 2, 0, 0))]);
        let t = ist(2026, 11, 3, 0, 1);
        let p = plan(None, Some(t));
        assert_eq!(p.days, Some((None, Some(day(2026, 11, 3)))));
        assert_eq!(p.direct, vec![(ist(2026, 11, 3, 0, 0), t)]);
    }

    #[test]
    fn every_instant_of_the_range_is_counted_exactly_once() {
        // Walk a range's minutes: each is in exactly one of days, hours or direct.
        let (f, t) = (ist(2026, 11, 1, 21, 17), ist(2026, 11, 4, 2, 43));
        let p = plan(Some(f), Some(t));
        let mut m = ist(2026, 11, 1, 20, 0);
        while m < ist(2026, 11, 4, 4, 0) {
            let in_days = p.days.is_some_and(|(a, b)| {
                let d = ist_date(m);
                a.is_none_or(|a| d >= a) && b.is_none_or(|b| d < b)
            });
            let in_hours = p
                .hours
                .iter()
                .filter(|(a, b)| ist_local(m) >= *a && ist_local(m) < *b)
                .count();
            let in_direct = p.direct.iter().filter(|(a, b)| m >= *a && m < *b).count();
            let expected = usize::from(m >= f && m < t);
            assert_eq!(usize::from(in_days) + in_hours + in_direct, expected, "{m}");
            m += Duration::minutes(1);
        }
    }
}

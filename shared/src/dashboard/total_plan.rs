//! How the list's exact `total` is counted at a cost that does not grow with the table: the whole
//! India days inside `[from, to)` are summed from the per-day × status counts
//! (`payment_day_counts`), and only the part of a first or last day that the range covers in
//! part is counted from the payments themselves (at most two partial days, each read through
//! the `created_at` index). A range within one day is counted directly.
use super::filters::ist_midnight;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalPlan {
    /// Whole days `[first, end)` summed from the counts (`None` bounds are open); `None` when
    /// the range holds no whole day.
    pub days: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Instants `[start, end)` counted from the payments.
    pub direct: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The India date an instant falls on.
pub fn ist_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&crate::common::ist::IST).date_naive()
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
    if let (Some(f), Some(t), Some(first), Some(end)) = (from, to, first, end) {
        if first >= end {
            return TotalPlan {
                days: None,
                direct: vec![(f, t)],
            };
        }
    }
    let mut direct = Vec::new();
    if let (Some(f), Some(first)) = (from, first) {
        let start_of_first = ist_midnight(first);
        if f < start_of_first {
            direct.push((f, start_of_first));
        }
    }
    if let (Some(t), Some(end)) = (to, end) {
        let start_of_end = ist_midnight(end);
        if start_of_end < t {
            direct.push((start_of_end, t));
        }
    }
    TotalPlan {
        days: Some((first, end)),
        direct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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

    #[test]
    fn no_bounds_sum_every_day() {
        assert_eq!(
            plan(None, None),
            TotalPlan {
                days: Some((None, None)),
                direct: vec![]
            }
        );
    }

    #[test]
    fn whole_days_come_from_the_counts() {
        // ?from=2026-11-01&to=2026-11-30: IST midnights, `to` the day after.
        let p = plan(Some(ist(2026, 11, 1, 0, 0)), Some(ist(2026, 12, 1, 0, 0)));
        assert_eq!(
            p.days,
            Some((Some(day(2026, 11, 1)), Some(day(2026, 12, 1))))
        );
        assert!(p.direct.is_empty());
    }

    #[test]
    fn partial_first_and_last_days_are_counted_directly() {
        let (f, t) = (ist(2026, 11, 1, 9, 30), ist(2026, 11, 5, 17, 0));
        let p = plan(Some(f), Some(t));
        assert_eq!(
            p.days,
            Some((Some(day(2026, 11, 2)), Some(day(2026, 11, 5))))
        );
        assert_eq!(
            p.direct,
            vec![(f, ist(2026, 11, 2, 0, 0)), (ist(2026, 11, 5, 0, 0), t)]
        );
    }

    #[test]
    fn a_range_inside_one_day_or_two_partial_days_is_counted_directly() {
        let (f, t) = (ist(2026, 11, 1, 9, 0), ist(2026, 11, 1, 18, 0));
        assert_eq!(
            plan(Some(f), Some(t)),
            TotalPlan {
                days: None,
                direct: vec![(f, t)]
            }
        );
        let (f, t) = (ist(2026, 11, 1, 9, 0), ist(2026, 11, 2, 18, 0));
        assert_eq!(plan(Some(f), Some(t)).days, None);
    }

    #[test]
    fn one_open_bound() {
        let f = ist(2026, 11, 1, 23, 59);
        let p = plan(Some(f), None);
        assert_eq!(p.days, Some((Some(day(2026, 11, 2)), None)));
        assert_eq!(p.direct, vec![(f, ist(2026, 11, 2, 0, 0))]);
        let t = ist(2026, 11, 3, 0, 1);
        let p = plan(None, Some(t));
        assert_eq!(p.days, Some((None, Some(day(2026, 11, 3)))));
        assert_eq!(p.direct, vec![(ist(2026, 11, 3, 0, 0), t)]);
    }
}

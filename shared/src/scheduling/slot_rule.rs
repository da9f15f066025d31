//! The slot rule (gap 6): which start times a session may move to. One function decides both the
//! list a parent sees and whether a reschedule is accepted, so the two can never disagree.
//!
//! A start `t` is offered for session S (duration `d`) iff:
//! - `t` is not S's current start;
//! - `t` is on the grid of the coach's local clock (every `grid` minutes from midnight) and
//!   `[t, t+d)` lies inside one availability window of that local weekday, the window read in the
//!   coach's zone on that date (so it follows the coach's DST);
//! - `now + notice ≤ t < now + horizon`;
//! - `[t, t+d)` overlaps no busy interval: the coach's other active sessions, their time off, the
//!   child's other active sessions.
use super::zone::Zone;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub notice: Duration,
    pub horizon: Duration,
    pub grid_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            notice: Duration::hours(24),
            horizon: Duration::days(60),
            grid_minutes: 30,
        }
    }
}

/// A weekly availability window in the coach's zone; `weekday` is ISO (Monday = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub weekday: u32,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A time the session cannot overlap, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Everything the rule reads about one session.
#[derive(Debug, Clone)]
pub struct Context {
    pub coach_zone: Zone,
    pub windows: Vec<Window>,
    /// Other active sessions of the coach and of the child (not this one), and time off.
    pub busy: Vec<Busy>,
    pub current_start: Option<DateTime<Utc>>,
    pub duration: Duration,
    pub now: DateTime<Utc>,
    pub settings: Settings,
}

/// A local wall-clock time in `zone` as an instant: the earlier one when the clock repeats
/// (autumn), none when the clock skips it (spring).
fn instant(zone: &Zone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

fn overlaps(a_start: DateTime<Utc>, a_end: DateTime<Utc>, b: &Busy) -> bool {
    a_start < b.end && b.start < a_end
}

/// Whether `t` passes every part of the rule except the window and grid (which `offered`
/// checks by construction).
fn free(ctx: &Context, t: DateTime<Utc>) -> bool {
    let end = t + ctx.duration;
    Some(t) != ctx.current_start
        && t >= ctx.now + ctx.settings.notice
        && t < ctx.now + ctx.settings.horizon
        && !ctx.busy.iter().any(|b| overlaps(t, end, b))
}

/// Every offered start in `[from, to)`, ascending, without repeats.
pub fn offered(ctx: &Context, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let grid = i64::from(ctx.settings.grid_minutes.max(1));
    let lo = from.max(ctx.now + ctx.settings.notice);
    let hi = to.min(ctx.now + ctx.settings.horizon);
    if lo >= hi || ctx.duration <= Duration::zero() {
        return vec![];
    }
    let first_day = lo.with_timezone(&ctx.coach_zone).date_naive() - Duration::days(1);
    let last_day = hi.with_timezone(&ctx.coach_zone).date_naive() + Duration::days(1);
    let mut out = Vec::new();
    let mut day: NaiveDate = first_day;
    while day <= last_day {
        let weekday = day.weekday().number_from_monday();
        for w in ctx.windows.iter().filter(|w| w.weekday == weekday) {
            let (Some(w_start), Some(w_end)) = (
                instant(&ctx.coach_zone, day.and_time(w.start)),
                instant(&ctx.coach_zone, day.and_time(w.end)),
            ) else {
                continue;
            };
            // Grid points of the local clock inside the window.
            let first_minute = i64::from(w.start.num_seconds_from_midnight()).div_euclid(60);
            let mut minute = (first_minute + grid - 1).div_euclid(grid) * grid;
            while minute < 24 * 60 {
                let Some(local) =
                    NaiveTime::from_hms_opt((minute / 60) as u32, (minute % 60) as u32, 0)
                else {
                    break;
                };
                if local >= w.end {
                    break;
                }
                minute += grid;
                let Some(t) = instant(&ctx.coach_zone, day.and_time(local)) else {
                    continue;
                };
                if t < w_start || t + ctx.duration > w_end || t < lo || t >= hi {
                    continue;
                }
                if free(ctx, t) {
                    out.push(t);
                }
            }
        }
        day += Duration::days(1);
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a move to `t` is allowed: exactly when `offered` lists it.
pub fn allows(ctx: &Context, t: DateTime<Utc>) -> bool {
    offered(ctx, t, t + Duration::microseconds(1)).contains(&t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    fn weekdays(start: NaiveTime, end: NaiveTime) -> Vec<Window> {
        (1..=5)
            .map(|weekday| Window {
                weekday,
                start,
                end,
            })
            .collect()
    }

    fn zone(name: &str) -> Zone {
        Zone::named(name).unwrap_or_else(Zone::kolkata)
    }

    fn ctx(now: &str) -> Context {
        Context {
            coach_zone: Zone::kolkata(),
            windows: weekdays(hm(16, 0), hm(19, 0)),
            busy: vec![],
            current_start: None,
            duration: Duration::minutes(45),
            now: utc(now),
            settings: Settings::default(),
        }
    }

    #[test]
    fn a_window_gives_grid_starts_that_fit_the_duration() {
        // Monday 2026-11-30, 16:00–19:00 IST = 10:30–13:30 UTC; 45 min sessions: 16:00 … 18:00.
        let c = ctx("2026-11-25T00:00:00Z");
        let got = offered(&c, utc("2026-11-30T00:00:00Z"), utc("2026-12-01T00:00:00Z"));
        let want: Vec<DateTime<Utc>> = ["10:30", "11:00", "11:30", "12:00", "12:30"]
            .iter()
            .map(|t| utc(&format!("2026-11-30T{t}:00Z")))
            .collect();
        assert_eq!(got, want);
        // 18:30 IST would end at 19:15, past the window.
        assert!(!allows(&c, utc("2026-11-30T13:00:00Z")));
        // Off the grid.
        assert!(!allows(&c, utc("2026-11-30T10:45:00Z")));
        // Saturday has no window.
        assert!(offered(&c, utc("2026-11-28T00:00:00Z"), utc("2026-11-30T00:00:00Z")).is_empty());
    }

    #[test]
    fn notice_horizon_current_start_and_busy_times_are_refused() {
        let mut c = ctx("2026-11-29T11:00:00Z");
        // Notice: Monday 10:30 UTC is less than 24 h after Sunday 11:00; 11:00 is exactly 24 h.
        assert!(!allows(&c, utc("2026-11-30T10:30:00Z")));
        assert!(allows(&c, utc("2026-11-30T11:00:00Z")));
        // Horizon: 60 days.
        assert!(!allows(&c, utc("2027-02-01T11:00:00Z")));
        c.current_start = Some(utc("2026-11-30T11:30:00Z"));
        assert!(!allows(&c, utc("2026-11-30T11:30:00Z")));
        // A busy interval [12:00, 12:45) blocks starts whose session would touch it.
        c.busy.push(Busy {
            start: utc("2026-11-30T12:00:00Z"),
            end: utc("2026-11-30T12:45:00Z"),
        });
        assert!(!allows(&c, utc("2026-11-30T11:30:00Z")));
        assert!(!allows(&c, utc("2026-11-30T12:30:00Z")));
        // Back to back is fine: 11:00 ends at 11:45; and a start when the busy one ends.
        assert!(allows(&c, utc("2026-11-30T11:00:00Z")));
        c.busy[0].end = utc("2026-11-30T12:30:00Z");
        assert!(allows(&c, utc("2026-11-30T12:30:00Z")));
    }

    #[test]
    fn a_coach_with_dst_keeps_their_local_hours() {
        // A coach in London, 09:00–10:00 on Sundays: 09:00 UTC before the change (BST ends on
        // 2026-10-25), 09:00 UTC after too (GMT), 08:00 UTC on the Sunday before in BST.
        let mut c = ctx("2026-10-01T00:00:00Z");
        c.coach_zone = zone("Europe/London");
        c.windows = vec![Window {
            weekday: 7,
            start: hm(9, 0),
            end: hm(10, 0),
        }];
        c.duration = Duration::minutes(60);
        let got = offered(&c, utc("2026-10-17T00:00:00Z"), utc("2026-11-02T00:00:00Z"));
        assert_eq!(
            got,
            vec![
                utc("2026-10-18T08:00:00Z"),
                utc("2026-10-25T09:00:00Z"),
                utc("2026-11-01T09:00:00Z")
            ]
        );
    }

    #[test]
    fn a_week_across_a_dst_change_in_the_parents_zone() {
        // The parent in New York asks for the week of 2026-11-01 (DST ends that Sunday at 02:00):
        // 7 days from local midnight is 7 × 24 h + 1 h. A coach in Kolkata, 16:00–19:00 weekdays.
        let ny = chrono_tz::America::New_York;
        let c = ctx("2026-10-20T00:00:00Z");
        let from = ny
            .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc));
        let to = ny
            .with_ymd_and_hms(2026, 11, 8, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc));
        let (Some(from), Some(to)) = (from, to) else {
            panic!("no local midnight")
        };
        assert_eq!(to - from, Duration::hours(7 * 24 + 1));
        let got = offered(&c, from, to);
        // Monday to Friday, 5 starts each; the coach's hours do not move (IST has no DST)…
        assert_eq!(got.len(), 25);
        assert!(got.iter().all(|t| {
            let local = t.with_timezone(&chrono_tz::Asia::Kolkata);
            (16..19).contains(&local.hour())
        }));
        // … but the parent sees them an hour later in their own clock after the change:
        // Friday 2026-10-30 16:00 IST was 06:30 EDT; Monday 2026-11-02 16:00 IST is 05:30 EST.
        let first = got
            .first()
            .map(|t| t.with_timezone(&ny).format("%a %H:%M %Z").to_string());
        assert_eq!(first.as_deref(), Some("Mon 05:30 EST"));
        // London's change is a week earlier (2026-10-25): the same IST slot reads 10:30 GMT.
        let london = got[0]
            .with_timezone(&chrono_tz::Europe::London)
            .format("%H:%M %Z")
            .to_string();
        assert_eq!(london, "10:30 GMT");
    }

    #[test]
    fn a_window_in_a_skipped_hour_offers_only_real_times() {
        // New York springs forward on 2027-03-14: 02:00–03:00 does not exist that day.
        let mut c = ctx("2027-03-01T00:00:00Z");
        c.coach_zone = zone("America/New_York");
        c.windows = vec![Window {
            weekday: 7,
            start: hm(1, 0),
            end: hm(4, 0),
        }];
        c.duration = Duration::minutes(30);
        let got = offered(&c, utc("2027-03-14T00:00:00Z"), utc("2027-03-15T00:00:00Z"));
        let local: Vec<String> = got
            .iter()
            .map(|t| {
                t.with_timezone(&chrono_tz::America::New_York)
                    .format("%H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(local, vec!["01:00", "01:30", "03:00", "03:30"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Every offered slot passes the check, sits in the range, and overlaps no busy time.
        #[test]
        fn offered_slots_are_allowed_and_never_overlap(
            day_offset in 0i64..20,
            busy in proptest::collection::vec((0i64..(14 * 24 * 4), 1i64..12), 0..12),
            start_h in 0u32..22,
            len_h in 1u32..3,
            minutes in prop_oneof![Just(30i64), Just(45), Just(60), Just(90)],
        ) {
            let mut c = ctx("2026-11-25T06:00:00Z");
            c.coach_zone = zone("Europe/London");
            c.windows = (1..=7).map(|weekday| Window { weekday, start: hm(start_h, 0), end: hm((start_h + len_h).min(23), 59) }).collect();
            c.duration = Duration::minutes(minutes);
            let base = c.now;
            c.busy = busy.iter().map(|(q, len)| Busy { start: base + Duration::minutes(q * 15), end: base + Duration::minutes(q * 15 + len * 15) }).collect();
            c.current_start = Some(base + Duration::days(2));
            let from = base + Duration::days(day_offset);
            let to = from + Duration::days(7);
            let got = offered(&c, from, to);
            for t in &got {
                prop_assert!(allows(&c, *t));
                prop_assert!(*t >= from && *t < to);
                prop_assert!(*t >= c.now + c.settings.notice);
                let end = *t + c.duration;
                prop_assert!(!c.busy.iter().any(|b| *t < b.end && b.start < end));
                let local = t.with_timezone(&c.coach_zone);
                prop_assert_eq!(local.minute() % 30, 0);
            }
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

//! Proration in integer paise. Refund for the unused sessions, coach settlement for the
//! completed ones at the coach's percentage, the platform keeps the rest. Rounding is half up,
//! as the seed's `Math.round`, but exact: no floating point touches money.
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calculation {
    pub original_amount: i64,
    pub sessions_total: i32,
    pub sessions_completed: i32,
    pub sessions_remaining: i32,
    pub refund_amount: i64,
    pub coach_settlement: i64,
    pub platform_retention: i64,
    pub full_refund: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("the enrollment has no sessions to prorate over")]
    NoSessions,
    #[error("the amount paid is negative")]
    NegativeAmount,
    #[error("the coach cost percentage must be 0 to 100")]
    BadPercent,
}

/// `numerator / denominator` rounded half up, for numerator ≥ 0 and denominator > 0.
fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// The prorated split. Completed sessions beyond the total count as the total.
pub fn prorate(
    amount: i64,
    sessions_total: i32,
    sessions_completed: i32,
    coach_percent: u8,
) -> Result<Calculation, CalcError> {
    if sessions_total <= 0 {
        return Err(CalcError::NoSessions);
    }
    if amount < 0 {
        return Err(CalcError::NegativeAmount);
    }
    if coach_percent > 100 {
        return Err(CalcError::BadPercent);
    }
    let completed = sessions_completed.clamp(0, sessions_total);
    let remaining = sessions_total - completed;
    let (a, t) = (i128::from(amount), i128::from(sessions_total));
    let refund = div_round_half_up(a * i128::from(remaining), t);
    let coach = div_round_half_up(
        a * i128::from(coach_percent) * i128::from(completed),
        100 * t,
    );
    // Rounding both parts up can overshoot by a paisa; the coach part gives it back.
    let coach = coach.min(a - refund);
    let platform = a - refund - coach;
    Ok(Calculation {
        original_amount: amount,
        sessions_total,
        sessions_completed: completed,
        sessions_remaining: remaining,
        refund_amount: i64::try_from(refund).unwrap_or(amount),
        coach_settlement: i64::try_from(coach).unwrap_or(0),
        platform_retention: i64::try_from(platform).unwrap_or(0),
        full_refund: false,
    })
}

/// Full refund when asked within 24 hours of the payment's capture and before any session was
/// completed (the seed measured from enrollment creation, which is wrong).
pub fn is_full_refund_eligible(
    captured_at: DateTime<Utc>,
    now: DateTime<Utc>,
    sessions_completed: i32,
) -> bool {
    sessions_completed == 0 && now >= captured_at && now - captured_at < Duration::hours(24)
}

pub fn quote(
    amount: i64,
    sessions_total: i32,
    sessions_completed: i32,
    coach_percent: u8,
    captured_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Calculation, CalcError> {
    let mut c = prorate(amount, sessions_total, sessions_completed, coach_percent)?;
    if captured_at.is_some_and(|at| is_full_refund_eligible(at, now, c.sessions_completed)) {
        c.refund_amount = amount;
        c.coach_settlement = 0;
        c.platform_retention = 0;
        c.full_refund = true;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked_example_from_the_issue() -> Result<(), CalcError> {
        let c = prorate(24000, 8, 3, 50)?;
        assert_eq!(
            (c.refund_amount, c.coach_settlement, c.platform_retention),
            (15000, 4500, 4500)
        );
        assert_eq!(c.sessions_remaining, 5);
        Ok(())
    }

    #[test]
    fn rounds_half_up_like_math_round() -> Result<(), CalcError> {
        // 1001 * 1 / 2 = 500.5 → 501 (Math.round(500.5) = 501)
        let c = prorate(1001, 2, 1, 0)?;
        assert_eq!(c.refund_amount, 501);
        // 1000 * 2 / 3 = 666.67 → 667; coach 1000*0.5*1/3 = 166.67 → 167
        let c = prorate(1000, 3, 1, 50)?;
        assert_eq!(
            (c.refund_amount, c.coach_settlement, c.platform_retention),
            (667, 167, 166)
        );
        // 100 * 1 / 3 = 33.33 → 33
        assert_eq!(prorate(100, 3, 2, 0)?.refund_amount, 33);
        Ok(())
    }

    #[test]
    fn overshoot_from_rounding_never_makes_platform_negative() -> Result<(), CalcError> {
        let c = prorate(1, 2, 1, 100)?;
        assert_eq!(
            c.refund_amount + c.coach_settlement + c.platform_retention,
            1
        );
        assert!(c.platform_retention >= 0);
        Ok(())
    }

    #[test]
    fn refuses_enrollments_without_sessions() {
        assert_eq!(prorate(1000, 0, 0, 50), Err(CalcError::NoSessions));
    }

    #[test]
    fn full_refund_window_is_24h_from_capture() -> Result<(), CalcError> {
        let captured = DateTime::parse_from_rfc3339("2026-11-01T10:00:00+05:30")
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| CalcError::NoSessions)?;
        let inside = captured + Duration::hours(23) + Duration::minutes(59);
        let outside = captured + Duration::hours(24);
        let q = quote(24000, 8, 0, 50, Some(captured), inside)?;
        assert!(q.full_refund);
        assert_eq!(
            (q.refund_amount, q.coach_settlement, q.platform_retention),
            (24000, 0, 0)
        );
        assert!(!quote(24000, 8, 0, 50, Some(captured), outside)?.full_refund);
        // A completed session ends the window even inside 24 h.
        assert!(!quote(24000, 8, 1, 50, Some(captured), inside)?.full_refund);
        Ok(())
    }

    proptest! {
        #[test]
        fn parts_always_sum_and_are_never_negative(
            amount in 0i64..10_000_000_000,
            total in 1i32..200,
            completed in 0i32..250,
            pct in 0u8..=100,
        ) {
            let c = prorate(amount, total, completed, pct).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(c.refund_amount + c.coach_settlement + c.platform_retention, amount);
            prop_assert!(c.refund_amount >= 0 && c.coach_settlement >= 0 && c.platform_retention >= 0);
            prop_assert!(c.refund_amount <= amount);
            prop_assert_eq!(c.sessions_completed + c.sessions_remaining, total);
        }

        #[test]
        fn matches_exact_rational_rounding(amount in 0i64..100_000_000, total in 1i32..50, done in 0i32..50) {
            let done = done.min(total);
            let c = prorate(amount, total, done, 0).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // refund r satisfies |r - amount*remaining/total| <= 1/2, ties up.
            let exact_num = i128::from(amount) * i128::from(total - done);
            let r = i128::from(c.refund_amount) * i128::from(total);
            prop_assert!(2 * (r - exact_num) <= i128::from(total));
            prop_assert!(2 * (exact_num - r) < i128::from(total));
        }
    }
}

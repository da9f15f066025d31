//! The lead score (gap 9), from the facts the nightly query gathers for each lead:
//!
//! | part | points |
//! |---|---|
//! | assessmentComplete | 30 if the assessment is complete |
//! | discoveryBooked | 20 if a discovery call linked to the child is not cancelled |
//! | engagementScore | 5 per inbound message in the 30-day window, at most 30 |
//! | responseTimeScore | median delay from our last outbound message to each inbound one: ≤ 1 h → 20, ≤ 24 h → 10, else 0; no delays → 0 |
//!
//! Total 0–100: `hot` ≥ 70, `warm` ≥ 40, else `cold`.
use serde::{Deserialize, Serialize};

pub const ASSESSMENT_POINTS: i32 = 30;
pub const DISCOVERY_POINTS: i32 = 20;
pub const POINTS_PER_INBOUND: i32 = 5;
pub const MAX_ENGAGEMENT: i32 = 30;
pub const FAST_REPLY_SECONDS: f64 = 3600.0;
pub const FAST_REPLY_POINTS: i32 = 20;
pub const SAME_DAY_SECONDS: f64 = 86_400.0;
pub const SAME_DAY_POINTS: i32 = 10;
pub const HOT_FROM: i32 = 70;
pub const WARM_FROM: i32 = 40;
/// The rule's version: change it with the rule, and the next night rescores every lead (the
/// stored scores were computed with another rule).
pub const RULE_VERSION: i32 = 1;
/// How far back inbound messages count: `now − 30 days < created_at ≤ now`.
pub const WINDOW_DAYS: i32 = 30;

/// What the query knows of one lead.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    pub assessment_completed: bool,
    pub discovery_booked: bool,
    /// Inbound messages in the window.
    pub inbound: i64,
    /// The median reply delay in seconds; `None` when no inbound message had an outbound one
    /// before it.
    pub median_delay_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    pub assessment_complete: i32,
    pub discovery_booked: i32,
    pub engagement_score: i32,
    pub response_time_score: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Cold,
    Warm,
    Hot,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Hot => "hot",
            Tier::Warm => "warm",
            Tier::Cold => "cold",
        }
    }
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "hot" => Some(Tier::Hot),
            "warm" => Some(Tier::Warm),
            "cold" => Some(Tier::Cold),
            _ => None,
        }
    }
    pub fn of(total: i32) -> Tier {
        if total >= HOT_FROM {
            Tier::Hot
        } else if total >= WARM_FROM {
            Tier::Warm
        } else {
            Tier::Cold
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub total: i32,
    pub breakdown: Breakdown,
    pub tier: Tier,
}

pub fn engagement(inbound: i64) -> i32 {
    let capped = inbound.clamp(0, i64::from(MAX_ENGAGEMENT / POINTS_PER_INBOUND));
    capped as i32 * POINTS_PER_INBOUND
}

pub fn response_time(median_delay_seconds: Option<f64>) -> i32 {
    match median_delay_seconds {
        Some(s) if s <= FAST_REPLY_SECONDS => FAST_REPLY_POINTS,
        Some(s) if s <= SAME_DAY_SECONDS => SAME_DAY_POINTS,
        _ => 0,
    }
}

pub fn score(f: &Facts) -> Score {
    let breakdown = Breakdown {
        assessment_complete: if f.assessment_completed {
            ASSESSMENT_POINTS
        } else {
            0
        },
        discovery_booked: if f.discovery_booked {
            DISCOVERY_POINTS
        } else {
            0
        },
        engagement_score: engagement(f.inbound),
        response_time_score: response_time(f.median_delay_seconds),
    };
    let total = breakdown.assessment_complete
        + breakdown.discovery_booked
        + breakdown.engagement_score
        + breakdown.response_time_score;
    Score {
        total,
        breakdown,
        tier: Tier::of(total),
    }
}

/// What the lead has on record now, to decide whether the new score changes anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stored {
    pub score: Option<i32>,
    pub status: Option<String>,
    pub breakdown: Option<Breakdown>,
}

/// Whether the row must be rewritten: the score, the tier or the breakdown differs.
pub fn changed(stored: &Stored, new: &Score) -> bool {
    stored.score != Some(new.total)
        || stored.status.as_deref() != Some(new.tier.as_str())
        || stored.breakdown != Some(new.breakdown)
}

/// Whether the tier moved (a first scoring, from no tier, is a move).
pub fn tier_changed(stored: &Stored, new: &Score) -> bool {
    stored.status.as_deref() != Some(new.tier.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engagement_is_five_per_inbound_up_to_thirty() {
        let got: Vec<i32> = [0, 1, 5, 6, 7, 100, -1]
            .iter()
            .map(|n| engagement(*n))
            .collect();
        assert_eq!(got, vec![0, 5, 25, 30, 30, 30, 0]);
    }

    #[test]
    fn response_time_edges() {
        let h = 3600.0;
        let cases = [
            (None, 0),
            (Some(0.0), 20),
            (Some(h), 20),
            (Some(h + 0.000_001), 10),
            (Some(24.0 * h), 10),
            (Some(24.0 * h + 1.0), 0),
        ];
        for (delay, want) in cases {
            assert_eq!(response_time(delay), want, "{delay:?}");
        }
    }

    #[test]
    fn tier_edges() {
        let got: Vec<&str> = [0, 35, 39, 40, 65, 69, 70, 100]
            .iter()
            .map(|t| Tier::of(*t).as_str())
            .collect();
        assert_eq!(
            got,
            vec!["cold", "cold", "cold", "warm", "warm", "warm", "hot", "hot"]
        );
    }

    #[test]
    fn the_parts_add_up() {
        let all = score(&Facts {
            assessment_completed: true,
            discovery_booked: true,
            inbound: 9,
            median_delay_seconds: Some(60.0),
        });
        assert_eq!((all.total, all.tier), (100, Tier::Hot));
        // 30 + 20 + 5 + 10 = 65: warm.
        let warm = score(&Facts {
            assessment_completed: true,
            discovery_booked: true,
            inbound: 1,
            median_delay_seconds: Some(7200.0),
        });
        assert_eq!((warm.total, warm.tier), (65, Tier::Warm));
        assert_eq!(score(&Facts::default()).total, 0);
    }

    #[test]
    fn a_first_scoring_is_a_tier_change_and_a_same_score_is_no_change() {
        let s = score(&Facts {
            inbound: 7,
            ..Facts::default()
        });
        let never = Stored::default();
        assert!(changed(&never, &s) && tier_changed(&never, &s));
        let same = Stored {
            score: Some(s.total),
            status: Some(s.tier.as_str().into()),
            breakdown: Some(s.breakdown),
        };
        assert!(!changed(&same, &s) && !tier_changed(&same, &s));
        // Same total and tier from other parts: the row changes, the tier does not.
        let moved = Stored {
            breakdown: Some(Breakdown {
                assessment_complete: 30,
                ..Breakdown::default()
            }),
            ..same
        };
        assert!(changed(&moved, &s) && !tier_changed(&moved, &s));
    }
}

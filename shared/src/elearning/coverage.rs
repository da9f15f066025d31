//! How far each stage is from the plan (gap 4): published and draft counts per stage and topic
//! against `elearning_topics`' targets, the gap to each topic's minimum, and the published
//! minutes. Retired modules count nowhere.
use serde::Serialize;

/// Counts of one (stage, topic) as stored: published, draft, published seconds.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub stage: String,
    pub topic: String,
    pub published: i64,
    pub draft: i64,
    pub published_seconds: i64,
}

/// A topic of the plan with its targets.
#[derive(Debug, Clone)]
pub struct Target {
    pub stage: String,
    pub topic: String,
    pub target_min: i64,
    pub target_max: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicCoverage {
    pub topic: String,
    pub published: i64,
    pub draft: i64,
    pub target_min: i64,
    pub target_max: i64,
    pub gap: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageCoverage {
    pub stage: String,
    pub ages: String,
    pub published: i64,
    pub draft: i64,
    pub target: Range,
    pub percent_of_min: f64,
    pub topics: Vec<TopicCoverage>,
    pub minutes_published: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub published: i64,
    pub draft: i64,
    pub minutes_published: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub stages: Vec<StageCoverage>,
    pub total: Total,
}

pub fn coverage(targets: &[Target], counts: &[Counts]) -> Coverage {
    let mut stages = Vec::new();
    let mut total = Total {
        published: 0,
        draft: 0,
        minutes_published: 0,
    };
    let mut total_seconds = 0;
    for (stage, ages) in super::module_rule::STAGES {
        let mut topics = Vec::new();
        let (mut published, mut draft, mut seconds) = (0, 0, 0);
        let (mut min, mut max) = (0, 0);
        for t in targets.iter().filter(|t| t.stage == stage) {
            let c = counts
                .iter()
                .find(|c| c.stage == stage && c.topic == t.topic)
                .cloned()
                .unwrap_or_default();
            topics.push(TopicCoverage {
                topic: t.topic.clone(),
                published: c.published,
                draft: c.draft,
                target_min: t.target_min,
                target_max: t.target_max,
                gap: (t.target_min - c.published).max(0),
            });
            min += t.target_min;
            max += t.target_max;
        }
        // Modules of the stage whatever their topic (one outside the plan still counts for it).
        for c in counts.iter().filter(|c| c.stage == stage) {
            published += c.published;
            draft += c.draft;
            seconds += c.published_seconds;
        }
        let percent = if min > 0 {
            (published as f64 * 1000.0 / min as f64).round() / 10.0
        } else {
            0.0
        };
        total.published += published;
        total.draft += draft;
        total_seconds += seconds;
        stages.push(StageCoverage {
            stage: stage.to_string(),
            ages: ages.to_string(),
            published,
            draft,
            target: Range { min, max },
            percent_of_min: percent,
            topics,
            minutes_published: seconds / 60,
        });
    }
    total.minutes_published = total_seconds / 60;
    Coverage { stages, total }
}

/// One row per stage × topic: `stage,topic,published,draft,targetMin,targetMax,gap`.
pub fn csv(c: &Coverage) -> String {
    let mut out = String::from("stage,topic,published,draft,targetMin,targetMax,gap\n");
    for s in &c.stages {
        for t in &s.topics {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                s.stage, t.topic, t.published, t.draft, t.target_min, t.target_max, t.gap
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(stage: &str, topic: &str, min: i64, max: i64) -> Target {
        Target {
            stage: stage.into(),
            topic: topic.into(),
            target_min: min,
            target_max: max,
        }
    }

    #[test]
    fn numbers_by_hand() {
        let targets = vec![
            target("foundation", "letter_sounds", 53, 131),
            target("foundation", "blending", 53, 131),
            target("foundation", "cvc_words", 53, 131),
            target("mastery", "comprehension", 80, 197),
        ];
        let counts = vec![
            Counts {
                stage: "foundation".into(),
                topic: "letter_sounds".into(),
                published: 60,
                draft: 2,
                published_seconds: 60 * 300 + 59,
            },
            Counts {
                stage: "foundation".into(),
                topic: "blending".into(),
                published: 10,
                draft: 0,
                published_seconds: 10 * 240,
            },
        ];
        let c = coverage(&targets, &counts);
        let f = &c.stages[0];
        assert_eq!(
            (f.published, f.draft, f.target.min, f.target.max),
            (70, 2, 159, 393)
        );
        assert_eq!(f.percent_of_min, 44.0);
        assert_eq!(f.minutes_published, (60 * 300 + 59 + 2400) / 60);
        let gaps: Vec<i64> = f.topics.iter().map(|t| t.gap).collect();
        assert_eq!(gaps, vec![0, 43, 53]);
        assert_eq!(c.stages[2].percent_of_min, 0.0);
        assert_eq!(c.total.published, 70);
        assert!(csv(&c).contains("foundation,blending,10,0,53,131,43\n"));
    }
}

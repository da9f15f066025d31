//! What the benchmarks report of their samples.

/// The `p` quantile (0–1) of samples sorted ascending, by nearest rank; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn the_median_and_the_tail_are_nearest_ranks() {
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile(&s, 0.5), 3.0);
        assert_eq!(percentile(&s, 0.9), 10.0);
        assert_eq!(percentile(&[3.0, 4.0, 5.0], 0.5), 4.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}

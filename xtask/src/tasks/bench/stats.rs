//! Medians and extremes of timed runs, and how many runs make a median.

use crate::error::{Result, usage};

/// Refuses fewer runs than `least`: too few for a median worth reporting.
/// A usage error naming `--runs`.
pub fn enough_runs(runs: usize, least: usize) -> Result<()> {
    match runs >= least {
        true => Ok(()),
        false => Err(usage(format!(
            "--runs {runs}: fewer than {least} runs give no median worth reporting"
        ))
        .hint(format!("pass --runs {least} or more"))),
    }
}

pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

pub fn max(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn too_few_runs_is_a_usage_error_naming_runs() {
        assert!(enough_runs(5, 5).is_ok());
        let err = enough_runs(4, 5).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "error: --runs 4: fewer than 5 runs give no median worth reporting\nhint: pass --runs 5 or more"
        );
    }

    #[test]
    fn extremes() {
        assert_eq!(min(&[3.0, 1.0, 2.0]), 1.0);
        assert_eq!(max(&[3.0, 1.0, 2.0]), 3.0);
    }
}

//! Step-size and noise-scale schedules, with TorchEBM's formulas. A schedule maps the number
//! of steps taken since the chains were initialised, t, to a value starting at `start`.

use crate::error::{ensure_finite_scalar, Error, Result};

/// How a parameter evolves with the step count t (t = 0 for the first step).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Schedule {
    /// start, always.
    #[default]
    Constant,
    /// max(min_value, start · decay_rateᵗ), decay_rate in (0, 1], min_value ≥ 0.
    ExponentialDecay { decay_rate: f64, min_value: f64 },
    /// start + (end_value − start) · t / n_steps, then end_value from t = n_steps on.
    Linear { end_value: f64, n_steps: u64 },
    /// end_value + (start − end_value) · ½(1 + cos(π t / n_steps)), then end_value.
    Cosine { end_value: f64, n_steps: u64 },
}

impl Schedule {
    /// An exponential decay before its fields are chosen: decay_rate 1 (no decay until set)
    /// and a floor of 1e-12, which keeps a decaying step size or noise scale > 0.
    pub const DEFAULT_EXPONENTIAL_DECAY: Schedule = Schedule::ExponentialDecay {
        decay_rate: 1.0,
        min_value: 1e-12,
    };
    /// A linear schedule before its fields are chosen: to 1 in one step.
    pub const DEFAULT_LINEAR: Schedule = Schedule::Linear {
        end_value: 1.0,
        n_steps: 1,
    };
    /// A cosine schedule before its fields are chosen: to 1 in one step.
    pub const DEFAULT_COSINE: Schedule = Schedule::Cosine {
        end_value: 1.0,
        n_steps: 1,
    };

    /// The value at step t for a parameter whose base value is `start`.
    pub fn value(&self, start: f64, t: u64) -> f64 {
        match *self {
            Schedule::Constant => start,
            Schedule::ExponentialDecay { decay_rate, min_value } => {
                let exponent = i32::try_from(t).map_or(f64::INFINITY, f64::from);
                min_value.max(start * decay_rate.powf(exponent))
            }
            Schedule::Linear { end_value, n_steps } => {
                if t >= n_steps {
                    end_value
                } else {
                    start + (end_value - start) / n_steps as f64 * t as f64
                }
            }
            Schedule::Cosine { end_value, n_steps } => {
                if t >= n_steps {
                    end_value
                } else {
                    let progress = t as f64 / n_steps as f64;
                    end_value + (start - end_value) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
                }
            }
        }
    }

    /// Checks the schedule's own fields; `arg` names it (e.g. "params.step_size_schedule").
    /// `positive` requires every value it can produce to stay > 0 (step sizes, noise scales).
    pub fn validate(&self, arg: &'static str, positive: bool) -> Result<()> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::ExponentialDecay { decay_rate, min_value } => {
                ensure_finite_scalar(arg, decay_rate)?;
                ensure_finite_scalar(arg, min_value)?;
                if !(decay_rate > 0.0 && decay_rate <= 1.0) {
                    return Err(Error::invalid(
                        arg,
                        format!("decay_rate must be in (0, 1], got {decay_rate}"),
                    ));
                }
                if min_value < 0.0 || (positive && min_value == 0.0 && decay_rate < 1.0) {
                    return Err(Error::invalid(
                        arg,
                        format!(
                            "min_value must be {}, got {min_value}",
                            if positive { "> 0" } else { ">= 0" }
                        ),
                    ));
                }
                Ok(())
            }
            Schedule::Linear { end_value, n_steps } | Schedule::Cosine { end_value, n_steps } => {
                ensure_finite_scalar(arg, end_value)?;
                if n_steps == 0 {
                    return Err(Error::invalid(arg, "n_steps must be >= 1"));
                }
                if positive && end_value <= 0.0 {
                    return Err(Error::invalid(arg, format!("end_value must be > 0, got {end_value}")));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_torchebm_formulas() {
        let exp = Schedule::ExponentialDecay {
            decay_rate: 0.9,
            min_value: 0.5,
        };
        assert_eq!(exp.value(1.0, 0), 1.0);
        assert!((exp.value(1.0, 2) - 0.81).abs() < 1e-15);
        assert_eq!(exp.value(1.0, 100), 0.5);
        let linear = Schedule::Linear {
            end_value: 0.0,
            n_steps: 4,
        };
        assert_eq!(
            [0, 1, 2, 4, 9].map(|t| linear.value(1.0, t)),
            [1.0, 0.75, 0.5, 0.0, 0.0]
        );
        let cosine = Schedule::Cosine {
            end_value: 0.0,
            n_steps: 2,
        };
        assert!((cosine.value(1.0, 1) - 0.5).abs() < 1e-15);
        assert_eq!(cosine.value(1.0, 0), 1.0);
        assert_eq!(cosine.value(1.0, 2), 0.0);
        assert_eq!(Schedule::Constant.value(0.3, 1000), 0.3);
    }

    #[test]
    fn invalid_fields_are_rejected() {
        let bad = [
            Schedule::ExponentialDecay {
                decay_rate: 0.0,
                min_value: 0.1,
            },
            Schedule::ExponentialDecay {
                decay_rate: 1.5,
                min_value: 0.1,
            },
            Schedule::ExponentialDecay {
                decay_rate: 0.5,
                min_value: 0.0,
            },
            Schedule::Linear {
                end_value: 0.1,
                n_steps: 0,
            },
            Schedule::Cosine {
                end_value: -1.0,
                n_steps: 10,
            },
            Schedule::Linear {
                end_value: f64::NAN,
                n_steps: 10,
            },
        ];
        for schedule in bad {
            assert!(schedule.validate("s", true).is_err(), "{schedule:?}");
        }
        assert!(Schedule::ExponentialDecay {
            decay_rate: 0.5,
            min_value: 0.0
        }
        .validate("s", false)
        .is_ok());
    }
}

//! Step-size adaptation by dual averaging (Nesterov 2009, as tuned by Hoffman & Gelman 2014
//! for NUTS and used by Stan): drives the mean acceptance probability toward a target.

/// Stan's defaults for the averaging constants.
const GAMMA: f64 = 0.05;
const T0: f64 = 10.0;
const KAPPA: f64 = 0.75;

/// The adaptation state of one sampler (one step size shared by its chains).
#[derive(Debug, Clone)]
pub struct DualAveraging {
    target: f64,
    mu: f64,
    error_sum: f64,
    log_step: f64,
    log_step_average: f64,
    updates: u64,
}

impl DualAveraging {
    /// Starts from `initial_step` toward the mean acceptance probability `target`.
    pub fn new(initial_step: f64, target: f64) -> Self {
        DualAveraging {
            target,
            mu: (10.0 * initial_step).ln(),
            error_sum: 0.0,
            log_step: initial_step.ln(),
            log_step_average: 0.0,
            updates: 0,
        }
    }

    /// The step size to use for the next step while adapting.
    pub fn step_size(&self) -> f64 {
        self.log_step.exp()
    }

    /// The averaged step size, used once adaptation is over.
    pub fn final_step_size(&self) -> f64 {
        if self.updates == 0 {
            self.step_size()
        } else {
            self.log_step_average.exp()
        }
    }

    /// Feeds the mean acceptance probability of the step just taken.
    pub fn update(&mut self, acceptance: f64) {
        // A step whose every proposal was non-finite counts as rejected.
        let acceptance = if acceptance.is_finite() {
            acceptance.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.updates += 1;
        let t = self.updates as f64;
        let eta = 1.0 / (t + T0);
        self.error_sum = (1.0 - eta) * self.error_sum + eta * (self.target - acceptance);
        self.log_step = self.mu - t.sqrt() / GAMMA * self.error_sum;
        let weight = t.powf(-KAPPA);
        self.log_step_average = weight * self.log_step + (1.0 - weight) * self.log_step_average;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy sampler whose acceptance falls as exp(-step): adaptation must find ln(1/target).
    #[test]
    fn converges_on_a_monotone_acceptance_curve() {
        let mut adaptation = DualAveraging::new(1e-3, 0.65);
        for _ in 0..2000 {
            let step = adaptation.step_size();
            adaptation.update((-step).exp());
        }
        let want = (1.0f64 / 0.65).ln();
        assert!(
            (adaptation.final_step_size() - want).abs() < 0.02 * want,
            "{}",
            adaptation.final_step_size()
        );
    }
}

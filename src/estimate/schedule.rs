//! Inverse temperatures β₀ = 0 < β₁ < … < β_K = 1 of an annealing path.

/// How the K inverse temperatures of an annealing path are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BetaSchedule {
    /// β_k = s(k/K), with s a sigmoid σ(δ(2t − 1)) rescaled to run from 0 to 1 and δ = 4:
    /// temperatures crowd near both ends of the path, where a Gaussian base and the target
    /// differ most per unit of β (Grosse et al. 2013 discuss such schedules).
    #[default]
    Sigmoid,
    /// β_k = k/K.
    Linear,
}

/// Steepness δ of the sigmoid schedule.
const SIGMOID_SHARPNESS: f64 = 4.0;

impl BetaSchedule {
    /// β₀ … β_K: K + 1 values from exactly 0 to exactly 1, increasing.
    pub fn betas(&self, n_temperatures: usize) -> Vec<f64> {
        let k = n_temperatures as f64;
        let mut betas: Vec<f64> = (0..=n_temperatures)
            .map(|i| {
                let t = i as f64 / k;
                match self {
                    BetaSchedule::Linear => t,
                    BetaSchedule::Sigmoid => {
                        let sigmoid = |t: f64| 1.0 / (1.0 + (-SIGMOID_SHARPNESS * (2.0 * t - 1.0)).exp());
                        (sigmoid(t) - sigmoid(0.0)) / (sigmoid(1.0) - sigmoid(0.0))
                    }
                }
            })
            .collect();
        // Exact ends, whatever the rounding: the estimate's telescoping relies on them.
        betas[0] = 0.0;
        betas[n_temperatures] = 1.0;
        betas
    }
}

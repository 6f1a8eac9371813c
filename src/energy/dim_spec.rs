use crate::error::{Error, Result};

/// Which input dimensions an energy accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimSpec {
    /// Exactly this dimension.
    Exactly(usize),
    /// Any dimension of at least this value (at least 1).
    AtLeast(usize),
}

impl DimSpec {
    /// Every dimension from 1 up.
    pub const ANY: DimSpec = DimSpec::AtLeast(1);

    /// Whether points of dimension `dim` are accepted.
    pub fn accepts(self, dim: usize) -> bool {
        match self {
            DimSpec::Exactly(d) => dim == d,
            DimSpec::AtLeast(d) => dim >= d,
        }
    }

    /// The one accepted dimension, if there is only one.
    pub fn fixed(self) -> Option<usize> {
        match self {
            DimSpec::Exactly(d) => Some(d),
            DimSpec::AtLeast(_) => None,
        }
    }

    /// The dimensions accepted by both, if any.
    pub fn intersect(self, other: DimSpec) -> Option<DimSpec> {
        match (self, other) {
            (DimSpec::Exactly(a), DimSpec::Exactly(b)) => (a == b).then_some(self),
            (DimSpec::Exactly(a), DimSpec::AtLeast(b)) | (DimSpec::AtLeast(b), DimSpec::Exactly(a)) => {
                (a >= b).then_some(DimSpec::Exactly(a))
            }
            (DimSpec::AtLeast(a), DimSpec::AtLeast(b)) => Some(DimSpec::AtLeast(a.max(b))),
        }
    }

    /// Describes the accepted dimensions, e.g. "dim 2" or "dim >= 2".
    pub fn describe(self) -> String {
        match self {
            DimSpec::Exactly(d) => format!("dim {d}"),
            DimSpec::AtLeast(d) => format!("dim >= {d}"),
        }
    }

    /// An error naming `arg` unless `dim` is accepted by the energy called `energy_name`.
    pub fn check(self, arg: &'static str, energy_name: &str, dim: usize) -> Result<()> {
        if self.accepts(dim) {
            Ok(())
        } else {
            Err(Error::dimension(
                arg,
                format!("energy '{energy_name}' needs {}, got dim {dim}", self.describe()),
            ))
        }
    }
}

//! Energy functions E: R^dim -> R, evaluated on batches of points together with their
//! gradients ∇ₓE.
//!
//! Naming: the *gradient* here is always ∇ₓE(x). TorchEBM's documentation calls it a
//! "score", but the usual score is ∇ₓ log p(x) = -∇ₓE(x); this crate never uses that word
//! for ∇ₓE.
//!
//! Every energy has a tensor implementation (any device, f32 or f64, closed-form gradients)
//! and most also have a host kernel: a plain f64 loop used for small CPU batches, where
//! libtorch's per-operation dispatch would cost more than the arithmetic.

mod ackley;
mod booth;
mod callback;
mod composite;
mod dim_spec;
mod double_well;
mod evaluate;
mod gaussian;
mod harmonic;
mod himmelblau;
mod hvp;
mod mixture;
mod rastrigin;
mod rosenbrock;
mod row_kernel;
mod styblinski_tang;

use std::sync::Arc;

use tch::Tensor;

use crate::error::Result;

pub use ackley::Ackley;
pub use booth::Booth;
pub use callback::{CallbackEnergy, CallbackFailure, EnergyCallback, GradientCallback};
pub use composite::Composite;
pub use dim_spec::DimSpec;
pub use double_well::DoubleWell;
pub use evaluate::{evaluate, evaluate_with, EvalPath, MATVEC_HOST_MAX_DIM, MATVEC_HOST_MAX_FLOPS};
pub use gaussian::Gaussian;
pub use harmonic::Harmonic;
pub use himmelblau::Himmelblau;
pub use hvp::hessian_vector_product;
pub use mixture::GaussianMixture;
pub use rastrigin::Rastrigin;
pub use rosenbrock::Rosenbrock;
pub use row_kernel::{LangevinRows, PointKernel};
pub use styblinski_tang::StyblinskiTang;

/// Whether `a` and `b` are the same energy object (not merely equal ones): what ties a
/// sampler, a loss and an optimizer to the model they work on. Compares data pointers only,
/// since one object's vtable pointers may differ between codegen units.
pub fn same_energy(a: &Arc<dyn Energy>, b: &Arc<dyn Energy>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// An energy function over batches of points.
///
/// Implementations are immutable once built and safe to evaluate from several threads at once.
pub trait Energy: Send + Sync {
    /// A short lowercase identifier, e.g. `"double_well"`.
    fn name(&self) -> &'static str;

    /// The input dimensions this energy accepts.
    fn dim_spec(&self) -> DimSpec;

    /// Energies of the rows of `x` (shape `(n, dim)`, any device, f32 or f64): shape `(n,)`,
    /// same device and kind. Built from differentiable tensor operations where the energy is
    /// analytic, so autograd can check the closed-form gradients.
    fn energy(&self, x: &Tensor) -> Result<Tensor>;

    /// Energies `(n,)` and their gradients ∇ₓE `(n, dim)`, computed in closed form.
    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)>;

    /// Energies `(n,)`, gradients ∇ₓE `(n, dim)` and Hessian-vector products ∇²ₓE(xᵢ) vᵢ
    /// `(n, dim)` of the rows of `x` and `v` (same shape, device and kind).
    ///
    /// The default differentiates [`Energy::energy`] twice with libtorch's autograd (holding
    /// a model's parameter lock throughout); energies override it with closed forms where
    /// those are simple.
    fn energy_gradient_hvp(&self, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let _reading = self.as_model().map(|model| model.parameter_lock().read());
        hvp::autograd_hvp(x, v, |input| self.energy(input))
    }

    /// Errors when this energy has no second derivatives to offer (a user callback), so
    /// that Hessian-vector products are refused before any work.
    fn check_twice_differentiable(&self) -> Result<()> {
        Ok(())
    }

    /// The f64 host kernel of this energy, when it has one.
    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        None
    }

    /// True when the host kernel is the energy's natural home (a user callback), so that even
    /// large CPU batches should not go through tensors.
    fn prefers_host(&self) -> bool {
        false
    }

    /// The energy as a trainable model, when it has parameters.
    fn as_model(&self) -> Option<&dyn crate::model::Model> {
        None
    }
}

/// Plain-Rust evaluation of an energy on row-major f64 points.
pub trait HostKernel: Send + Sync {
    /// Evaluates the `x.len() / dim` rows of `x`: writes `energy_out[i]` and, when given, the
    /// gradient row `gradient_out[i * dim .. (i + 1) * dim]`. `dim` has been checked against
    /// the energy's [`DimSpec`] and the slice lengths against each other.
    fn eval_host(&self, x: &[f64], dim: usize, energy_out: &mut [f64], gradient_out: Option<&mut [f64]>) -> Result<()>;

    /// Whether this kernel beats libtorch on the CPU for `points` points of dimension `dim`.
    /// Element-wise energies always do (one pass over memory instead of one per operation);
    /// matrix-vector energies lose to BLAS on large batches of high dimension.
    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        let _ = (points, dim);
        true
    }

    /// The single-point kernel, when the energy has one.
    fn point_kernel(&self) -> Option<&dyn PointKernel> {
        None
    }
}

/// Sum over dimension 1 of an `(n, dim)` tensor.
pub(crate) fn sum_rows(t: &Tensor) -> Result<Tensor> {
    Ok(t.f_sum_dim_intlist([1i64].as_slice(), false, None::<tch::Kind>)?)
}

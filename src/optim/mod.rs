//! Optimizers over a model's parameters: SGD with momentum and Adam, with the update rules
//! of torch.optim (so that runs can be compared with PyTorch), a learning rate that can change
//! between steps, optional gradient-norm clipping, and state that can be checkpointed.
//!
//! Data-parallel training: with an [`AllReduce`] set, the gradients of every process are
//! combined before each update, so that P processes update their copies of the model
//! identically (see [`Optimizer::train_step`] and [`Optimizer::step`]).

use std::sync::Arc;

use tch::{Kind, Tensor};

use crate::distributed::{with_square, AllReduce, Values};
use crate::energy::{same_energy, Energy};
use crate::error::{ensure_finite_scalar, Error, Result};
use crate::tensor::copy_to_slice;

/// The update rule and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// torch.optim.SGD: d = g + λp; b ← μb + (1 − dampening)d (b = d at the first step);
    /// d = nesterov ? d + μb : b; p ← p − lr·d.
    Sgd {
        momentum: f64,
        dampening: f64,
        nesterov: bool,
        weight_decay: f64,
    },
    /// torch.optim.Adam (or AdamW with `decoupled_weight_decay`).
    Adam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
        decoupled_weight_decay: bool,
    },
}

impl Rule {
    /// torch.optim.SGD's defaults: no momentum, dampening or weight decay.
    pub const DEFAULT_SGD: Rule = Rule::Sgd {
        momentum: 0.0,
        dampening: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };
    /// torch.optim.Adam's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub const DEFAULT_ADAM: Rule = Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled_weight_decay: false,
    };

    /// The learning rate used unless one is chosen: torch.optim.Adam's 0.001 for Adam, and
    /// 0.01 for SGD (torch.optim.SGD has no default; 0.01 is the usual starting point).
    pub fn default_learning_rate(&self) -> f64 {
        match self {
            Rule::Sgd { .. } => 0.01,
            Rule::Adam { .. } => 0.001,
        }
    }

    /// "sgd" or "adam".
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Sgd { .. } => "sgd",
            Rule::Adam { .. } => "adam",
        }
    }

    /// Per-parameter state tensors the rule keeps.
    fn state_names(&self) -> &'static [&'static str] {
        match self {
            Rule::Sgd { momentum, .. } if *momentum != 0.0 => &["momentum_buffer"],
            Rule::Sgd { .. } => &[],
            Rule::Adam { .. } => &["exp_avg", "exp_avg_sq"],
        }
    }

    fn validate(&self) -> Result<()> {
        let check = |arg: &'static str, value: f64, lo: f64, hi: f64| -> Result<()> {
            ensure_finite_scalar(arg, value)?;
            if value < lo || value > hi {
                return Err(Error::invalid(arg, format!("must be in [{lo}, {hi}], got {value}")));
            }
            Ok(())
        };
        match *self {
            Rule::Sgd {
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } => {
                check("params.momentum", momentum, 0.0, f64::MAX)?;
                check("params.dampening", dampening, 0.0, 1.0)?;
                check("params.weight_decay", weight_decay, 0.0, f64::MAX)?;
                if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    return Err(Error::invalid("params.nesterov", "needs momentum > 0 and dampening 0"));
                }
                Ok(())
            }
            Rule::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => {
                check("params.beta1", beta1, 0.0, 1.0 - f64::EPSILON)?;
                check("params.beta2", beta2, 0.0, 1.0 - f64::EPSILON)?;
                check("params.eps", eps, 0.0, f64::MAX)?;
                check("params.weight_decay", weight_decay, 0.0, f64::MAX)
            }
        }
    }
}

/// An optimizer bound to one model's parameters.
pub struct Optimizer {
    model: Arc<dyn Energy>,
    rule: Rule,
    learning_rate: f64,
    max_grad_norm: Option<f64>,
    steps: u64,
    /// The rule's state tensors, each over all parameters flattened in order (created at
    /// the first step).
    state: Vec<Tensor>,
    /// The host's all-reduce, for data-parallel training.
    allreduce: Option<AllReduce>,
}

/// A training loss's value, which a data-parallel step replaces by the mean over every
/// process's batch.
pub trait LossValue {
    /// The loss.
    fn loss(&self) -> f64;
    /// Replaces the loss by the global one.
    fn set_loss(&mut self, loss: f64);
}

impl LossValue for f64 {
    fn loss(&self) -> f64 {
        *self
    }

    fn set_loss(&mut self, loss: f64) {
        *self = loss;
    }
}

/// The scalars of a training step's agreement round: batch weight, weighted loss, then the
/// gradient buffer's size in bytes and its square (so that processes whose models differ in
/// size or precision are refused before any gradient is sent).
const STEP_SCALARS: usize = 4;

fn check_learning_rate(learning_rate: f64) -> Result<()> {
    ensure_finite_scalar("learning_rate", learning_rate)?;
    if learning_rate < 0.0 {
        return Err(Error::invalid(
            "learning_rate",
            format!("must be >= 0, got {learning_rate}"),
        ));
    }
    Ok(())
}

impl Optimizer {
    /// An optimizer of `model`'s parameters.
    /// No gradient clipping unless chosen.
    pub const DEFAULT_MAX_GRAD_NORM: Option<f64> = None;

    pub fn new(model: Arc<dyn Energy>, rule: Rule, learning_rate: f64, max_grad_norm: Option<f64>) -> Result<Self> {
        let parameters = match model.as_model() {
            Some(m) => m.parameters()?,
            None => {
                return Err(Error::invalid(
                    "model",
                    format!("energy '{}' has no trainable parameters", model.name()),
                ))
            }
        };
        if parameters.is_empty() {
            return Err(Error::invalid("model", "has no trainable parameters"));
        }
        rule.validate()?;
        check_learning_rate(learning_rate)?;
        if let Some(max) = max_grad_norm {
            ensure_finite_scalar("params.max_grad_norm", max)?;
            if max <= 0.0 {
                return Err(Error::invalid(
                    "params.max_grad_norm",
                    format!("must be > 0, got {max}"),
                ));
            }
        }
        Ok(Optimizer {
            model,
            rule,
            learning_rate,
            max_grad_norm,
            steps: 0,
            state: Vec::new(),
            allreduce: None,
        })
    }

    /// Sets (or with None removes) the host's all-reduce: from then on every
    /// [`Optimizer::train_step`] and [`Optimizer::step`] is collective and combines the
    /// gradients of every process before updating.
    pub fn set_allreduce(&mut self, allreduce: Option<AllReduce>) {
        self.allreduce = allreduce;
    }

    /// Whether an all-reduce is set.
    pub fn is_distributed(&self) -> bool {
        self.allreduce.is_some()
    }

    /// The model optimized.
    pub fn model(&self) -> &Arc<dyn Energy> {
        &self.model
    }

    /// Fails unless this optimizer updates `model` itself (not an equal copy).
    pub fn ensure_updates(&self, model: &Arc<dyn Energy>) -> Result<()> {
        if same_energy(model, &self.model) {
            Ok(())
        } else {
            Err(Error::invalid(
                "optimizer",
                "optimizes another model than the loss trains",
            ))
        }
    }

    /// One training step: zero the gradients, let `loss` compute a loss of `model` over a
    /// batch of `batch` points and accumulate its gradients, then update. Nothing changes when
    /// `model` is not this optimizer's; the loss's value is returned.
    ///
    /// With an all-reduce set the step is collective. Each process's gradient (of the mean
    /// loss over its own batch) is weighted by its batch size, so that the update is the one
    /// of a single process with every batch together: g = Σₚ nₚ gₚ / Σₚ nₚ, and the loss
    /// returned is Σₚ nₚ Lₚ / Σₚ nₚ on every process. Two all-reduce calls: one of a few f64
    /// scalars (batch sizes, weighted losses, a failure flag, the model's size), then one of
    /// the weighted gradients in the model's precision (f32 for models that are not f64),
    /// skipped on every process when any process failed or the models differ.
    pub fn train_step<R: LossValue>(
        &mut self,
        model: &Arc<dyn Energy>,
        batch: usize,
        loss: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        let local = (|| {
            self.ensure_updates(model)?;
            self.zero_grad()?;
            // The forward and backward passes read the parameters; writers wait until both
            // are done (the loss's own evaluations re-enter this read lock).
            let _reading = self.trainable().parameter_lock().read();
            loss()
        })();
        if self.allreduce.is_none() {
            let value = local?;
            self.update(None)?;
            return Ok(value);
        }
        let weight = batch as f64;
        let (scalars, value) = match local {
            Ok(value) => (Ok((weight, value.loss())), Some(value)),
            Err(error) => (Err(error), None),
        };
        let (total_weight, mean_loss) = self.agree(scalars)?;
        self.update(Some((weight, total_weight)))?;
        let mut value = value.expect("the local step succeeded");
        value.set_loss(mean_loss);
        Ok(value)
    }

    /// The agreement round of a collective step (see [`AllReduce::agree`]): every process's
    /// (batch weight, loss) in, (Σ weights, Σ weight·loss / Σ weights) out, after checking
    /// that every process's gradients have the same size and precision.
    fn agree(&self, local: Result<(f64, f64)>) -> Result<(f64, f64)> {
        let allreduce = self.allreduce.as_ref().expect("called with an all-reduce");
        let local = local.and_then(|(weight, loss)| {
            let bytes = self.gradient_bytes()? as f64;
            let mut scalars = vec![weight, weight * loss];
            scalars.extend(with_square(bytes));
            Ok(scalars)
        });
        let agreement = allreduce.agree("optimizer", local, STEP_SCALARS)?;
        if !agreement.all_equal(2) {
            return Err(Error::invalid(
                "optimizer",
                "the processes' models differ in parameter count or precision; nothing was changed",
            ));
        }
        let total = agreement.sums[0];
        Ok((total, agreement.sums[1] / total))
    }

    /// Bytes of the flat gradient buffer sent to the all-reduce.
    fn gradient_bytes(&self) -> Result<usize> {
        let count: usize = self.parameters()?.iter().map(Tensor::numel).sum();
        Ok(count * if self.trainable().kind() == Kind::Double { 8 } else { 4 })
    }
    /// The update rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The current learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Changes the learning rate for the next steps.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        check_learning_rate(learning_rate)?;
        self.learning_rate = learning_rate;
        Ok(())
    }

    fn trainable(&self) -> &dyn crate::model::Model {
        self.model.as_model().expect("checked at construction")
    }

    fn parameters(&self) -> Result<Vec<Tensor>> {
        self.trainable().parameters()
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self) -> Result<()> {
        crate::model::zero_gradients(self.model.as_model().expect("checked at construction"))
    }

    /// One update of every parameter from its current gradient (parameters without a
    /// gradient are skipped, as in torch.optim). Non-finite gradients are refused and nothing
    /// changes.
    ///
    /// The update runs on the parameters and gradients concatenated into single vectors (the
    /// rule's state is kept that way too): a dozen tensor operations per step instead of a
    /// dozen per parameter tensor, which is most of an optimizer step for small models.
    ///
    /// With an all-reduce set the step is collective and the gradients are averaged over the
    /// processes with equal weights, g = Σₚ gₚ / P (as [`Optimizer::train_step`] with equal
    /// batches): the same two all-reduce calls, every process with weight 1.
    pub fn step(&mut self) -> Result<()> {
        if self.allreduce.is_none() {
            return self.update(None);
        }
        let (processes, _) = self.agree(Ok((1.0, 0.0)))?;
        self.update(Some((1.0, processes)))
    }

    /// The update of [`Optimizer::step`]; with `combine` = (this process's weight, the
    /// weights' sum) the gradients are first replaced by Σₚ wₚ gₚ / Σₚ wₚ through the
    /// all-reduce.
    fn update(&mut self, combine: Option<(f64, f64)>) -> Result<()> {
        let model = Arc::clone(&self.model);
        let _writing = model
            .as_model()
            .expect("checked at construction")
            .parameter_lock()
            .write("model")?;
        let parameters = self.parameters()?;
        if let Some((weight, total)) = combine {
            self.combine_gradients(&parameters, weight, total)?;
        }
        tch::no_grad(|| -> Result<()> {
            let grads: Vec<Tensor> = parameters
                .iter()
                .map(Tensor::f_grad)
                .collect::<std::result::Result<_, _>>()?;
            let all_defined = grads.iter().all(Tensor::defined);
            let flat_grad = if all_defined { Some(flatten(&grads)?) } else { None };
            Self::check_finite(&grads, flat_grad.as_ref())?;
            if let Some(max) = self.max_grad_norm {
                Self::clip(&grads, flat_grad.as_ref(), max)?;
            }
            if self.state.is_empty() {
                let total = parameters.iter().map(Tensor::numel).sum::<usize>() as i64;
                let options = (parameters[0].kind(), parameters[0].device());
                self.state = self
                    .rule
                    .state_names()
                    .iter()
                    .map(|_| Tensor::f_zeros([total], options))
                    .collect::<std::result::Result<_, _>>()?;
            }
            self.steps += 1;
            let update = Update {
                rule: self.rule,
                learning_rate: self.learning_rate,
                step: self.steps,
            };
            match flat_grad {
                Some(g) => {
                    let mut flat = flatten(&parameters)?;
                    update.apply(&mut flat, g, &mut self.state)?;
                    let sizes: Vec<i64> = parameters.iter().map(|p| p.numel() as i64).collect();
                    for (p, values) in parameters.iter().zip(flat.f_split_with_sizes(&sizes, 0)?) {
                        p.shallow_clone().f_copy_(&values.f_view(p.size().as_slice())?)?;
                    }
                }
                None => {
                    let mut offset = 0;
                    for (p, g) in parameters.iter().zip(grads) {
                        let len = p.numel() as i64;
                        if g.defined() {
                            let mut views = self
                                .state
                                .iter()
                                .map(|t| t.f_narrow(0, offset, len)?.f_view(p.size().as_slice()))
                                .collect::<std::result::Result<Vec<_>, _>>()?;
                            update.apply(&mut p.shallow_clone(), g, &mut views)?;
                        }
                        offset += len;
                    }
                }
            }
            Ok(())
        })
    }

    /// Replaces every parameter's gradient by Σₚ wₚ gₚ / Σₚ wₚ over the processes, through one
    /// all-reduce of the flattened weighted gradients (in f64 for f64 models, f32 otherwise).
    /// A parameter without a gradient counts as a zero gradient and receives the combined one,
    /// so that every process updates every parameter alike.
    fn combine_gradients(&self, parameters: &[Tensor], weight: f64, total: f64) -> Result<()> {
        let allreduce = self.allreduce.as_ref().expect("called with an all-reduce");
        let double = self.trainable().kind() == Kind::Double;
        let transport = if double { Kind::Double } else { Kind::Float };
        let flat = tch::no_grad(|| -> Result<Tensor> {
            let pieces = parameters
                .iter()
                .map(|p| {
                    let g = p.f_grad()?;
                    let g = if g.defined() { g } else { p.f_zeros_like()? };
                    Ok(g.f_reshape([-1])?.f_to_kind(transport)?)
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Tensor::f_cat(&pieces, 0)?
                .f_mul_scalar(weight)?
                .f_to_device(tch::Device::Cpu)?)
        })?;
        let summed = if double {
            let mut values = crate::host::zeroed_as::<f64>("gradients", flat.numel())?;
            copy_to_slice(&flat, &mut values)?;
            allreduce.sum(Values::F64(&mut values))?;
            Tensor::f_from_slice(&values)?
        } else {
            let mut values = crate::host::zeroed_as::<f32>("gradients", flat.numel())?;
            copy_to_slice(&flat, &mut values)?;
            allreduce.sum(Values::F32(&mut values))?;
            Tensor::f_from_slice(&values)?
        };
        let mean = summed.f_div_scalar(total)?;
        let mut offset = 0;
        for p in parameters {
            let len = p.numel() as i64;
            let values = mean
                .f_narrow(0, offset, len)?
                .f_view(p.size().as_slice())?
                .f_to_kind(p.kind())?
                .f_to_device(p.device())?;
            crate::model::assign_gradient(p, &values)?;
            offset += len;
        }
        Ok(())
    }

    fn check_finite(grads: &[Tensor], flat: Option<&Tensor>) -> Result<()> {
        let finite = |g: &Tensor| -> Result<bool> { Ok(g.f_isfinite()?.f_all()?.f_int64_value(&[])? != 0) };
        let bad = match flat {
            Some(flat) if finite(flat)? => None,
            _ => {
                let mut bad = None;
                for (i, g) in grads.iter().enumerate() {
                    if g.defined() && !finite(g)? {
                        bad = Some(i);
                        break;
                    }
                }
                bad
            }
        };
        match bad {
            Some(i) => Err(Error::NonFinite {
                arg: "gradients",
                reason: format!("parameter tensor {i} has a NaN or infinite gradient; no parameter was changed"),
            }),
            None => Ok(()),
        }
    }

    /// Scales the gradients so that their joint L2 norm is at most `max` (as
    /// torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
    fn clip(grads: &[Tensor], flat: Option<&Tensor>, max: f64) -> Result<f64> {
        let norm = match flat {
            Some(flat) => flat.f_square()?.f_sum(Kind::Double)?.f_double_value(&[])?,
            None => {
                let mut total = 0.0;
                for g in grads.iter().filter(|g| g.defined()) {
                    total += g.f_square()?.f_sum(Kind::Double)?.f_double_value(&[])?;
                }
                total
            }
        }
        .sqrt();
        let scale = max / (norm + 1e-6);
        if scale < 1.0 {
            for g in grads.iter().chain(flat).filter(|g| g.defined()) {
                let _ = g.shallow_clone().f_mul_scalar_(scale)?;
            }
        }
        Ok(norm)
    }

    /// The state to checkpoint: (name, tensor) pairs per parameter tensor, e.g.
    /// ("3.exp_avg", …).
    pub fn state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut named = Vec::new();
        if self.state.is_empty() {
            return Ok(named);
        }
        let mut offset = 0;
        for (i, p) in self.parameters()?.iter().enumerate() {
            let len = p.numel() as i64;
            for (name, flat) in self.rule.state_names().iter().zip(&self.state) {
                named.push((
                    format!("{i}.{name}"),
                    flat.f_narrow(0, offset, len)?.f_view(p.size().as_slice())?,
                ));
            }
            offset += len;
        }
        Ok(named)
    }

    /// Restores a checkpointed state (the step count and the per-parameter tensors).
    pub fn restore(&mut self, steps: u64, learning_rate: f64, state: &[(String, Tensor)]) -> Result<()> {
        check_learning_rate(learning_rate)?;
        let parameters = self.parameters()?;
        let names = self.rule.state_names();
        let mut restored = Vec::new();
        if !state.is_empty() {
            for name in names {
                let mut pieces = Vec::new();
                for (i, p) in parameters.iter().enumerate() {
                    let key = format!("{i}.{name}");
                    let (_, t) = state
                        .iter()
                        .find(|(n, _)| *n == key)
                        .ok_or_else(|| Error::invalid("checkpoint", format!("optimizer state {key} is missing")))?;
                    if t.size() != p.size() {
                        return Err(Error::dimension(
                            "checkpoint",
                            format!(
                                "optimizer state {key} has shape {:?}, the parameter {:?}",
                                t.size(),
                                p.size()
                            ),
                        ));
                    }
                    pieces.push(t.f_to_kind(p.kind())?.f_to_device(p.device())?.f_reshape([-1])?);
                }
                restored.push(Tensor::f_cat(&pieces, 0)?);
            }
        }
        self.state = restored;
        self.steps = steps;
        self.learning_rate = learning_rate;
        Ok(())
    }
}

/// Tensors flattened and concatenated into one vector.
fn flatten(tensors: &[Tensor]) -> Result<Tensor> {
    let flat = tensors
        .iter()
        .map(|t| t.f_reshape([-1]))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Tensor::f_cat(&flat, 0)?)
}

/// One step of a rule at a given learning rate and step number (1 for the first step).
struct Update {
    rule: Rule,
    learning_rate: f64,
    step: u64,
}

impl Update {
    /// Updates the parameters `p` in place from their gradient `g`, with the rule's state
    /// tensors (shaped as `p`), following torch.optim's single-tensor implementations.
    fn apply(&self, p: &mut Tensor, g: Tensor, state: &mut [Tensor]) -> Result<()> {
        let (lr, first) = (self.learning_rate, self.step == 1);
        match self.rule {
            Rule::Sgd {
                momentum,
                dampening,
                nesterov,
                weight_decay,
            } => {
                let mut d = if weight_decay != 0.0 {
                    g.f_add(&p.f_mul_scalar(weight_decay)?)?
                } else {
                    g
                };
                if momentum != 0.0 {
                    let buffer = &mut state[0];
                    if first {
                        buffer.f_copy_(&d)?;
                    } else {
                        let _ = buffer
                            .f_mul_scalar_(momentum)?
                            .f_add_(&d.f_mul_scalar(1.0 - dampening)?)?;
                    }
                    d = if nesterov {
                        d.f_add(&buffer.f_mul_scalar(momentum)?)?
                    } else {
                        buffer.shallow_clone()
                    };
                }
                let _ = p.f_sub_(&d.f_mul_scalar(lr)?)?;
            }
            Rule::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                decoupled_weight_decay,
            } => {
                let g = if weight_decay != 0.0 && !decoupled_weight_decay {
                    g.f_add(&p.f_mul_scalar(weight_decay)?)?
                } else {
                    g
                };
                if weight_decay != 0.0 && decoupled_weight_decay {
                    let _ = p.f_mul_scalar_(1.0 - lr * weight_decay)?;
                }
                let t = self.step.min(i32::MAX as u64) as i32;
                let _ = state[0].f_lerp_(&g, 1.0 - beta1)?;
                let _ = state[1]
                    .f_mul_scalar_(beta2)?
                    .f_addcmul_(&g.f_mul_scalar(1.0 - beta2)?, &g)?;
                let correction1 = 1.0 - beta1.powi(t);
                let correction2 = 1.0 - beta2.powi(t);
                let mut denominator = state[1].f_sqrt()?;
                let _ = denominator.f_div_scalar_(correction2.sqrt())?.f_add_scalar_(eps)?;
                let _ = p.f_addcdiv_(&state[0].f_mul_scalar(-lr / correction1)?, &denominator)?;
            }
        }
        Ok(())
    }
}

//! The negative control of `make test-tsan` (mk/sanitize.mk): with TORCHEBM_TSAN_CONTROL=1,
//! two threads evaluate an energy through libtorch, as tests/concurrency.rs does, and also write
//! one counter without synchronisation, a real data race in code of ours. ThreadSanitizer, with
//! tests/tsan/tsan.supp applied, must report it (the target fails if it does not), so that
//! the suppressions cannot hide races of ours. Without the variable (as in `cargo test`) it
//! does nothing.

use std::sync::Arc;
use std::thread;

use tch::Device;
use torchebm::energy::{evaluate_with, DoubleWell, Energy, EvalPath};

struct Racy(std::cell::UnsafeCell<u64>);
// Deliberately wrong: this is the data race the control exists for.
unsafe impl Sync for Racy {}

#[inline(never)]
fn racy_increment(counter: &Racy) {
    // SAFETY: none; unsynchronised writes from two threads, on purpose.
    unsafe {
        let p = counter.0.get();
        std::ptr::write_volatile(p, std::ptr::read_volatile(p) + 1);
    }
}

#[test]
fn unsynchronised_writes_are_reported() {
    if std::env::var_os("TORCHEBM_TSAN_CONTROL").is_none() {
        return;
    }
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::new(1.0, 2.0).unwrap());
    let counter = Racy(std::cell::UnsafeCell::new(0));
    let x: Vec<f64> = (0..600).map(|i| (i as f64 * 0.37).sin()).collect();
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut g = vec![0.0; x.len()];
                for _ in 0..50 {
                    evaluate_with(EvalPath::Torch, energy.as_ref(), Device::Cpu, &x, 2, None, Some(&mut g)).unwrap();
                    racy_increment(&counter);
                }
            });
        }
    });
    println!("counter = {}", unsafe { *counter.0.get() });
}

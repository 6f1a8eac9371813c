//! One energy evaluated from several threads at once gives the serial results.

mod common;

use std::thread;

use common::{points, zoo};
use tch::Device;
use torchebm::energy::{evaluate_with, EvalPath};

#[test]
fn concurrent_evaluations_of_one_energy_match_serial_ones() {
    for case in zoo() {
        for (n, path) in [(16, EvalPath::Auto), (20_000, EvalPath::Auto), (300, EvalPath::Torch)] {
            let x = points(n, case.dim, 14);
            let serial = {
                let mut g = vec![0.0; x.len()];
                evaluate_with(
                    path,
                    case.energy.as_ref(),
                    Device::Cpu,
                    &x,
                    case.dim,
                    None,
                    Some(&mut g),
                )
                .unwrap();
                g
            };
            thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut g = vec![0.0; x.len()];
                            for _ in 0..5 {
                                evaluate_with(
                                    path,
                                    case.energy.as_ref(),
                                    Device::Cpu,
                                    &x,
                                    case.dim,
                                    None,
                                    Some(&mut g),
                                )
                                .unwrap();
                            }
                            g
                        })
                    })
                    .collect();
                for handle in handles {
                    assert_eq!(handle.join().unwrap(), serial, "{} with n = {n} on {path:?}", case.name);
                }
            });
        }
    }
}

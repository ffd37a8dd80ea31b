//! Distribution functions for significance tests: tail probabilities and quantiles of the
//! normal, chi-square and Student's t distributions.
//!
//! Thin wrappers over the `statrs` crate (0.19, without its default features: no
//! `nalgebra`, no `rand`), so the engine names exactly the functions its tests need. Why a
//! crate: it builds for wasm32-unknown-unknown, and a wasm module calling these five
//! functions is 12.7 kB gzipped with `statrs` against 5.7 kB with hand-written Numerical
//! Recipes routines (Lanczos log gamma, incomplete gamma and beta by series and continued
//! fractions; measured with the release profile and `gzip -9`): about 7 kB more; in the
//! worker (release, `wasm-opt -O3`, `gzip -9`) 693.6 kB against 688.9 kB, 4.7 kB more.
//! Well under the 40 kB that would justify keeping a private copy of the numerics.
//!
//! The unit tests compare every function with values printed by SciPy 1.17
//! (`scipy.stats.norm`, `chi2`, `t`); `scripts/crosscheck.py` checks the p-values of A/B
//! tests against SciPy on generated data. Invalid parameters (a degree of freedom that is
//! not positive) give NaN, never a panic.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

fn normal() -> Normal {
    // the standard normal's parameters are valid
    Normal::standard()
}

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    normal().sf(z)
}

/// P(Z ≤ z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    normal().cdf(z)
}

/// The z with P(Z ≤ z) = p, 0 < p < 1.
pub fn normal_quantile(p: f64) -> f64 {
    normal().inverse_cdf(p)
}

/// P(X > x) for X chi-square with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
}

fn student(df: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, df).ok()
}

/// P(T > t) for T Student's t with `df` degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    student(df).map_or(f64::NAN, |d| d.sf(t))
}

/// P(|T| > |t|) for T Student's t with `df` degrees of freedom (a two-sided p-value).
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    2.0 * t_sf(t.abs(), df)
}

/// The t with P(T ≤ t) = p for Student's t with `df` degrees of freedom, 0 < p < 1.
///
/// `statrs`'s own `inverse_cdf` loses precision for many degrees of freedom (relative
/// error 6e-5 at df = 10⁶, where Welch's test of large variants lands), so this solves
/// cdf(t) = p by bisection on its accurate distribution function instead, from a bracket
/// around that estimate, to the last bit.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let Some(d) = student(df) else {
        return f64::NAN;
    };
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let guess = d.inverse_cdf(p);
    let width = 1e-3 * guess.abs().max(1.0);
    let (mut lo, mut hi) = (guess - width, guess + width);
    while d.cdf(lo) > p {
        lo -= hi - lo;
    }
    while d.cdf(hi) < p {
        hi += hi - lo;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if d.cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn close(actual: f64, expected: f64, rel: f64) {
        let err = (actual - expected).abs() / expected.abs().max(1e-300);
        assert!(
            err <= rel || (actual - expected).abs() < 1e-300,
            "expected {expected:e}, got {actual:e} (relative error {err:e})"
        );
    }

    // every expected value below was printed by SciPy 1.17.1

    #[test]
    fn normal_tails_and_quantiles() {
        for (z, v) in [
            (0.0, 0.5),
            (1.0, 0.15865525393145707),
            (1.959963984540054, 0.025),
            (3.0, 0.0013498980316300933),
            (5.0, 2.866515718791933e-07),
            (8.0, 6.22096057427174e-16),
            (10.0, 7.61985302416047e-24),
            (20.0, 2.7536241186061556e-89),
        ] {
            close(normal_sf(z), v, 1e-9);
        }
        close(normal_cdf(-3.0), 0.0013498980316300933, 1e-9);
        for (p, v) in [
            (0.975, 1.959963984540054),
            (0.995, 2.5758293035489004),
            (0.9995, 3.2905267314919255),
            (1e-10, -6.361340902404056),
            (0.3, -0.5244005127080409),
        ] {
            close(normal_quantile(p), v, 1e-12);
        }
        assert_eq!(normal_quantile(0.5), 0.0);
    }

    #[test]
    fn chi_square_tails() {
        for (x, k, v) in [
            (3.84, 1.0, 0.05004352124870519),
            (10.0, 2.0, 0.006737946999085468),
            (0.5, 3.0, 0.9188914116546758),
            (50.0, 10.0, 2.669083424904495e-07),
            (100.0, 3.0, 1.5541594313896026e-21),
            (1e-3, 1.0, 0.9747728793699604),
            (200.0, 150.0, 0.003973185970821635),
        ] {
            close(chi_square_sf(x, k), v, 1e-11);
        }
    }

    #[test]
    fn student_t_tails_and_quantiles() {
        for (t, k, v) in [
            (2.0, 1.0, 0.14758361765043326),
            (2.0, 5.0, 0.050969739414929174),
            (1.5, 10.5, 0.08153437895922226),
            (3.0, 30.0, 0.0026949820328259727),
            (0.1, 3.0, 0.46332617440040297),
            (2.5, 1e6, 0.006209744751081627),
            (6.0, 4.0, 0.0019412685234802554),
        ] {
            close(t_sf(t, k), v, 1e-9);
            close(t_two_sided(-t, k), 2.0 * v, 1e-9);
            close(t_sf(-t, k), 1.0 - v, 1e-9);
        }
        for (p, k, v) in [
            (0.975, 1.0, 12.706204736174694),
            (0.975, 5.0, 2.5705818356363146),
            (0.975, 10.5, 2.2138402929187886),
            (0.995, 30.0, 2.7499956535672254),
            (0.975, 1e6, 1.959966356814107),
        ] {
            close(t_quantile(p, k), v, 1e-9);
            close(t_quantile(1.0 - p, k), -v, 1e-9);
        }
    }
}

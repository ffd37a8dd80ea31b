//! Distribution functions for significance tests: the normal, chi-square and Student's t
//! distributions (tail probabilities and quantiles).
//!
//! Small routines after Numerical Recipes (Press et al., 3rd ed., §6.1–6.4): the log gamma
//! function by Lanczos' approximation (g = 7, 9 coefficients, relative error below 1e-15),
//! the regularized incomplete gamma function by its series below `a + 1` and its continued
//! fraction (modified Lentz) above, and the regularized incomplete beta function by its
//! continued fraction with the symmetry `I_x(a, b) = 1 − I_{1−x}(b, a)`. The normal tail is
//! `erfc`, itself the incomplete gamma `Q(1/2, x²)`, so tails far out (p = 1e-20) keep their
//! relative precision. Quantiles are found by bisection on the distribution function (to
//! the last bit), starting from Acklam's rational approximation for the normal.
//!
//! The unit tests compare every function with values printed by SciPy 1.17
//! (`scipy.stats.norm`, `chi2`, `t`, `scipy.special.gammaln`); `scripts/crosscheck.py`
//! checks the p-values of an A/B test against SciPy on generated data.
//!
//! A crate was considered: `statrs` 0.19 builds for wasm32 without its default features;
//! these ~150 lines avoid a dependency for the four functions the engine needs.

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection: Γ(x) Γ(1 − x) = π / sin(πx)
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (k, c) in C.iter().enumerate().skip(1) {
        a += c / (x + k as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

const EPS: f64 = 1e-16;
const TINY: f64 = 1e-300;
const MAX_ITER: usize = 100_000;

/// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // series of P(a, x)
        let (mut ap, mut sum, mut del) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // continued fraction of Q(a, x)
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        front * h
    }
}

/// The regularized incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1.
pub fn beta_i(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// P(Z > z) for a standard normal Z.
pub fn normal_sf(z: f64) -> f64 {
    if z < 0.0 {
        return 1.0 - normal_sf(-z);
    }
    // erfc(x) = Q(1/2, x²) with x = z / √2
    0.5 * gamma_q(0.5, z * z / 2.0)
}

/// P(Z ≤ z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    normal_sf(-z)
}

/// The z with P(Z ≤ z) = p, 0 < p < 1.
pub fn normal_quantile(p: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    // Acklam's approximation (relative error < 1.2e-9), then bisection to the last bit
    let start = acklam(p);
    let width = 1e-6 * start.abs().max(1.0);
    solve(normal_cdf, p, start - width, start + width)
}

/// P(X > x) for X chi-square with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    gamma_q(df / 2.0, x / 2.0)
}

/// P(T > t) for T Student's t with `df` degrees of freedom.
pub fn t_sf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * beta_i(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// P(|T| > |t|) for T Student's t with `df` degrees of freedom (a two-sided p-value).
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    beta_i(df / 2.0, 0.5, df / (df + t * t))
}

/// The t with P(T ≤ t) = p for Student's t with `df` degrees of freedom, 0 < p < 1.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    // the t quantile is further out than the normal's; widen until bracketed
    let z = normal_quantile(p);
    let mut far = 2.0 * z;
    while (1.0 - t_sf(far, df) - p) * z.signum() < 0.0 {
        far *= 2.0;
    }
    solve(|t| 1.0 - t_sf(t, df), p, z.min(far), z.max(far))
}

/// The x with `cdf(x) = p` for an increasing `cdf`, by bisection from `[lo, hi]` (widened
/// until it brackets p).
fn solve(cdf: impl Fn(f64) -> f64, p: f64, mut lo: f64, mut hi: f64) -> f64 {
    let mut step = hi - lo;
    while cdf(lo) > p {
        step *= 2.0;
        lo -= step;
    }
    step = hi - lo;
    while cdf(hi) < p {
        step *= 2.0;
        hi += step;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Acklam's rational approximation of the normal quantile.
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
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
    fn log_gamma() {
        for (x, v) in [
            (0.5, 0.5723649429247),
            (1.0, 0.0),
            (3.5, 1.2009736023470743),
            (10.0, 12.801827480081469),
            (100.5, 361.43554046777757),
            (1e5, 1051287.7089736569),
        ] {
            if v == 0.0 {
                assert!(ln_gamma(x).abs() < 1e-14);
            } else {
                close(ln_gamma(x), v, 1e-13);
            }
        }
    }

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
            close(normal_sf(z), v, 1e-12);
        }
        close(normal_cdf(-3.0), 0.0013498980316300933, 1e-12);
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

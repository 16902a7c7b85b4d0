//! Root finding for the monotone estimating equations (Paule–Mandel, Q-profile).
//!
//! Brent's method (Brent 1973, ch. 4, the `zeroin` algorithm that R's
//! `uniroot` also uses), run to near machine precision rather than R's
//! default `tol = .Machine$double.eps^0.25`.

/// Finds x in [a, b] with f(x) = 0, given f(a) and f(b) of opposite signs.
/// Returns `None` when the bracket is invalid or 200 iterations do not converge.
pub(crate) fn brent(mut f: impl FnMut(f64) -> f64, a: f64, b: f64) -> Option<f64> {
    let (mut a, mut b) = (a, b);
    let (mut fa, mut fb) = (f(a), f(b));
    if !(fa.is_finite() && fb.is_finite()) || fa * fb > 0.0 {
        return None;
    }
    if fa == 0.0 {
        return Some(a);
    }
    if fb == 0.0 {
        return Some(b);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        ((a, fa), (b, fb), (c, fc)) = best_last((a, fa), (b, fb), (c, fc));
        let tol = 2.0 * f64::EPSILON * b.abs() + 1e-15;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Some(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qa = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0));
                q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    None
}

/// R's `uniroot(f, c(lower, upper), extendInt = "upX" | "downX", tol,
/// maxiter)` step for step: `sig` = 1 for `upX` (f increasing: the upper end
/// is moved up while f(upper) < 0, the lower end down while f(lower) > 0),
/// −1 for `downX`, by steps of 0.01·max(10⁻⁴, |end|) doubled each time; then
/// `R_zeroin2` (R's src/library/stats/src/zeroin.c) on the bracket with
/// tolerance `tol`. Returns `None` where uniroot stops with an error (no sign
/// change within `maxiter` extensions, a value that is not a number) or does
/// not converge.
pub(crate) fn r_uniroot(
    mut f: impl FnMut(f64) -> f64,
    lower: f64,
    upper: f64,
    sig: f64,
    tol: f64,
    maxiter: usize,
) -> Option<f64> {
    let (mut lower, mut upper) = (lower, upper);
    let (mut fl, mut fu) = (f(lower), f(upper));
    if fl.is_nan() || fu.is_nan() {
        return None;
    }
    let mut it = 0;
    let mut delta = 0.01 * lower.abs().max(1e-4);
    while sig * fl > 0.0 {
        it += 1;
        if it > maxiter {
            return None;
        }
        lower -= delta;
        fl = f(lower);
        delta *= 2.0;
    }
    let mut delta = 0.01 * upper.abs().max(1e-4);
    while sig * fu < 0.0 {
        it += 1;
        if it > maxiter {
            return None;
        }
        upper += delta;
        fu = f(upper);
        delta *= 2.0;
    }
    if fl.is_nan() || fu.is_nan() || fl.signum() * fu.signum() > 0.0 {
        return None;
    }
    // R's zeroin2 replaces an infinite value by ±DBL_MAX.
    let clamp = |v: f64| v.clamp(-f64::MAX, f64::MAX);
    r_zeroin2(
        |x| clamp(f(x)),
        lower,
        upper,
        clamp(fl),
        clamp(fu),
        tol,
        maxiter,
    )
}

/// How a [`zeroin`] search ended: at a root within the tolerance, or after
/// its last step without one (with that step's estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zeroin {
    Root(f64),
    Unconverged(f64),
}

/// Brent's zeroin as R's `R_zeroin2` (src/library/stats/src/zeroin.c)
/// writes it, on the bracket (a, f(a)), (b, f(b)), with a fallible `f`: its
/// first error ends the search. Shared by [`r_zeroin2`] and the permutation
/// CI's bound search.
pub(crate) fn zeroin<E>(
    mut f: impl FnMut(f64) -> Result<f64, E>,
    (mut a, mut fa): (f64, f64),
    (mut b, mut fb): (f64, f64),
    tol: f64,
    maxit: usize,
) -> Result<Zeroin, E> {
    let (mut c, mut fc) = (a, fa);
    if fa == 0.0 {
        return Ok(Zeroin::Root(a));
    }
    if fb == 0.0 {
        return Ok(Zeroin::Root(b));
    }
    for _ in 0..=maxit {
        let prev_step = b - a;
        ((a, fa), (b, fb), (c, fc)) = best_last((a, fa), (b, fb), (c, fc));
        let tol_act = 2.0 * f64::EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return Ok(Zeroin::Root(b));
        }
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            if a == c {
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                let qq = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1.0));
                q = (qq - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < (0.75 * cb * q - (tol_act * q).abs() / 2.0) && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b)?;
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    Ok(Zeroin::Unconverged(b))
}

/// R's `R_zeroin2` given f at both ends ([`zeroin`] with a value that is
/// not a number as its error); `None` when `maxit` steps do not converge or
/// f is not a number.
pub(crate) fn r_zeroin2(
    mut f: impl FnMut(f64) -> f64,
    ax: f64,
    bx: f64,
    fa: f64,
    fb: f64,
    tol: f64,
    maxit: usize,
) -> Option<f64> {
    let number = |x: f64| if x.is_nan() { Err(()) } else { Ok(x) };
    match zeroin(|x| number(f(x)), (ax, fa), (bx, fb), tol, maxit) {
        Ok(Zeroin::Root(x)) => Some(x),
        _ => None,
    }
}

/// zeroin's exchange of the bracket's ends (x, f(x)): `b` becomes the end
/// with the smaller |f| and `c` the other, with `a` (the previous estimate)
/// the `b` it replaced. Shared by [`brent`] and [`zeroin`].
pub(crate) fn best_last(
    a: (f64, f64),
    b: (f64, f64),
    c: (f64, f64),
) -> ((f64, f64), (f64, f64), (f64, f64)) {
    if c.1.abs() < b.1.abs() {
        (b, c, b)
    } else {
        (a, b, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_uniroot_extends_upwards_and_finds_the_root() {
        // The root 3000 lies beyond the interval [0, 1000]: upX moves the
        // upper end by 10, 20, 40, ... until f changes sign.
        let r = r_uniroot(|x| x - 3000.0, 0.0, 1000.0, 1.0, 1e-10, 1000).unwrap();
        assert!((r - 3000.0).abs() < 1e-6, "{r}");
        // R: uniroot(function(x) x^2 - 2, c(0, 2), tol = 1e-12)$root
        let r = r_uniroot(|x| x * x - 2.0, 0.0, 2.0, 1.0, 1e-12, 1000).unwrap();
        assert!((r - std::f64::consts::SQRT_2).abs() < 1e-11, "{r}");
        // No sign change within maxiter extensions: none.
        assert!(r_uniroot(|_| -1.0, 0.0, 1.0, 1.0, 1e-8, 20).is_none());
    }

    #[test]
    fn finds_square_root_of_two() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-14);
    }

    #[test]
    fn rejects_a_bracket_without_sign_change() {
        assert!(brent(|x| x * x + 1.0, -1.0, 1.0).is_none());
    }
}

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

/// zeroin's exchange of the bracket's ends (x, f(x)): `b` becomes the end
/// with the smaller |f| and `c` the other, with `a` (the previous estimate)
/// the `b` it replaced. Shared by [`brent`] and the permutation CI's
/// `R_zeroin2`.
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
    fn finds_square_root_of_two() {
        let r = brent(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-14);
    }

    #[test]
    fn rejects_a_bracket_without_sign_change() {
        assert!(brent(|x| x * x + 1.0, -1.0, 1.0).is_none());
    }
}

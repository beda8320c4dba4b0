import Foundation

/// Python's `x ** 2` on a float (or a NumPy float64 scalar): libm's
/// `pow(x, 2.0)`, which glibc computes to within 0.52 ulp and so is not
/// always the correctly rounded `x * x` (e.g. 2.9884432695095215² is
/// 8.930793175076758 by `pow` and 8.93079317507676 by multiplication).
/// Gymnasium writes `**2` in Pendulum's cost and Acrobot's dynamics and
/// `np.square` (a true `x * x`) in CartPole; Herd follows each, so that
/// rewards agree to the last bit.
///
/// Optimisation is off for these two functions: LLVM otherwise rewrites
/// `pow(x, 2.0)` into `x * x`, which is the very difference to keep.
@_optimize(none) @inline(never)
func pythonSquare(_ x: Double) -> Double { Foundation.pow(x, 2) }

/// NumPy's `x ** 2` on a float32 scalar: `powf(x, 2)` (not optimised, as above).
@_optimize(none) @inline(never)
func pythonSquare(_ x: Float) -> Float { Foundation.pow(x, 2) }

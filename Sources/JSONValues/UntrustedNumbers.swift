import Foundation

/// Conversions of numbers that come from outside (payloads, manifests, configs, AWS answers) that never trap.
///
/// `Int(x)` on a `Double` outside `Int`'s range, or on NaN or infinity, stops the
/// process; these helpers return nil or clamp instead.
public enum UntrustedNumber {
    /// The largest magnitude written as an integer: every integer up to 2^53 is exact in a `Double`.
    public static let exactIntegerLimit: Double = 9_007_199_254_740_992

    /// `d` as an integer when it is integral and within `range`, else nil.
    public static func integer(_ d: Double, in range: ClosedRange<Int64> = Int64.min...Int64.max) -> Int64? {
        guard d.isFinite, d.rounded() == d, abs(d) <= exactIntegerLimit, let i = Int64(exactly: d), range.contains(i) else { return nil }
        return i
    }

    /// `d` clamped to `range`; NaN gives the lower bound.
    public static func clamped(_ d: Double, to range: ClosedRange<Double>) -> Double {
        guard !d.isNaN else { return range.lowerBound }
        return min(max(d, range.lowerBound), range.upperBound)
    }

    /// A number as users read it: integral values without a fraction (`3`, not `3.0`), others in Swift's shortest form (`1e+20`).
    public static func text(_ d: Double) -> String {
        if let i = integer(d) { return String(i) }
        return "\(d)"
    }
}

extension Duration {
    /// `seconds` as a duration, clamped to `range` (NaN gives the lower bound); never traps.
    public static func seconds(clamping seconds: Double, to range: ClosedRange<Double>) -> Duration {
        // Within Int64 seconds whatever range a caller passes, so the conversion below cannot trap.
        let s = UntrustedNumber.clamped(UntrustedNumber.clamped(seconds, to: range), to: -9.2e18...9.2e18)
        let whole = s.rounded(.towardZero)
        return .seconds(Int64(whole)) + .nanoseconds(Int64((s - whole) * 1e9))
    }
}

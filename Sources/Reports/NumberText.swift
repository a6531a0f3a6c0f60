import Foundation

/// Numbers as report text, for every `Double` a run can produce: NaN, the infinities and magnitudes
/// beyond `Int` (a diverged loss) are written as text instead of trapping in an `Int` conversion.
public enum NumberText {
    /// Magnitudes from here up are written in scientific notation (`1.23e+20`): fixed notation would be
    /// dozens of digits wide, and an `Int` conversion would trap above `Int.max` (about 9.2e18).
    public static let scientificThreshold = 1e15

    /// `"NaN"`, `"inf"` or `"-inf"` for a non-finite value; nil for a finite one.
    public static func nonFinite(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return nil
    }

    /// `value` with `decimals` decimals (`0.25`), in scientific notation from `scientificThreshold` up,
    /// and `NaN` / `inf` / `-inf` for non-finite values.
    public static func decimal(_ value: Double, decimals: Int = 2) -> String {
        if let text = nonFinite(value) { return text }
        if abs(value) >= scientificThreshold { return String(format: "%.3g", value) }
        let text = String(format: "%.\(max(0, min(decimals, 17)))f", value)
        // A small negative value rounds to "-0.00": print it as the zero it reads as.
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }

    /// An axis label: whole numbers (and anything of magnitude 100 or more) without decimals, other
    /// values with two; scientific notation from `scientificThreshold` up; `NaN` / `inf` / `-inf`.
    public static func axisLabel(_ value: Double) -> String {
        if let text = nonFinite(value) { return text }
        if abs(value) >= scientificThreshold { return String(format: "%.3g", value) }
        return abs(value) >= 100 || value == value.rounded() ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }
}

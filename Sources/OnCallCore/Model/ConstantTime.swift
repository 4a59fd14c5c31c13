/// Comparisons whose duration does not depend on where two secrets differ.
public enum ConstantTime {
    /// True when `a` and `b` are the same bytes; time depends only on the lengths.
    public static func equals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        let count = max(x.count, y.count)
        for index in 0..<count {
            let left = index < x.count ? x[index] : 0
            let right = index < y.count ? y[index] : 0
            difference |= left ^ right
        }
        return difference == 0 && x.count == y.count
    }
}

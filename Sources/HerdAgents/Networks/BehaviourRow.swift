/// The acting policy's record of one step, as central inference writes it
/// and the V-trace batch reads it: the distribution's parameters
/// (``PolicyDistribution/parameters``: logits, or mean and log σ) followed
/// by the action in the policy's own space (before any mapping to the
/// environment's bounds). From the two the learner recovers `log μ(a)`.
/// Row width: `head.parameterCount + head.actionSize`.
public enum BehaviourRow {
    /// Rows for `rows` steps from their parameters `[rows, p]` and actions `[rows, a]`.
    public static func encode(parameters: [Float], actions: [Float], rows: Int, head: ActionHead) -> [Float] {
        let p = head.parameterCount, a = head.actionSize
        precondition(parameters.count == rows * p && actions.count == rows * a,
                     "BehaviourRow: \(parameters.count) parameters and \(actions.count) action values for \(rows) rows of \(p) + \(a)")
        var out: [Float] = []
        out.reserveCapacity(rows * (p + a))
        for row in 0..<rows {
            out += parameters[(row * p)..<((row + 1) * p)]
            out += actions[(row * a)..<((row + 1) * a)]
        }
        return out
    }

    /// The parameters and the action of one row.
    public static func decode(_ row: [Float], head: ActionHead) -> (parameters: ArraySlice<Float>, action: ArraySlice<Float>) {
        let p = head.parameterCount
        precondition(row.count == p + head.actionSize, "BehaviourRow: a row of \(row.count) values, expected \(p) + \(head.actionSize)")
        return (row[0..<p], row[p...])
    }
}

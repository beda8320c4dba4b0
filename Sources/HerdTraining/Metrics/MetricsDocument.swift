/// `docs/metrics.md`, generated from the declarations (``RunMetrics``,
/// each agent's ``Agent/metrics`` and ``Agent/summaryMetrics``,
/// ``SummaryMetrics``). `herd metrics --markdown > docs/metrics.md`
/// rewrites it; a test fails when the committed page differs.
public enum MetricsDocument {
    public static func markdown() -> String {
        var out = """
        # Metrics

        Generated from the metric declarations in `Sources/HerdTraining` by
        `herd metrics --markdown > docs/metrics.md`; do not edit by hand
        (`MetricsDocumentTests` fails when this page is stale).

        Each line of a run's `metrics.jsonl` holds the run's figures, then its
        agent's, then the rest of the run's. Values that have no meaning for
        an interval are `null` (and are left out of TensorBoard). Figures "so
        far" count from the start of the session (they restart at a resume).


        """
        out += "## Every run (`metrics.jsonl`)\n\n" + table(RunMetrics.all, tags: true)
        for agent in AgentRegistry.agents {
            out += "\n## Agent `\(agent.name)` (`metrics.jsonl`)\n\n\(agent.summary)\n\n" + table(agent.metrics, tags: true)
        }
        out += "\n## `summary.json`\n\nWritten once, at the end of a run.\n\n" + table(SummaryMetrics.all, tags: false)
        for agent in AgentRegistry.agents where !agent.summaryMetrics.isEmpty {
            out += "\n### Added by `\(agent.name)`\n\n" + table(agent.summaryMetrics, tags: false)
        }
        return out
    }

    private static func table(_ metrics: [Metric], tags: Bool) -> String {
        var out = tags ? "| key | TensorBoard tag | unit | meaning |\n|---|---|---|---|\n" : "| key | unit | meaning |\n|---|---|---|\n"
        for m in metrics {
            let unit = m.unit.rawValue
            out += tags ? "| `\(m.key)` | \(m.tag.map { "`\($0)`" } ?? "—") | \(unit) | \(m.meaning) |\n"
                : "| `\(m.key)` | \(unit) | \(m.meaning) |\n"
        }
        return out
    }

    /// Keys declared twice for one run's lines (the run's and one agent's
    /// figures), a programmer mistake the tests check for. Agents may use
    /// the same key with their own tags (`q_mean` is `r2d2/q_mean` in an
    /// R2D2 run, `sac/q_mean` in a SAC run): a run has one agent.
    public static func conflictingDeclarations() -> [String] {
        AgentRegistry.agents.flatMap { agent -> [String] in
            var seen: Set<String> = []
            return (RunMetrics.all + agent.metrics).compactMap { seen.insert($0.key).inserted ? nil : "\(agent.name): \($0.key)" }
        }
    }
}

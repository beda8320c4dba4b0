import ArgumentParser
import HerdTraining

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the figures runs write to metrics.jsonl, TensorBoard and summary.json.",
        discussion: "With --markdown, prints docs/metrics.md (generated from the declarations).")

    @Flag(help: "Print the Markdown page docs/metrics.md.")
    var markdown = false

    func run() throws {
        if markdown {
            print(MetricsDocument.markdown(), terminator: "")
        } else {
            for metric in RunMetrics.all { print("\(metric.key)\t\(metric.tag ?? "-")\t\(metric.meaning)") }
            for agent in AgentRegistry.agents {
                for metric in agent.metrics { print("\(metric.key)\t\(metric.tag ?? "-")\t[\(agent.name)] \(metric.meaning)") }
            }
        }
    }
}

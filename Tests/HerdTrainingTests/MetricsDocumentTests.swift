import Foundation
import HerdTestSupport
@testable import HerdTraining
import XCTest

final class MetricsDocumentTests: XCTestCase {
    /// docs/metrics.md is generated from the declarations; regenerate it
    /// with `herd metrics --markdown > docs/metrics.md`.
    func testDocsMetricsPage_isTheGeneratedOne() throws {
        let url = repositoryRoot.appendingPathComponent("docs/metrics.md")
        let committed = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(committed, MetricsDocument.markdown(),
                       "docs/metrics.md is stale: run `.build/release/herd metrics --markdown > docs/metrics.md`")
    }

    func testDeclarations_haveOneTagPerKey_andEveryAgentDeclaresItsKeysOnce() {
        XCTAssertEqual(MetricsDocument.conflictingDeclarations(), [])
        for agent in AgentRegistry.agents {
            let keys = agent.metrics.map(\.key)
            XCTAssertEqual(keys.count, Set(keys).count, "\(agent.name) declares a key twice: \(keys)")
            XCTAssertTrue(Set(keys).isDisjoint(with: RunMetrics.all.map(\.key)), "\(agent.name) redeclares a run metric")
            XCTAssertTrue(agent.metrics.allSatisfy { !$0.meaning.isEmpty && $0.tag != nil }, agent.name)
        }
    }

    /// An agent's TensorBoard tags name that agent or no agent: V-trace's
    /// learning rate was once drawn under `ppo/learning_rate`.
    func testTags_ofOneAgent_areNotFiledUnderAnother() {
        let names = Set(AgentRegistry.agents.map(\.name))
        for agent in AgentRegistry.agents {
            for metric in agent.metrics {
                guard let prefix = metric.tag?.split(separator: "/").first.map(String.init), names.contains(prefix) else { continue }
                XCTAssertEqual(prefix, agent.name, "\(agent.name) files \(metric.key) under \(metric.tag!)")
            }
        }
    }

    /// A line is made of declared metrics only, and every tagged finite
    /// value reaches TensorBoard.
    func testMetricValues_keepOrder_andOnlyFiniteTaggedValuesGoToTensorBoard() {
        var values = MetricValues()
        values[RunMetrics.step] = 100
        values[LearnerMetrics.policyLoss] = -0.5
        values[RunMetrics.episodeReturnMean] = .nan
        values[LearnerMetrics.policyLoss] = -0.25
        XCTAssertEqual(values.entries.map(\.metric.key), ["step", "policy_loss", "episode_return_mean"])
        XCTAssertEqual(MetricsLine.record(values).json, #"{"step":100,"policy_loss":-0.25,"episode_return_mean":null}"#)
        let scalars = MetricsLine.tensorBoardScalars(values)
        XCTAssertEqual(scalars.map(\.tag), ["loss/policy"])
        XCTAssertEqual(scalars.map(\.value), [-0.25])
    }
}

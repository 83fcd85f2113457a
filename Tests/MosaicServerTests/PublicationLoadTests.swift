import Foundation
import MosaicCore
@testable import MosaicServer
@testable import MosaicStore
import Testing

/// How a router applies a publication (no PostgreSQL needed: the publication is built here).
@Suite("serve: applying publications")
struct PublicationLoadTests {
    /// A model an earlier publication carried, which this router refused then (a newer
    /// Mosaic's schema), must not make every later publication of a policy alone fail too,
    /// blaming a model the publication does not carry (an audit saw exactly that).
    @Test func aPolicyAloneIsAppliedBesideAModelRefusedEarlier() throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let running = service.bundle
        let badModel = #"{"schemaVersion": 99, "kind": "routing"}"#
        let policy = Fixture.closedPolicyYAML.replacingOccurrences(of: "name: llm-default", with: "name: republished-llm-default")
        #expect(policy != Fixture.closedPolicyYAML)
        let policyAlone = FleetLeases.Publication(id: 2, publishedAt: 0, model: badModel, policy: policy, note: "",
                                                  modelPublication: 1, policyPublication: 2)
        let b = try LoadedBundle.load(publication: policyAlone, running: running, catalog: .default, now: 0, generation: 2,
                                      sharedLimits: nil)
        #expect(b.policy.name.hasPrefix("republished-"))
        #expect(b.model == running.model)
        #expect(b.modelPath == running.modelPath)
        #expect(b.policyPath == "publication 2 (policy)")

        // The publication that carries the bad model is refused, naming it.
        let carried = FleetLeases.Publication(id: 1, publishedAt: 0, model: badModel, policy: nil, note: "",
                                              modelPublication: 1, policyPublication: nil)
        #expect {
            try LoadedBundle.load(publication: carried, running: running, catalog: .default, now: 0, generation: 2, sharedLimits: nil)
        } throws: { error in
            "\(error)".contains("publication 1 (model)") && "\(error)".contains("schema version 99")
        }
    }
}

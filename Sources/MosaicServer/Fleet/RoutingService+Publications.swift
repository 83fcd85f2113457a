import Foundation
import MosaicCore
import MosaicRouting
import MosaicStore

extension LoadedBundle {
    /// Parses and validates a published model and/or policy completely and compiles the
    /// router; what the publication leaves out is taken from `running`.
    ///
    /// A model or policy an earlier publication carried, which this router refused then (one
    /// of a newer Mosaic's schema), is not refused again with a publication of the other file
    /// alone: the running one stays, and the other file is applied.
    static func load(publication p: FleetLeases.Publication, running: LoadedBundle, catalog: Catalog, now: Int64,
                     generation: Int, sharedLimits: SharedLimits?) throws(LoadError) -> LoadedBundle {
        let start = DispatchTime.now().uptimeNanoseconds
        let modelName = "publication \(p.modelPublication ?? p.id) (model)"
        let policyName = "publication \(p.policyPublication ?? p.id) (policy)"
        var model = running.model, modelPath = running.modelPath
        if let text = p.model {
            do {
                model = try RoutingModel.decode(Data(text.utf8))
                modelPath = modelName
            } catch {
                if p.modelPublication == p.id { throw LoadError(file: modelName, reason: error.description) }
            }
        }
        var policy = running.policy, policyPath = running.policyPath
        if let text = p.policy {
            do {
                policy = try RoutingPolicy(yaml: text, source: policyName, catalog: catalog)
                policyPath = policyName
            } catch {
                if p.policyPublication == p.id { throw LoadError(file: policyName, reason: error.description) }
            }
        }
        let router: MosaicRouting.Router
        do { router = try MosaicRouting.Router(policy: policy, catalog: catalog, model: model, now: now, sharedLimits: sharedLimits) } catch {
            throw LoadError(file: p.policyPublication == p.id ? policyName : modelName, reason: error.description)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return LoadedBundle(router: router, model: model, policy: policy, catalog: catalog, modelPath: modelPath,
                            policyPath: policyPath, generation: generation, loadedAt: now, loadSeconds: seconds)
    }
}

extension RoutingService {
    /// Swaps in a publication the fleet heard of, after validating it as a reload does; a bad
    /// publication keeps the running bundle, logs why and counts a failed reload with source
    /// `publication`.
    func apply(_ p: FleetLeases.Publication) {
        let result = swapBundle { _, next in
            try LoadedBundle.load(publication: p, running: current.withLock { $0 }, catalog: options.catalog,
                                  now: options.clock(), generation: next, sharedLimits: fleet?.limits)
        }
        switch result {
        case .reloaded(let g, let v, let s):
            metrics.reload(source: "publication", ok: true)
            writer?.refreshPrices()
            logger.notice("publication applied", metadata: ["publication": "\(p.id)", "generation": "\(g)", "model_version": "\(v)",
                                                            "load_ms": "\(String(format: "%.3f", s * 1000))"])
        case .failed(let reason):
            metrics.reload(source: "publication", ok: false)
            logger.error("publication refused; the previous model keeps serving", metadata: ["publication": "\(p.id)", "reason": "\(reason)"])
        }
    }
}

/// Derivative-free minimisation of a function of a few variables inside a box, by the
/// Nelder–Mead simplex method (Lagarias et al. 1998 coefficients: reflection 1, expansion 2,
/// contraction ½, shrink ½).
///
/// **Bounds.** Every trial point is clamped into `[lowerBounds, upperBounds]` before it is
/// evaluated, so the objective is never called outside the box; the simplex can collapse onto
/// a face, which is where a bounded optimum lies anyway.
///
/// **Stopping.** The search stops when the spread of the objective over the simplex,
/// `f_worst − f_best`, falls to `tolerance · (|f_best| + tolerance)` and every vertex lies within
/// `pointTolerance` times the box width of the best one in every coordinate, or once
/// `maxEvaluations` calls have been made (the iteration under way finishes, which can add up to
/// d + 2 calls for d variables).
/// An objective that returns NaN or +∞ marks the point as infeasible (it is never accepted
/// over a finite value).
///
/// Meant for the 1–6 parameters of a smoothing model; it is not a general-purpose optimiser
/// for many dimensions.
public struct NelderMead: Sendable {
    /// The lower corner of the box, one value per variable.
    public var lowerBounds: [Double]
    /// The upper corner of the box, one value per variable (each at least the lower bound).
    public var upperBounds: [Double]
    /// The most objective evaluations to spend.
    public var maxEvaluations: Int
    /// The relative tolerance on the objective's spread over the simplex.
    public var tolerance: Double
    /// The tolerance on the simplex's size, as a fraction of each coordinate's box width.
    public var pointTolerance: Double
    /// The initial simplex's edge, as a fraction of each coordinate's box width.
    public var initialStep: Double

    /// - Precondition: `lowerBounds.count == upperBounds.count`, every lower bound at most its
    ///   upper bound, both finite; `maxEvaluations >= 1`; `tolerance > 0`; `pointTolerance > 0`;
    ///   `0 < initialStep <= 1`.
    public init(lowerBounds: [Double], upperBounds: [Double], maxEvaluations: Int = 400,
                tolerance: Double = 1e-8, pointTolerance: Double = 1e-4, initialStep: Double = 0.1) {
        precondition(lowerBounds.count == upperBounds.count, "NelderMead: \(lowerBounds.count) lower bounds but \(upperBounds.count) upper bounds")
        precondition(zip(lowerBounds, upperBounds).allSatisfy { $0.isFinite && $1.isFinite && $0 <= $1 },
                     "NelderMead: bounds must be finite with lower ≤ upper")
        precondition(maxEvaluations >= 1 && tolerance > 0 && pointTolerance > 0 && initialStep > 0 && initialStep <= 1,
                     "NelderMead: maxEvaluations ≥ 1, tolerances > 0 and 0 < initialStep ≤ 1")
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
        self.maxEvaluations = maxEvaluations
        self.tolerance = tolerance
        self.pointTolerance = pointTolerance
        self.initialStep = initialStep
    }

    /// The best point found and how the search ended.
    public struct Result: Sendable, Equatable {
        /// The best point (inside the box).
        public var x: [Double]
        /// The objective at `x`.
        public var value: Double
        /// How many times the objective was called.
        public var evaluations: Int
        /// Whether the tolerance was met before the evaluation budget ran out.
        public var converged: Bool
    }

    /// Minimises `objective` starting from `start` (clamped into the box).
    ///
    /// - Parameters:
    ///   - start: The first vertex of the simplex; the others step `initialStep` of the box
    ///     width along each axis (inwards when the start sits on the upper face).
    ///   - objective: The function to minimise. NaN and +∞ mean infeasible.
    /// - Complexity: At most `maxEvaluations` calls of `objective`, plus O(d²) work per
    ///   iteration for `d` variables.
    /// - Precondition: `start.count == lowerBounds.count`.
    public func minimize(from start: [Double], _ objective: ([Double]) -> Double) -> Result {
        let d = lowerBounds.count
        precondition(start.count == d, "NelderMead: start has \(start.count) values for \(d) variables")
        var evaluations = 0
        func f(_ x: [Double]) -> Double {
            evaluations += 1
            let v = objective(x)
            return v.isNaN ? .infinity : v
        }
        let x0 = clamp(start)
        if d == 0 { return Result(x: [], value: f(x0), evaluations: evaluations, converged: true) }

        // The initial simplex: the start plus one step along each axis.
        var points = [x0]
        points.reserveCapacity(d + 1)
        for j in 0..<d {
            var p = x0
            let width = upperBounds[j] - lowerBounds[j]
            let step = initialStep * width
            p[j] = p[j] + step <= upperBounds[j] ? p[j] + step : p[j] - step
            points.append(p)
        }
        var values = points.map(f)
        var converged = false

        while evaluations < maxEvaluations {
            // Order best to worst (d is small: insertion order by sorting indices is cheap).
            let order = values.indices.sorted { values[$0] < values[$1] }
            points = order.map { points[$0] }
            values = order.map { values[$0] }
            if hasConverged(points, values) { converged = true; break }

            let centroid = (0..<d).map { j in points[0..<d].reduce(0) { $0 + $1[j] } / Double(d) }
            let worst = points[d]
            let reflected = clamp((0..<d).map { centroid[$0] + (centroid[$0] - worst[$0]) })
            let fr = f(reflected)
            if fr < values[0] {
                let expanded = clamp((0..<d).map { centroid[$0] + 2 * (centroid[$0] - worst[$0]) })
                let fe = f(expanded)
                if fe < fr { points[d] = expanded; values[d] = fe } else { points[d] = reflected; values[d] = fr }
                continue
            }
            if fr < values[d - 1] { points[d] = reflected; values[d] = fr; continue }
            // Contract towards the better of the reflected and the worst point.
            let outside = fr < values[d]
            let target = outside ? reflected : worst
            let contracted = clamp((0..<d).map { centroid[$0] + 0.5 * (target[$0] - centroid[$0]) })
            let fc = f(contracted)
            if fc < (outside ? fr : values[d]) { points[d] = contracted; values[d] = fc; continue }
            // Shrink every vertex towards the best one.
            for i in 1...d {
                points[i] = clamp((0..<d).map { points[0][$0] + 0.5 * (points[i][$0] - points[0][$0]) })
                values[i] = f(points[i])
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return Result(x: points[best], value: values[best], evaluations: evaluations, converged: converged)
    }

    // MARK: Helpers

    func clamp(_ x: [Double]) -> [Double] {
        var out = x
        for j in out.indices { out[j] = min(max(out[j], lowerBounds[j]), upperBounds[j]) }
        return out
    }

    /// Objective spread and simplex size both under the tolerance (points sorted best first).
    func hasConverged(_ points: [[Double]], _ values: [Double]) -> Bool {
        guard let best = values.first, let worst = values.last, best.isFinite, worst.isFinite else { return false }
        guard worst - best <= tolerance * (abs(best) + tolerance) else { return false }
        for j in lowerBounds.indices {
            let width = upperBounds[j] - lowerBounds[j]
            for p in points.dropFirst() where abs(p[j] - points[0][j]) > pointTolerance * width { return false }
        }
        return true
    }
}

import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct NelderMeadTests {
        @Test func findsTheRosenbrockMinimum() {
            let optimiser = NelderMead(lowerBounds: [-2, -2], upperBounds: [2, 2], maxEvaluations: 2_000, tolerance: 1e-12)
            let result = optimiser.minimize(from: [-1.2, 1]) { x in
                let a = 1 - x[0], b = x[1] - x[0] * x[0]
                return a * a + 100 * b * b
            }
            #expect(result.converged)
            #expect(abs(result.x[0] - 1) < 1e-3 && abs(result.x[1] - 1) < 1e-3)
            #expect(result.evaluations <= 2_000)
        }

        @Test func staysInsideTheBox() {
            let optimiser = NelderMead(lowerBounds: [0, -1], upperBounds: [1, 1])
            var outside = false
            let result = optimiser.minimize(from: [0.5, 0.5]) { x in
                if x[0] < 0 || x[0] > 1 || x[1] < -1 || x[1] > 1 { outside = true }
                return (x[0] - 3) * (x[0] - 3) + x[1] * x[1]
            }
            #expect(!outside)
            #expect(abs(result.x[0] - 1) < 1e-6 && abs(result.x[1]) < 1e-3)
        }

        @Test func treatsNaNAsInfeasible() {
            let optimiser = NelderMead(lowerBounds: [-5], upperBounds: [5])
            let result = optimiser.minimize(from: [3]) { x in x[0] < 1 ? .nan : (x[0] - 1.5) * (x[0] - 1.5) }
            #expect(abs(result.x[0] - 1.5) < 1e-3)
            #expect(result.value.isFinite)
        }

        @Test func stopsAtTheBudget() {
            let optimiser = NelderMead(lowerBounds: [-1, -1, -1], upperBounds: [1, 1, 1], maxEvaluations: 10)
            let result = optimiser.minimize(from: [0.9, 0.9, 0.9]) { x in x.reduce(0) { $0 + $1 * $1 } }
            #expect(!result.converged)
            #expect(result.evaluations <= 10 + 3 + 2)  // the last iteration may finish a shrink
        }
    }
}

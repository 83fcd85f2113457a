import Foundation
import MosaicLinalg

extension CashFlowAnalysis {
    /// IRRs whose 1 + r agree to this relative difference (|Δ ln(1 + r)| ≤ 10⁻⁶) are one IRR.
    public static let irrResolution = 1e-6

    /// Every real IRR r > −1, ascending, whatever its size.
    ///
    /// In x = 1/(1 + r) the NPV is the polynomial p(x) = Σ cf[t] x^t, and r > −1 is x > 0. The
    /// work is done in u = ln x, where every rate above −100% is a finite u, and p is evaluated
    /// so that no power overflows (for x > 1 as p(x)/x^n, which has the same sign).
    ///
    /// 1. Candidates. With one sign change in the flows Descartes' rule leaves exactly one
    ///    positive root and nothing to look for. Otherwise the roots of p are the eigenvalues of
    ///    its companion matrix (LAPACK `dgeev`, as numpy's `roots`); each eigenvalue λ with
    ///    Re λ > 0 and |Im λ| ≤ 0.01 Re λ is a candidate at u = ln Re λ (a double root comes out
    ///    as a pair about 10⁻⁸ off the real axis, a root of multiplicity m about ε^(1/m) off it).
    ///    Candidates within ``irrResolution`` of each other form one cluster.
    /// 2. Signs. The sign of p is taken in the middle of each gap between clusters, and beyond
    ///    the outermost ones where it has the sign of the first (x → 0) or last (x → ∞) nonzero
    ///    flow: the step out is doubled until it does, so a root the eigenvalues missed there
    ///    still shows as a change of sign.
    /// 3. Roots. Every change of sign between neighbouring test points is bisected on the flows
    ///    to the last bit of u and polished with Newton steps on NPV(r). Where the sign does not
    ///    change across a cluster, the extremum of p there (Newton on dp/du from the cluster's
    ///    centre) decides: if p changes sign at it, two roots are bisected on either side; if
    ///    |p| there is within 8 (n + 1) ε of Σ |cf[t] x^t| (the rounding of the sum), the NPV
    ///    touches zero and that rate is an IRR (of even multiplicity); otherwise the cluster
    ///    is a complex pair.
    /// 4. Roots within ``irrResolution`` of each other are reported once.
    ///
    /// When LAPACK fails (a companion matrix with an overflowing entry: flows more than 10³⁰⁸
    /// apart) only step 2's outer signs are used, which finds one root when the first and last
    /// flows have opposite signs.
    /// - Complexity: O(n · 200) with one sign change; O(n³) for the eigenvalues otherwise.
    public static func allIRRs(_ cf: [Double]) -> [Double] {
        guard let first = cf.firstIndex(where: { $0 != 0 }), let last = cf.lastIndex(where: { $0 != 0 }),
              cf.contains(where: { $0 > 0 }), cf.contains(where: { $0 < 0 }) else { return [] }
        let p = NPVPolynomial(Array(cf[first...last]))
        let clusters = countSignChanges(cf) == 1 ? [] : p.candidateClusters()

        // Test points: one left of every cluster, one between each two, one right of them all.
        var roots: [Double] = []
        func signedPoint(_ u: Double) -> (u: Double, sign: Double)? {
            let v = p.value(u).p
            if v == 0 { roots.append(u); return nil }
            return (u, v > 0 ? 1 : -1)
        }
        func outer(from start: Double, direction: Double, sign want: Double) -> (u: Double, sign: Double) {
            var step = 1.0
            var last: (u: Double, sign: Double) = (start, 0)
            while step < 4096 {
                if let s = signedPoint(start + direction * step) {
                    last = s
                    if s.sign == want { return s }
                }
                step *= 2
            }
            return last.sign == 0 ? (start + direction * step, want) : last
        }
        var points = [outer(from: clusters.first?.lowerBound ?? 0, direction: -1, sign: p.a[0] > 0 ? 1 : -1)]
        for (a, b) in zip(clusters, clusters.dropFirst()) {
            // The middle of the gap, or another point in it when p is exactly zero there.
            let gap = b.lowerBound - a.upperBound
            if let s = (1...7).lazy.compactMap({ signedPoint(a.upperBound + gap * Double([4, 2, 6, 1, 3, 5, 7][$0 - 1]) / 8) }).first {
                points.append(s)
            }
        }
        points.append(outer(from: clusters.last?.upperBound ?? 0, direction: 1, sign: p.a[p.a.count - 1] > 0 ? 1 : -1))

        for i in 1..<points.count {
            let (lo, hi) = (points[i - 1], points[i])
            if lo.sign != hi.sign {
                roots.append(p.bisect(lo.u, hi.u))
                continue
            }
            // Same sign on both sides: look at the extremum in the cluster between them.
            guard let cluster = clusters.first(where: { $0.lowerBound > lo.u && $0.upperBound < hi.u }) else { continue }
            let u = p.extremum(from: 0.5 * (cluster.lowerBound + cluster.upperBound), within: lo.u...hi.u)
            let v = p.value(u)
            if v.p == 0 || abs(v.p) <= 8 * Double(p.a.count) * .ulpOfOne * v.magnitude {
                roots.append(u)
            } else if (v.p > 0 ? 1.0 : -1.0) != lo.sign {
                roots.append(p.bisect(lo.u, u))
                roots.append(p.bisect(u, hi.u))
            }
        }
        var kept: [Double] = []
        for u in roots.sorted() where kept.last.map({ u - $0 > irrResolution }) ?? true { kept.append(u) }
        return kept.map { polish(cf, rate: expm1(-$0)) }.sorted()
    }

    /// Sign changes of the flows, zeros skipped.
    static func countSignChanges(_ cf: [Double]) -> Int {
        var changes = 0, last = 0.0
        for c in cf where c != 0 {
            if last != 0 && (c > 0) != (last > 0) { changes += 1 }
            last = c
        }
        return changes
    }

    /// Newton steps on NPV(r), kept only while they reduce |NPV|.
    static func polish(_ cf: [Double], rate r0: Double) -> Double {
        var r = r0
        var f = npv(cf, rate: r)
        for _ in 0..<8 {
            var d = 0.0
            for (t, c) in cf.enumerated() where t > 0 { d -= Double(t) * c / pow(1 + r, Double(t + 1)) }
            guard d != 0, d.isFinite else { break }
            let next = r - f / d
            guard next > -1, next.isFinite else { break }
            let fn = npv(cf, rate: next)
            if abs(fn) >= abs(f) { break }
            r = next
            f = fn
        }
        return r
    }
}

/// p(x) = Σ a[k] x^k with a[0] ≠ 0 and a[n] ≠ 0, as a function of u = ln x.
struct NPVPolynomial {
    let a: [Double]

    init(_ a: [Double]) {
        precondition(a.first != 0 && a.last != 0, "trim the zero flows first")
        self.a = a
    }

    /// p(e^u), divided by e^(n·u) when u > 0 (the same sign, no overflow), with its first and
    /// second derivatives in u and Σ |a[k] x^k| scaled alike.
    func value(_ u: Double) -> (p: Double, slope: Double, curvature: Double, magnitude: Double) {
        let n = a.count - 1
        var p = 0.0, slope = 0.0, curvature = 0.0, magnitude = 0.0
        // u ≤ 0: Σ a[k] e^(k u). u > 0: Σ a[k] e^((k − n) u) = Σ a[n − j] e^(−j u).
        let y = exp(-abs(u))
        var power = 1.0
        for j in 0...n {
            let c = u <= 0 ? a[j] : a[n - j]
            let e = u <= 0 ? Double(j) : -Double(j)
            let term = c * power
            p += term
            slope += e * term
            curvature += e * e * term
            magnitude += abs(term)
            power *= y
            if power == 0 { break }
        }
        return (p, slope, curvature, magnitude)
    }

    /// The eigenvalues of the companion matrix near the positive real axis, as clusters in u.
    func candidateClusters() -> [ClosedRange<Double>] {
        let n = a.count - 1
        guard n >= 2 else { return [] }
        // numpy's companion matrix: first row −a[n−1…0]/a[n], ones below the diagonal.
        var m = Matrix(rows: n, columns: n)
        for j in 0..<n { m[0, j] = -a[n - 1 - j] / a[n] }
        for i in 1..<n { m[i, i - 1] = 1 }
        guard let (re, im) = try? LAPACK.eigenvalues(m) else { return [] }
        let us = zip(re, im).filter { $0 > 0 && abs($1) <= 0.01 * $0 }.map { log($0.0) }.sorted()
        var clusters: [ClosedRange<Double>] = []
        for u in us {
            if let c = clusters.last, u - c.upperBound <= CashFlowAnalysis.irrResolution {
                clusters[clusters.count - 1] = c.lowerBound...u
            } else {
                clusters.append(u...u)
            }
        }
        return clusters
    }

    /// A root between `lo` and `hi`, where p has opposite signs, to the last bit of u.
    func bisect(_ lo: Double, _ hi: Double) -> Double {
        var a = lo, b = hi
        var sa = value(a).p
        for _ in 0..<400 {
            let m = 0.5 * (a + b)
            if m == a || m == b { break }
            let sm = value(m).p
            if sm == 0 { return m }
            if (sm > 0) == (sa > 0) { a = m; sa = sm } else { b = m }
        }
        return 0.5 * (a + b)
    }

    /// Where |p| is smallest near `start`: Newton steps on dp/du, kept inside `range` and only
    /// while they reduce |p|.
    func extremum(from start: Double, within range: ClosedRange<Double>) -> Double {
        var u = start
        var v = value(u)
        for _ in 0..<50 {
            guard v.curvature != 0, v.p != 0 else { break }
            let next = u - v.slope / v.curvature
            guard range.contains(next), next != u else { break }
            let w = value(next)
            if abs(w.p) >= abs(v.p) { break }
            u = next
            v = w
        }
        return u
    }
}
